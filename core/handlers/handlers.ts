import type { z } from 'zod';
import { ApiError, type CommandName, type CommandResults, type commandSchemas } from '../api/commands.ts';
import type { Account, SearchHit } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { listContacts } from '../contacts/list.ts';
import { contactView, getContactRow } from '../contacts/routes.ts';
import { listConversations, messagePage } from '../inbox/queries.ts';
import type { AdapterRegistry } from '../../adapters/registry.ts';
import { accountConfigOf, accountSettings } from '../accounts/runtime.ts';
import { openSecrets, type SecretBox } from '../secrets/secret-box.ts';
import { accountHandlers, endLogin } from './accounts.ts';
import { contentHandlers } from './content.ts';
import { groupHandlers } from './groups.ts';
import { startConversationHandlers } from './start-conversation.ts';
import { nativeHandlers } from './native.ts';
import { upgradeHandlers } from './upgrade.ts';
import { verificationHandlers } from './verification.ts';
import { mergeHandlers } from './contacts-merge.ts';
import { fetchOlderHistory, setRemoteTimer, tellPeerAccepted } from './conversation-remote.ts';
import { startReadCountdowns } from '../expiry/countdown.ts';
import { loadConversation, toConversationSummary, toMessage } from '../inbox/views.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { placeMessage, sendMessage } from '../outbox/send.ts';
import { factsIdOf } from '../store/facts.ts';
import { shareReceipt } from '../receipts/receipts.ts';
import { firstUseSeen, getSettings, markFirstUseSeen, updateSettings } from '../settings/settings.ts';
import type { AccountRow, ConversationRow, MessageRow } from '../store/rows.ts';
import { searchMessages } from '../store/search.ts';
import { stmt, pluck } from '../store/statements.ts';

export type Params<C extends CommandName> = z.output<(typeof commandSchemas)[C]>;
export type Handlers = { [C in CommandName]: (p: Params<C>) => CommandResults[C] | Promise<CommandResults[C]> };

/** What the handlers need besides the context. */
export interface HandlerDeps {
  outbox: Outbox;
  startAccount(row: AccountRow): void;
  stopAccount(accountId: string): Promise<void>;
  /** The adapter kinds, with their setup (discovery, login check) for accounts.add / accounts.update. */
  registry: AdapterRegistry;
  /** Seals account secrets before they are stored. */
  secretBox: SecretBox;
  /** Receives the function that accepts invitations automatically (ingest calls it when they arrive). */
  setAutoAccept?(fn: (messageIds: readonly string[]) => void): void;
}

