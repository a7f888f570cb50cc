import type { Database } from 'better-sqlite3';

/**
 * Disappearing messages (Signal's semantics).
 *
 * - `conversations.disappear_seconds`: the conversation's timer (0: off). Messages sent from now on
 *   carry it; changing it leaves messages already stored as they are.
 * - `messages.disappear_seconds`: the timer a message carries (0: kept). Its countdown starts when
 *   the user reads it (incoming) or when it was sent (outgoing).
 * - `messages.expires_at`: when the message goes (ms since the epoch); NULL while it is kept or its
 *   countdown has not started.
 *
 * Two partial indexes keep both hot queries small whatever the size of the history: the sweep
 * reads the earliest `expires_at` and the expired rows; marking a conversation read finds the
 * messages whose countdown has not started yet.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE conversations ADD COLUMN disappear_seconds INTEGER NOT NULL DEFAULT 0 CHECK (disappear_seconds >= 0);
    ALTER TABLE messages ADD COLUMN disappear_seconds INTEGER NOT NULL DEFAULT 0 CHECK (disappear_seconds >= 0);
    ALTER TABLE messages ADD COLUMN expires_at INTEGER;
    CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
    CREATE INDEX messages_countdown_pending ON messages (conversation_id) WHERE disappear_seconds > 0 AND expires_at IS NULL;
  `);
}
