/**
 * Linking a native identity to the contact an invitation was made for (ours) or came from
 * (theirs): a trusted link, so the contact keeps one conversation and its routes grow by one —
 * no duplicate contact, no second conversation. Plus the system line that says so.
 */
import type { RemotePerson } from '../../adapters/contract.ts';
import type { Rating } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { directConversation, normaliseAddress, resolveIdentity } from '../contacts/resolve.ts';
import { identityFacts } from '../contacts/routes.ts';
import { bumpConversation } from '../ingest/ingest.ts';
import { createLogger } from '../log/logger.ts';
import { rate } from '../security/index.ts';
import { newId } from '../store/ids.ts';
import type { ConversationRow, IdentityRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';

const log = createLogger('upgrade-link');

/** What linking changed, for the caller to announce. */
export interface LinkResult {
  identity: IdentityRow;
  conversationId: string;
  /** A conversation emptied into the contact's (the peer had been stored on its own a moment before). */
  removedConversationId: string | null;
  /** The system line added, if any. */
  systemMessageId: string | null;
}

/**
 * Makes `person` on a native account an identity of `contactId` and adds the system line "Messages
 * to … are now end-to-end encrypted" to the contact's conversation. Call inside a transaction.
 *
 * The identity may already exist on a contact of its own (the adapter reported the new peer before
 * the caller linked it): it moves, its messages move into the contact's conversation and the
 * emptied contact goes.
 */
export function linkIdentity(ctx: CoreContext, accountId: string, person: RemotePerson, contactId: string): LinkResult {
  const { db } = ctx;
  const now = ctx.now();
  const address = normaliseAddress('native', person.address);
  const existing = stmt(db, 'SELECT * FROM identities WHERE account_id = ? AND address = ?').get(accountId, address) as IdentityRow | undefined;
  const name = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(contactId) as string;
  const conv = directConversation(db, contactId, name, now).row;
  let removedConversationId: string | null = null;
  let identity: IdentityRow;
  if (existing && existing.contact_id !== contactId) {
    removedConversationId = foldContact(ctx, existing.contact_id, contactId, conv);
    identity = { ...existing, contact_id: contactId };
  } else {
    identity = existing ?? resolveIdentity(db, accountId, 'native', person, now, contactId);
  }
  if (existing?.contact_id === contactId) return { identity, conversationId: conv.id, removedConversationId, systemMessageId: null };
  const rating = rate(identityFacts(ctx, identity), 'native');
  const systemMessageId = addSystemLine(ctx, conv.id, identity, encryptedNowText(name, rating));
  return { identity, conversationId: conv.id, removedConversationId, systemMessageId };
}

/** "Messages to Ada are now end-to-end encrypted (green, 93%)." */
export function encryptedNowText(name: string, rating: Rating): string {
  return `Messages to ${name} are now end-to-end encrypted (${rating.colour}, ${rating.score}%).`;
}

/** Adds a line from Switchboard to a conversation: never unread, never sent. Returns its id. */
export function addSystemLine(ctx: CoreContext, conversationId: string, identity: IdentityRow, text: string): string {
  const { db } = ctx;
  const now = ctx.now();
  const id = newId();
  // Kept with the identity it is about, so undoing a merge takes it along with that route.
  const seq = pluck(
    db,
    `INSERT INTO messages (id, conversation_id, account_id, identity_id, kind, direction, sender_name, protocol, body, sent_at, received_at, status)
     VALUES (?, ?, ?, ?, 'system', 'in', 'Switchboard', ?, ?, ?, ?, 'received') RETURNING seq`,
  ).get(id, conversationId, identity.account_id, identity.id, identity.protocol, text, now, now) as number;
  bumpConversation(db, conversationId, seq, now, 0);
  return id;
}

/** Moves every identity and message of `fromContactId` to `into` (its conversation) and deletes the emptied contact. */
function foldContact(ctx: CoreContext, fromContactId: string, intoContactId: string, into: ConversationRow): string | null {
  const { db } = ctx;
  const from = stmt(db, 'SELECT * FROM conversations WHERE contact_id = ?').get(fromContactId) as ConversationRow | undefined;
  stmt(db, 'UPDATE identities SET contact_id = ? WHERE contact_id = ?').run(intoContactId, fromContactId);
  if (from) {
    stmt(db, 'UPDATE messages SET conversation_id = ? WHERE conversation_id = ?').run(into.id, from.id);
    stmt(
      db,
      `UPDATE conversations SET
         last_message_seq = (SELECT seq FROM messages WHERE conversation_id = @id ORDER BY sent_at DESC, seq DESC LIMIT 1),
         last_activity_at = max(last_activity_at, coalesce((SELECT max(sent_at) FROM messages WHERE conversation_id = @id), 0)),
         unread_count = unread_count + @unread
       WHERE id = @id`,
    ).run({ id: into.id, unread: from.unread_count });
  }
  stmt(db, 'DELETE FROM contacts WHERE id = ?').run(fromContactId);
  log.info('a linked identity left the contact it was first stored under', { messagesMoved: from !== undefined });
  return from?.id ?? null;
}