/** The implementation of every api command. Params arrive validated. */
export function createHandlers(ctx: CoreContext, deps: HandlerDeps): Handlers {
  const { db } = ctx;

  const conversation = (id: string) => {
    const row = loadConversation(ctx, id);
    if (!row) throw new ApiError('not-found', 'That conversation does not exist.');
    return toConversationSummary(ctx, row, getSettings(db));
  };
  const announceConversation = (id: string) => {
    const summary = conversation(id);
    ctx.emit({ type: 'conversation.updated', conversation: summary });
    return summary;
  };
  const conversationRow = (id: string) => {
    const row = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
    if (!row) throw new ApiError('not-found', 'That conversation does not exist.');
    return row;
  };
  const messageRow = (id: string) => {
    const row = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    if (!row) throw new ApiError('not-found', 'That message does not exist.');
    return row;
  };
  const contact = (id: string) => {
    const row = getContactRow(ctx, id);
    if (!row) throw new ApiError('not-found', 'That contact does not exist.');
    return row;
  };
  const accountView = (row: AccountRow): Account =>
    ctx.accounts.view(row.id) ?? {
      id: row.id,
      protocol: row.protocol,
      kind: row.kind,
      address: row.address,
      displayName: row.display_name,
      status: 'offline',
      canCreateGroups: false,
      canJoinGroups: false,
      sync: null,
      settings: accountSettings(row),
    };

  const { autoAccept, ...upgradeCommands } = upgradeHandlers(ctx, { outbox: deps.outbox, announceConversation });
  deps.setAutoAccept?.(autoAccept);

  return {
    'conversations.list': (p) => listConversations(ctx, getSettings(db), p.folder ?? 'inbox', p.cursor, p.limit),
    'conversations.get': (p) => conversation(p.conversationId),
    'conversations.update': async (p) => {
      conversation(p.conversationId);
      const sets: string[] = [];
      const values: Record<string, unknown> = { id: p.conversationId };
      for (const key of ['pinned', 'muted', 'archived'] as const) {
        if (p[key] !== undefined) {
          sets.push(`${key} = @${key}`);
          values[key] = p[key] ? 1 : 0;
        }
      }
      if (p.disappearingSeconds !== undefined) {
        const row = conversationRow(p.conversationId);
        if (row.disappear_seconds !== p.disappearingSeconds) {
          // The peer is told first: a timer only one side keeps would be worse than none. Nothing
          // is stored (not even the other fields of this call) when the adapter refuses.
          await setRemoteTimer(ctx, row, p.disappearingSeconds);
          sets.push('disappear_seconds = @disappear_seconds');
          values.disappear_seconds = p.disappearingSeconds;
        }
      }
      if (sets.length > 0) stmt(db, `UPDATE conversations SET ${sets.join(', ')} WHERE id = @id`).run(values);
      return announceConversation(p.conversationId);
    },
    'conversations.markRead': (p) => {
      conversation(p.conversationId);
      const started = db.transaction(() => {
        stmt(db, 'UPDATE conversations SET unread_count = 0 WHERE id = ?').run(p.conversationId);
        // Disappearing messages count down from when they were read (Signal's rule).
        return startReadCountdowns(ctx, p.conversationId);
      })();
      for (const id of started) ctx.emit({ type: 'message.updated', message: toMessage(db, messageRow(id)) });
      void shareReceipt(ctx, p.conversationId, { kind: 'read' });
      return announceConversation(p.conversationId);
    },
    'conversations.typing': async (p) => {
      conversation(p.conversationId);
      return { shared: await shareReceipt(ctx, p.conversationId, { kind: 'typing', typing: p.typing }) };
    },
    'conversations.acceptRequest': (p) => {
      conversation(p.conversationId);
      stmt(db, 'UPDATE conversations SET request = 0 WHERE id = ?').run(p.conversationId);
      tellPeerAccepted(ctx, conversationRow(p.conversationId));
      return announceConversation(p.conversationId);
    },
    'conversations.fetchHistory': (p) => {
      conversation(p.conversationId);
      return fetchOlderHistory(ctx, conversationRow(p.conversationId));
    },
    'conversations.delete': (p) => {
      conversation(p.conversationId);
      // Messages (with their search rows, by trigger) and their outbox rows go by cascade. The
      // contact and its addresses stay: a later message from them starts a new conversation.
      stmt(db, 'DELETE FROM conversations WHERE id = ?').run(p.conversationId);
      ctx.emit({ type: 'conversation.removed', conversationId: p.conversationId });
      return { deleted: true as const };
    },
    'messages.page': (p) => {
      conversation(p.conversationId);
      return messagePage(ctx, p.conversationId, p.cursor, p.limit);
    },
    'messages.send': (p) => sendMessage(ctx, p, deps.outbox),
    'messages.pin': (p) => {
      messageRow(p.messageId);
      stmt(db, 'UPDATE messages SET pinned = ? WHERE id = ?').run(p.pinned ? 1 : 0, p.messageId);
      const message = toMessage(db, messageRow(p.messageId));
      ctx.emit({ type: 'message.updated', message });
      return message;
    },
    'messages.pinned': (p) => {
      conversation(p.conversationId);
      // Unary + keeps the planner off messages_conversation (it would walk the whole conversation
      // to sort) and on the small pinned index: 26 ms → 0.003 ms in a 100 000-message chat (bench/).
      const rows = stmt(db, 'SELECT * FROM messages WHERE conversation_id = ? AND pinned = 1 ORDER BY +sent_at, +seq').all(
        p.conversationId,
      ) as MessageRow[];
      return rows.map((r) => toMessage(db, r));
    },
    'messages.retry': (p) => {
      const row = messageRow(p.messageId);
      if (row.status !== 'failed') throw new ApiError('conflict', 'Only a message that failed can be sent again.');
      const conv = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(row.conversation_id) as ConversationRow;
      // A retry asks routing afresh: the route it failed on may be down, or weaker, by now.
      const placed = placeMessage(ctx, conv, undefined);
      if (placed.kind === 'needs-decision') throw new ApiError('conflict', `${placed.question} Write the message again to choose.`);
      const pl = placed.placement;
      db.transaction(() => {
        stmt(db,
          `INSERT INTO outbox (message_id, state, identity_id, account_id, decision, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(row.id, pl.state, pl.identityId, pl.accountId, pl.decision, ctx.now());
        stmt(db,
          `UPDATE messages SET status = ?, error = NULL, account_id = ?, identity_id = ?, protocol = ?, facts_id = ? WHERE id = ?`,
        ).run(pl.state === 'pending' ? 'queued' : 'waiting-route', pl.accountId, pl.identityId, pl.protocol, factsIdOf(db, pl.facts), row.id);
      })();
      const message = toMessage(db, messageRow(row.id));
      ctx.emit({ type: 'message.updated', message });
      deps.outbox.wake();
      return message;
    },
    'messages.cancel': (p) => {
      const row = messageRow(p.messageId);
      if (!deps.outbox.cancel(row.id)) {
        throw new ApiError('conflict', row.status === 'sending' ? 'This message is being sent right now.' : 'Only a message waiting to be sent can be cancelled.');
      }
      return toMessage(db, messageRow(row.id));
    },
    search: (p) => {
      const limit = p.limit ?? 50;
      const hits = searchMessages(db, p.query, limit);
      const get = stmt(db, 
        'SELECT m.*, c.title AS conversation_title FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.seq = ?',
      );
      const out: SearchHit[] = [];
      for (const h of hits) {
        const row = get.get(h.seq) as (MessageRow & { conversation_title: string }) | undefined;
        if (row) out.push({ message: toMessage(db, row), conversationTitle: row.conversation_title, snippet: h.snippet });
      }
      return out;
    },
    'contacts.get': (p) => contactView(ctx, contact(p.contactId), getSettings(db)),
    'contacts.list': (p) => listContacts(db, p),
    'contacts.pinRoute': (p) => {
      contact(p.contactId);
      if (p.identityId !== null) {
        const owner = pluck(db, 'SELECT contact_id FROM identities WHERE id = ?').get(p.identityId);
        if (owner !== p.contactId) throw new ApiError('bad-request', 'That route does not belong to this contact.');
      }
      stmt(db, 'UPDATE contacts SET pinned_identity_id = ? WHERE id = ?').run(p.identityId, p.contactId);
      const convId = pluck(db, 'SELECT id FROM conversations WHERE contact_id = ?').get(p.contactId) as string | undefined;
      if (convId) announceConversation(convId);
      return contactView(ctx, contact(p.contactId), getSettings(db));
    },
    'settings.get': () => getSettings(db),
    'settings.set': (p) => {
      const settings = updateSettings(db, p);
      ctx.emit({ type: 'settings.changed', settings });
      return settings;
    },
    'security.firstUseSeen': (p) => {
      if (!firstUseSeen(db).has(p.protocol)) markFirstUseSeen(db, p.protocol);
      return getSettings(db);
    },
    'accounts.list': () => (stmt(db, 'SELECT * FROM accounts ORDER BY created_at, id').all() as AccountRow[]).map(accountView),
    'accounts.remove': async (p) => {
      const row = stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(p.accountId) as AccountRow | undefined;
      if (!row) throw new ApiError('not-found', 'That account does not exist.');
      await deps.stopAccount(row.id);
      let secrets: Record<string, string> = {};
      try {
        secrets = openSecrets(deps.secretBox, (pluck(db, 'SELECT secrets FROM accounts WHERE id = ?').get(row.id) as string | undefined) ?? '');
      } catch {
        // Secrets that cannot be opened cannot log out either: the account goes all the same.
      }
      await endLogin(deps.registry.setup(row.kind), accountConfigOf(row), secrets);
      const convs = pluck(db, 
          `SELECT id FROM conversations WHERE account_id = @id OR contact_id IN
             (SELECT contact_id FROM identities GROUP BY contact_id HAVING sum(account_id != @id) = 0)`,
        )
        .all({ id: row.id }) as string[];
      // 1:1 conversations that keep other routes lose this account's messages: recompute them.
      const touched = pluck(db, `SELECT DISTINCT conversation_id FROM messages WHERE account_id = ?`)
        .all(row.id) as string[];
      db.transaction(() => {
        stmt(db, 'DELETE FROM accounts WHERE id = ?').run(row.id);
        // Contacts left with no address anywhere go too, with their 1:1 conversations.
        stmt(db, 'DELETE FROM contacts WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.contact_id = contacts.id)').run();
        const recompute = stmt(db, 
          `UPDATE conversations SET
             last_message_seq = (SELECT seq FROM messages WHERE conversation_id = @id ORDER BY sent_at DESC, seq DESC LIMIT 1),
             last_activity_at = coalesce((SELECT max(sent_at) FROM messages WHERE conversation_id = @id), created_at),
             unread_count = min(unread_count, (SELECT count(*) FROM messages WHERE conversation_id = @id AND direction = 'in'))
           WHERE id = @id`,
        );
        for (const id of touched) recompute.run({ id });
      })();
      for (const id of convs) ctx.emit({ type: 'conversation.removed', conversationId: id });
      for (const id of touched) if (!convs.includes(id) && loadConversation(ctx, id)) announceConversation(id);
      return { removed: true as const };
    },
    ...nativeHandlers(ctx, { announceConversation }),
    ...verificationHandlers(ctx),
    ...upgradeCommands,
    ...mergeHandlers(ctx, { announceConversation }),
    ...groupHandlers(ctx, { announceConversation }),
    ...startConversationHandlers(ctx, { announceConversation }),
    ...accountHandlers(ctx, { ...deps, accountView }),
    ...contentHandlers(ctx),
  };
}
