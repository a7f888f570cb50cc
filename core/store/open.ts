import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from './migrate.ts';
import { acquireProfileLock, type ProfileLock } from './profile-lock.ts';

export type Db = Database.Database;

/** The database file inside a profile folder. */
export const DB_FILE = 'switchboard.sqlite';

/**
 * Opens (creating if needed) a profile's database with WAL, NORMAL sync and the newest schema.
 * `profileDir` is a folder, or `':memory:'` for a throwaway database.
 *
 * A profile folder is opened by one Switchboard at a time (see `profile-lock.ts`): while another
 * process (or this one) has it open, this throws a message saying so. The lock is released by
 * `db.close()`, or when the process exits.
 */
export function openDatabase(profileDir: string): Db {
  let file = ':memory:';
  let lock: ProfileLock | null = null;
  if (profileDir !== ':memory:') {
    mkdirSync(profileDir, { recursive: true, mode: 0o700 });
    file = join(profileDir, DB_FILE);
    lock = acquireProfileLock(profileDir);
  }
  let db: Db | null = null;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (e) {
    // A refused or failed profile must not stay open (and keep its -wal/-shm files or its lock) behind the error.
    db?.close();
    lock?.release();
    throw e;
  }
  if (lock) releaseOnClose(db, lock);
  return db;
}

/** Closing the database (as `core.close()` does) releases the profile lock too, once it has closed. */
function releaseOnClose(db: Db, lock: ProfileLock): void {
  const close = db.close.bind(db);
  db.close = () => {
    close();
    lock.release();
    return db;
  };
}
