import type { Database } from 'better-sqlite3';

/**
 * Group membership.
 *
 * - `conversations.left_group`: 1 once the account is no longer in the group room (removed by its
 *   admin, or left). The conversation stays readable; sending to it is refused. A later update
 *   that names the account again (added back) clears it. Always 0 for 1:1 conversations.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE conversations ADD COLUMN left_group INTEGER NOT NULL DEFAULT 0 CHECK (left_group IN (0, 1));
  `);
}
