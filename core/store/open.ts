import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from './migrate.ts';

export type Db = Database.Database;

/** The database file inside a profile folder. */
export const DB_FILE = 'switchboard.sqlite';

/** Opens (creating if needed) a profile's database with WAL, NORMAL sync and the newest schema. */
export function openDatabase(profileDir: string | ':memory:'): Db {
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
  migrate(db);
  return db;
}
