import type { Database } from 'better-sqlite3';

/**
 * Message requests and adapter state.
 *
 * - `conversations.request`: a conversation started by someone the user has not accepted yet. The
 *   list folders become a generated column (`archived` wins over `request`), so each folder is one
 *   equality on the list index: the inbox skips requests without a filter step, and the archive
 *   (which holds archived requests too) still reads in index order without a sort.
 * - `adapter_state`: durable key-value storage an adapter keeps for its account (keys, sessions,
 *   sync state); it goes with the account.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE conversations ADD COLUMN request INTEGER NOT NULL DEFAULT 0 CHECK (request IN (0, 1));
    ALTER TABLE conversations ADD COLUMN folder TEXT GENERATED ALWAYS AS (
      CASE WHEN archived = 1 THEN 'archived' WHEN request = 1 THEN 'requests' ELSE 'inbox' END
    ) VIRTUAL;
    DROP INDEX conversations_inbox;
    -- The conversation list: per folder, pinned first, then by last activity.
    CREATE INDEX conversations_folder ON conversations (folder, pinned DESC, last_activity_at DESC, id DESC);

    CREATE TABLE adapter_state (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      ns TEXT NOT NULL,
      key TEXT NOT NULL,
      value BLOB NOT NULL,
      PRIMARY KEY (account_id, ns, key)
    ) STRICT, WITHOUT ROWID;
  `);
}
