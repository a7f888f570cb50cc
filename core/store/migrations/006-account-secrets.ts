import type { Database } from 'better-sqlite3';

/**
 * Account secrets.
 *
 * - `accounts.secrets`: the account's secrets (an email password) as one sealed value
 *   (core/secrets/secret-box.ts: JSON sealed by the keychain or the profile key), '' when it has
 *   none. Never plain text; core opens it only to build the account's adapter.
 */
export function up(db: Database): void {
  db.exec(`ALTER TABLE accounts ADD COLUMN secrets TEXT NOT NULL DEFAULT ''`);
}
