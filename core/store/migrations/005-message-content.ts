import type { Database } from 'better-sqlite3';

/**
 * Message content beyond the chat text (email): subject, the full original, the HTML body,
 * attachments, or why the message cannot be displayed; and who may load remote content.
 *
 * - `message_content`: one row per message that has any of it (most chat messages have none), keyed
 *   by the message's `seq` and deleted with it by cascade (the disappearing sweep, deleting a
 *   conversation, removing an account). The small columns come first and the two big ones last:
 *   a conversation page reads subject, problem and attachments without touching the overflow
 *   pages that hold a long original or HTML body.
 *   `attachments` is a JSON list of `{ id, filename, mimeType, size }`, NULL when there are none.
 *   `remote_allowed`: the user allowed remote content (images) for this message.
 *   `html_truncated`: the HTML was longer than core keeps and was cut (the view says so).
 * - `remote_content_senders`: senders (an address on an account) whose mail may always load remote
 *   content; it goes with the account.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE message_content (
      message_seq INTEGER PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,
      subject TEXT,
      problem TEXT,
      attachments TEXT,
      remote_allowed INTEGER NOT NULL DEFAULT 0 CHECK (remote_allowed IN (0, 1)),
      html_truncated INTEGER NOT NULL DEFAULT 0 CHECK (html_truncated IN (0, 1)),
      original_text TEXT,
      html TEXT
    ) STRICT;

    CREATE TABLE remote_content_senders (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      address TEXT NOT NULL,
      allowed_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, address)
    ) STRICT, WITHOUT ROWID;
  `);
}
