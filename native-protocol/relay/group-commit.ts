import type Database from 'better-sqlite3';

interface Group {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newGroup(): Group {
  let resolve: () => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting on a group that fails; its failure is reported to those who are.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Group commit for a synchronous SQLite connection. A write runs at once, inside a transaction
 * that stays open until the end of the current turn of the event loop and is then committed (one
 * fsync under `synchronous = FULL`) for every write of that turn together. `durable()` says when
 * everything run so far is committed: callers hold their replies until then, so nothing is
 * reported stored — and nothing read from a not-yet-committed write is reported — before it is on
 * disk.
 *
 * Because writes run at once (on the one connection), reads that follow them see them: a
 * connection's requests keep their order and read their own writes, while the fsync is shared by
 * every request of every connection that arrived in that turn. An idle relay still commits each
 * write at the end of its own turn.
 *
 * Each write runs in its own savepoint, so one that throws is rolled back alone. If the commit
 * fails, or an error makes SQLite roll back the whole transaction, the group's `durable()`
 * rejects: none of it is stored, and every reply waiting on it must say so.
 */
export class GroupCommit {
  private group: Group | null = null;
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly begin;
  private readonly commitStmt;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(private readonly db: Database.Database) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    // Prepared once: db.transaction() would build a new wrapper for every write.
    this.savepoint = db.prepare('SAVEPOINT relay_write');
    this.release = db.prepare('RELEASE relay_write');
    this.rollbackTo = db.prepare('ROLLBACK TO relay_write');
  }

  /** Runs `job` now, atomically, in the open group transaction (opening one if needed). */
  write<T>(job: () => T): T {
    if (this.closed) throw new Error('storage is closed');
    if (!this.group) this.open();
    this.savepoint.run();
    try {
      const result = job();
      this.release.run();
      return result;
    } catch (e) {
      if (this.db.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
      } else {
        this.fail(e);
      }
      throw e;
    }
  }

  /** Resolves once every write run so far is committed; rejects if the group holding one failed. */
  durable(): Promise<void> {
    return this.group?.promise ?? Promise.resolve();
  }

  /** Commits the open group now and refuses later writes. */
  close(): void {
    this.commit();
    this.closed = true;
  }

  private open(): void {
    this.begin.run();
    this.group = newGroup();
    this.scheduled = setImmediate(() => this.commit());
  }

  /** Commits the open group (normally at the end of the turn it was opened in). */
  commit(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const group = this.group;
    if (!group) return;
    this.group = null;
    try {
      this.commitStmt.run();
      group.resolve();
    } catch (e) {
      if (this.db.inTransaction) this.rollback.run();
      group.reject(e);
    }
  }

  /** SQLite rolled the whole transaction back: the group is lost; the next write opens a new one. */
  private fail(e: unknown): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const group = this.group;
    this.group = null;
    group?.reject(e);
  }
}
