import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from './migrate.ts';

export type Db = Database.Database;

/** The database file inside a profile folder. */
export const DB_FILE = 'switchboard.sqlite';

/**
 * Opens (creating if needed) a profile's database with WAL, NORMAL sync and the newest schema.
 * `profileDir` is a folder, or `':memory:'` for a throwaway database.
 */
export function openDatabase(profileDir: string): Db {
  let file = ':memory:';
  if (profileDir !== ':memory:') {
    mkdirSync(profileDir, { recursive: true, mode: 0o700 });
    file = join(profileDir, DB_FILE);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db);
  } catch (e) {
    // A refused or failed profile must not stay open (and keep its -wal/-shm files) behind the error.
    db.close();
    throw e;
  }
  return db;
}
