import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';

const dirs: string[] = [];
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A WAL database with a table `t(v)`, and a second read-only connection that sees only commits. */
function setup(options: GroupCommitOptions = {}): { db: Database.Database; outside: Database.Database; commits: GroupCommit } {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-group-commit-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'db.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
  const outside = new Database(join(dir, 'db.sqlite'), { readonly: true });
  dbs.push(outside, db);
  return { db, outside, commits: new GroupCommit(db, options) };
}

const count = (db: Database.Database): number => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('commits every write of a turn in one transaction at the end of the turn', async () => {
    const { db, outside, commits } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 5; i++) commits.write(() => insert.run(i));
    // Run at once: the writing connection reads them; nobody else does before the commit.
    expect(count(db)).toBe(5);
    expect(count(outside)).toBe(0);
    const durable = commits.durable();
    let settled = false;
    void durable.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await durable;
    expect(count(outside)).toBe(5);
    expect(db.inTransaction).toBe(false);
    // With nothing written since, durable() is already settled.
    await commits.durable();
  });

  it('rolls back a write that throws alone; the rest of its group commits', async () => {
    const { db, outside, commits } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    commits.write(() => insert.run(1));
    expect(() =>
      commits.write(() => {
        insert.run(2);
        throw new Error('half done');
      }),
    ).toThrow('half done');
    commits.write(() => insert.run(3));
    await commits.durable();
    expect(outside.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 3]);
  });

  it('rejects durable() for a group SQLite rolled back as a whole, and starts a new group for later writes', async () => {
    const { db, outside, commits } = setup();
    db.exec("CREATE TRIGGER no_sevens BEFORE INSERT ON t WHEN NEW.v = 7 BEGIN SELECT RAISE(ROLLBACK, 'sevens roll everything back'); END");
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    commits.write(() => insert.run(1));
    const lost = commits.durable();
    expect(() => commits.write(() => insert.run(7))).toThrow('sevens roll everything back');
    await expect(lost).rejects.toThrow('sevens roll everything back');
    commits.write(() => insert.run(2));
    await commits.durable();
    expect(outside.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([2]);
  });

  it('commits a separate group per turn, and close() commits what is open and refuses more', async () => {
    const { db, outside, commits } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    commits.write(() => insert.run(1));
    const first = commits.durable();
    await turn();
    await first;
    commits.write(() => insert.run(2));
    expect(commits.durable()).not.toBe(first);
    commits.close();
    expect(count(outside)).toBe(2);
    expect(() => commits.write(() => insert.run(3))).toThrow('storage is closed');
  });

  it('runs reads in the open group; a group of reads only commits at the end of its turn, writing nothing', async () => {
    const { db, outside, commits } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    commits.write(() => insert.run(1));
    // A read sees the group's uncommitted write, and waits for the same commit.
    expect(commits.read(() => count(db))).toBe(1);
    await commits.durable();
    expect(count(outside)).toBe(1);
    const walBefore = db.pragma('wal_checkpoint(PASSIVE)');
    expect(commits.read(() => count(db))).toBe(1);
    expect(db.inTransaction).toBe(true);
    await commits.durable();
    expect(db.inTransaction).toBe(false);
    // Nothing was written: the WAL holds the same frames as before.
    expect(db.pragma('wal_checkpoint(PASSIVE)')).toEqual(walBefore);
  });

  it('calls onRollback when a write is rolled back, alone or with its whole group', async () => {
    let rollbacks = 0;
    const { db, commits } = setup({ onRollback: () => (rollbacks += 1) });
    db.exec("CREATE TRIGGER no_sevens BEFORE INSERT ON t WHEN NEW.v = 7 BEGIN SELECT RAISE(ROLLBACK, 'sevens roll everything back'); END");
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    commits.write(() => insert.run(1));
    await commits.durable();
    expect(rollbacks).toBe(0);
    expect(() => commits.write(() => { throw new Error('undone'); })).toThrow('undone');
    expect(rollbacks).toBe(1);
    expect(() => commits.write(() => insert.run(7))).toThrow('sevens');
    expect(rollbacks).toBe(2);
  });

  it('with minWriteIntervalMs, commits an idle first write at the end of its turn and holds the next group of writes for the interval', async () => {
    const { db, outside, commits } = setup({ minWriteIntervalMs: 200 });
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    commits.write(() => insert.run(1));
    await turn();
    expect(count(outside)).toBe(1);
    // Right after a commit: this group waits (and gathers the writes of later turns)...
    const started = performance.now();
    commits.write(() => insert.run(2));
    await turn();
    commits.write(() => insert.run(3));
    expect(count(outside)).toBe(1);
    // ...reads meanwhile join it and wait for the same commit...
    const read = commits.read(() => count(db));
    expect(read).toBe(3);
    await commits.durable();
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(count(outside)).toBe(3);
    // ...and reads alone are not held.
    await new Promise((r) => setTimeout(r, 10));
    commits.read(() => count(db));
    await turn();
    expect(db.inTransaction).toBe(false);
  });
});
