import type Database from 'better-sqlite3';

interface Group {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** Something was written in it (else its commit writes nothing and needs no fsync). */
  written: boolean;
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
  return { promise, resolve, reject, written: false };
}

/** Tuning of a GroupCommit. */
export interface GroupCommitOptions {
  /**
   * A group with writes commits no sooner than this long after the previous one with writes
   * finished committing (0: always at the end of its turn). An idle relay is not slowed: its
   * first write after a pause commits at the end of its turn. A busy one gathers the writes of
   * several turns into one commit, which costs one fsync and writes each page it touched once.
   */
  minWriteIntervalMs?: number;
  /** Called whenever anything written was rolled back (one write or a whole group). */
  onRollback?: () => void;
}

/**
 * Group commit for a synchronous SQLite connection. A write runs at once, inside a transaction
 * that stays open until the end of the current turn of the event loop (or, on a busy relay, until
 * `minWriteIntervalMs` after the previous commit) and is then committed (one fsync under
 * `synchronous = FULL`) for every write of the group together. `durable()` says when everything
 * run so far is committed: callers hold their replies until then, so nothing is reported stored —
 * and nothing read from a not-yet-committed write is reported — before it is on disk.
 *
 * Because writes run at once (on the one connection), reads that follow them see them: a
 * connection's requests keep their order and read their own writes, while the fsync is shared by
 * every request of every connection in the group. Reads join the group too (`read`), so a turn's
 * statements share one transaction instead of each taking and releasing SQLite's locks.
 *
 * Each write runs in its own savepoint, so one that throws is rolled back alone. If the commit
 * fails, or an error makes SQLite roll back the whole transaction, the group's `durable()`
 * rejects: none of it is stored, and every reply waiting on it must say so. `onRollback` is called
 * whenever anything written was rolled back, so a cache of what the database holds can be dropped.
 */
export class GroupCommit {
  private group: Group | null = null;
  private scheduledNow: NodeJS.Immediate | null = null;
  private scheduledLater: NodeJS.Timeout | null = null;
  /** When the last group with writes finished committing (performance.now()). */
  private lastWriteCommit = -Infinity;
  private closed = false;
  private readonly minWriteIntervalMs: number;
  private readonly onRollback: () => void;
  private readonly begin;
  private readonly commitStmt;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(
    private readonly db: Database.Database,
    options: GroupCommitOptions = {},
  ) {
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? 0;
    this.onRollback = options.onRollback ?? (() => undefined);
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
    const group = this.group ?? this.open();
    if (!group.written) {
      group.written = true;
      this.postpone();
    }
    this.savepoint.run();
    try {
      const result = job();
      this.release.run();
      return result;
    } catch (e) {
      if (this.db.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
        this.onRollback();
      } else {
        this.fail(e);
      }
      throw e;
    }
  }

  /**
   * Runs `job` (reads only) now, in the open group transaction (opening one if needed), so the
   * reads of a turn share one transaction with its writes instead of each statement taking and
   * releasing SQLite's locks on its own. A group with nothing written commits without an fsync.
   */
  read<T>(job: () => T): T {
    if (this.closed) throw new Error('storage is closed');
    if (!this.group) this.open();
    try {
      return job();
    } catch (e) {
      // An error that made SQLite roll back the whole transaction loses the group's writes.
      if (!this.db.inTransaction) this.fail(e);
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

  private open(): Group {
    this.begin.run();
    const group = newGroup();
    this.group = group;
    this.scheduledNow = setImmediate(() => this.commit());
    return group;
  }

  /** The group just got its first write: on a busy relay, its commit waits for the interval. */
  private postpone(): void {
    const wait = this.lastWriteCommit + this.minWriteIntervalMs - performance.now();
    if (wait <= 0 || this.scheduledLater) return;
    if (this.scheduledNow) clearImmediate(this.scheduledNow);
    this.scheduledNow = null;
    this.scheduledLater = setTimeout(() => this.commit(), wait);
  }

  private unschedule(): void {
    if (this.scheduledNow) clearImmediate(this.scheduledNow);
    if (this.scheduledLater) clearTimeout(this.scheduledLater);
    this.scheduledNow = null;
    this.scheduledLater = null;
  }

  /** Commits the open group (normally at the end of the turn it was opened in). */
  commit(): void {
    this.unschedule();
    const group = this.group;
    if (!group) return;
    this.group = null;
    try {
      this.commitStmt.run();
      if (group.written) this.lastWriteCommit = performance.now();
      group.resolve();
    } catch (e) {
      if (this.db.inTransaction) this.rollback.run();
      this.onRollback();
      group.reject(e);
    }
  }

  /** SQLite rolled the whole transaction back: the group is lost; the next write opens a new one. */
  private fail(e: unknown): void {
    this.unschedule();
    const group = this.group;
    this.group = null;
    this.onRollback();
    group?.reject(e);
  }
}
