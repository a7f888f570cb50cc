import type { Database } from 'better-sqlite3';

/**
 * Upgrading an email contact to encrypted chat (issue 5).
 *
 * - `messages.kind`: `chat` for what people wrote, `system` for a line Switchboard adds to a
 *   conversation ("Messages to Ada are now end-to-end encrypted"). A system line is stored like an
 *   incoming message on the account it is about, never unread, never sent.
 * - `message_invitations`: a Switchboard invite that came with (or was sent in) an email, keyed by
 *   the message's seq and deleted with it. Its own table, not columns of `message_content`: a
 *   conversation page reads the state of every message, and columns after `message_content`'s big
 *   ones would make that read their overflow pages (see 005). `link` is the full invite link (a
 *   secret capability: never logged, never shown to the renderer); `state` is `offered` (received,
 *   undecided), `accepted`, `declined`, `failed` (accepting was refused: `error` says why in words)
 *   or `sent` (ours).
 * - `contact_invites`: an invite this profile made for one contact (the upgrade button). When
 *   someone accepts it, their native identity joins that contact instead of becoming a new one.
 *   `state` mirrors what Switchboard did with it (`active`, `linked` once accepted, `revoked`);
 *   expiry is read from the invite itself.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'system'));

    CREATE TABLE message_invitations (
      message_seq INTEGER PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,
      link TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('offered', 'accepted', 'declined', 'failed', 'sent')),
      error TEXT
    ) STRICT;

    CREATE TABLE contact_invites (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      invite_id TEXT NOT NULL,
      contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
      state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'linked', 'revoked')),
      expires_at INTEGER,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, invite_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX contact_invites_contact ON contact_invites (contact_id, state);
  `);
}
