import type { Database } from 'better-sqlite3';

/**
 * Contacts merged by the user (never automatically), with what undoing needs: the merged contact's
 * own id, name and pin, the conversation it had (every stored column of its row, so settings added
 * by later migrations come back too; its messages are found again by the identities they came
 * through), which identities moved, and which of its upgrade invites moved along.
 *
 * The target's conversation settings before the merge are kept too: a merge combines them (pinned
 * if either was…), and undo puts them back. A conversation the target has that is not the one
 * recorded was made since (for the merge, or by a message on a merged route): undo removes it
 * again if nothing else is in it.
 *
 * No foreign keys: the merged contact is gone while the merge stands, and a record whose target
 * was merged again later must still say why it cannot be undone rather than vanish.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE contact_merges (
      id TEXT PRIMARY KEY,
      into_contact_id TEXT NOT NULL,
      from_contact_id TEXT NOT NULL,
      from_name TEXT NOT NULL,
      from_pinned_identity_id TEXT,
      from_created_at INTEGER NOT NULL,
      -- JSON: the merged contact's conversations row as it was, or NULL if it had none.
      from_conversation TEXT CHECK (json_type(from_conversation) = 'object'),
      -- JSON: the target's conversation before the merge, { id, pinned, muted, archived, request },
      -- or NULL if it had none.
      into_conversation TEXT CHECK (json_type(into_conversation) = 'object'),
      -- JSON array of identity ids.
      identity_ids TEXT NOT NULL CHECK (json_type(identity_ids) = 'array'),
      -- JSON array of [account_id, invite_id]: its contact_invites rows, which follow the identities.
      invite_keys TEXT NOT NULL DEFAULT '[]' CHECK (json_type(invite_keys) = 'array'),
      merged_at INTEGER NOT NULL,
      undone_at INTEGER
    ) STRICT;
    -- The contact card lists the merges into a contact; undo looks for later merges of either side.
    CREATE INDEX contact_merges_into ON contact_merges (into_contact_id, merged_at DESC, id DESC);
    CREATE INDEX contact_merges_from ON contact_merges (from_contact_id);
  `);
}
