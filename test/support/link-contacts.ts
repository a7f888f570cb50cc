/**
 * Folds one contact into another directly in the database: a manual merge, for tests, until the
 * product has its merge command (a later issue). Moves identities and messages, recomputes the
 * surviving conversation, and removes the folded contact (its conversation goes with it).
 */
import type { CoreInternals } from '../../core/create-core.ts';

export function linkContacts(core: CoreInternals, from: { contactId: string; conversationId: string }, into: { contactId: string; conversationId: string }): void {
  const db = core.ctx.db;
  db.transaction(() => {
    db.prepare('UPDATE messages SET conversation_id = ? WHERE conversation_id = ?').run(into.conversationId, from.conversationId);
    db.prepare(
      `UPDATE conversations SET last_message_seq = (SELECT max(seq) FROM messages WHERE conversation_id = @id),
         last_activity_at = (SELECT max(sent_at) FROM messages WHERE conversation_id = @id),
         unread_count = (SELECT count(*) FROM messages WHERE conversation_id = @id AND direction = 'in') WHERE id = @id`,
    ).run({ id: into.conversationId });
    db.prepare('UPDATE identities SET contact_id = ? WHERE contact_id = ?').run(into.contactId, from.contactId);
    db.prepare('DELETE FROM contacts WHERE id = ?').run(from.contactId);
  })();
}
