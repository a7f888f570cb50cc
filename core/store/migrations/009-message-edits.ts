import type { Database } from 'better-sqlite3';

/**
 * Edited and deleted messages (Matrix edits and redactions).
 *
 * - `edited_at`: when the sender last replaced the text (ms), NULL when never; the body holds the
 *   newest text, so search finds what the message says now.
 * - `redacted_at`: when the message was deleted remotely (ms), NULL when it was not; its body is
 *   emptied and its content row removed, the row stays so the conversation shows "Message deleted"
 *   where it was and its echo is never stored again.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE messages ADD COLUMN edited_at INTEGER;
    ALTER TABLE messages ADD COLUMN redacted_at INTEGER;
  `);
}
