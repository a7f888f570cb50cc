/**
 * `conversations.start`: the user writes to someone by address (an email address, a JID, an MXID).
 * Core makes the contact and the 1:1 conversation at once, in the inbox, and tells the account's
 * adapter the user chose this person (mail from them is not a request from now on).
 */
import type { Protocol } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { ConversationSummary } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { directConversation, resolveIdentity } from '../contacts/resolve.ts';
import type { AccountRow, ConversationRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import { tellPeerAccepted } from './conversation-remote.ts';
import type { Handlers } from './handlers.ts';

/** What an address looks like on each protocol that starts chats by address. */
const ADDRESS: Partial<Record<Protocol, { pattern: RegExp; example: string }>> = {
  email: { pattern: /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/, example: 'name@example.org' },
  xmpp: { pattern: /^[^\s@/]+@[^\s@/]+$/, example: 'name@example.org' },
  matrix: { pattern: /^@[^\s:]+:[^\s]+$/, example: '@name:example.org' },
};

export interface StartHandlerDeps {
  announceConversation(conversationId: string): ConversationSummary;
}

export function startConversationHandlers(ctx: CoreContext, deps: StartHandlerDeps): Pick<Handlers, 'conversations.start'> {
  const { db } = ctx;
  const accountFor = (accountId: string | undefined, protocol: Protocol | undefined): AccountRow => {
    const row = accountId
      ? (stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow | undefined)
      : (stmt(db, 'SELECT * FROM accounts WHERE protocol = ? ORDER BY created_at LIMIT 1').get(protocol ?? 'email') as AccountRow | undefined);
    if (!row) throw new ApiError('not-found', accountId ? 'That account does not exist.' : `There is no ${protocol ?? 'email'} account to write from: add one in Settings.`);
    return row;
  };
  return {
    'conversations.start': (p) => {
      const account = accountFor(p.accountId, p.protocol);
      if (account.protocol === 'native') throw new ApiError('bad-request', 'Encrypted chats start with an invite: make one with New chat → New invite.');
      const rule = ADDRESS[account.protocol];
      const address = p.address.trim();
      if (rule && !rule.pattern.test(address)) throw new ApiError('bad-request', `"${address.slice(0, 80)}" is not an address this account can write to (it should look like ${rule.example}).`);
      if (address.toLowerCase() === account.address.toLowerCase()) throw new ApiError('bad-request', 'That is this account’s own address.');
      const { conversationId, contactId } = db.transaction(() => {
        const now = ctx.now();
        const identity = resolveIdentity(db, account.id, account.protocol, { address, displayName: p.displayName }, now);
        const name = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(identity.contact_id) as string;
        const conv = directConversation(db, identity.contact_id, name, now);
        // Writing to someone whose mail waited as a request accepts it.
        if (conv.row.request === 1) stmt(db, 'UPDATE conversations SET request = 0 WHERE id = ?').run(conv.row.id);
        return { conversationId: conv.row.id, contactId: identity.contact_id };
      })();
      tellPeerAccepted(ctx, stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(conversationId) as ConversationRow);
      ctx.emit({ type: 'contact.updated', contactId });
      return deps.announceConversation(conversationId);
    },
  };
}
