import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { acquireDataLock, type DataLock } from './data-lock.ts';
import { GroupCommit } from './group-commit.ts';
import type { DepositOutcome, DepositPolicy, DepositRequest, MailboxRecord, RelayStorage, StoredMessage } from './storage.ts';

/** The database file inside the relay's `--data` folder. */
export const RELAY_DB_FILE = 'relay.sqlite';

/*
 * Per-mailbox seqs (not a global rowid) so an owner cannot read the relay's total traffic from the
 * gaps between its own seqs. A seq is never reused, even after every message was acked (see
 * `last_seq` below).
 *
 * Since version 3 a mailbox has a small integer key `mid` besides its 256-bit text id, and a
 * message's rowid is `mid · 2^32 + seq`: the messages of one mailbox are one contiguous rowid
 * range in seq order, so a fetch is a range scan of the table itself, an ack a delete by rowid
 * (range), and no second index (nor a 43-character mailbox id per message) has to be written. A
 * mailbox therefore takes at most 2^32 − 1 messages over its life (seq 1 .. 2^32 − 1; after that
 * its deposits are refused like a full quota) and `mid` stays below 2^31, so every key fits a
 * signed 64-bit integer. Keys are computed in SQL (exact 64-bit arithmetic), never in JavaScript,
 * where they would exceed 2^53. There are no foreign keys: deleting a mailbox deletes its messages
 * (its rowid range) and its bundle explicitly, in the same transaction.
 *
 * What a deposit needs besides the insert — the next seq, and the count and bytes stored for the
 * quota — is derived from the messages themselves and kept in memory (MailboxState), so a deposit
 * writes nothing but its message row. Only what the messages cannot tell is stored:
 * `mailbox_seqs.last_seq` is at least the highest seq whose message was acked or purged, written
 * in the transaction that deletes it. The last seq handed out is max(last_seq, highest seq
 * present), which survives any crash: a seq is either still present or was deleted by a committed
 * write that raised `last_seq`. It has a narrow table of its own (a few hundred mailboxes per
 * page) because acks write it all the time, and every page a commit touches is written to the WAL
 * whole: on the 130-byte mailbox rows the same updates would dirty ten times as many pages.
 *
 * Migrations are numbered by `PRAGMA user_version`; each runs once, in a transaction. A file from
 * an earlier relay opens and is brought up to date; a file from a later relay is refused. Never
 * edit a migration that has shipped: add one.
 */
const MIGRATIONS: readonly string[] = [
  // 1: mailboxes and messages (the first relay).
  `
CREATE TABLE mailboxes (
  id TEXT PRIMARY KEY,
  receive_key BLOB NOT NULL,
  cap_hash BLOB NOT NULL,
  next_seq INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE messages (
  mailbox TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  blob BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  UNIQUE (mailbox, seq)
) STRICT;
CREATE INDEX messages_by_expiry ON messages(expires_at);
`,
  // 2: one bundle blob per mailbox (put-bundle / peek), in a table of its own so the mailbox
  // rows every deposit reads stay small; and each mailbox's stored count and bytes, kept up to
  // date by deposit, ack and purge, so the quota check of a deposit is one row read instead of a
  // scan of everything waiting in the mailbox.
  `
CREATE TABLE IF NOT EXISTS bundles (
  mailbox TEXT PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  blob BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
ALTER TABLE mailboxes ADD COLUMN msg_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN msg_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET
  msg_count = (SELECT count(*) FROM messages WHERE mailbox = mailboxes.id),
  msg_bytes = (SELECT coalesce(sum(length(blob)), 0) FROM messages WHERE mailbox = mailboxes.id);
`,
  // 3: an integer key per mailbox and messages keyed by (mid · 2^32 + seq) in the table's own
  // rowid, the seq counter in a narrow table as `last_seq`, no stored counts (see above): no
  // (mailbox, seq) index, no text mailbox id per message, no foreign keys. Everything is copied;
  // the old tables are dropped.
  `
CREATE TABLE mailboxes_v3 (
  mid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  receive_key BLOB NOT NULL,
  cap_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO mailboxes_v3 (id, receive_key, cap_hash, created_at)
  SELECT id, receive_key, cap_hash, created_at FROM mailboxes ORDER BY rowid;
CREATE TABLE mailbox_seqs (
  mid INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL
) STRICT;
INSERT INTO mailbox_seqs (mid, last_seq)
  SELECT b.mid, m.next_seq FROM mailboxes m JOIN mailboxes_v3 b ON b.id = m.id WHERE m.next_seq > 0;
CREATE TABLE messages_v3 (
  msg_key INTEGER PRIMARY KEY,
  blob BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
INSERT INTO messages_v3 (msg_key, blob, received_at, expires_at)
  SELECT b.mid * 4294967296 + m.seq, m.blob, m.received_at, m.expires_at
  FROM mailboxes_v3 b JOIN messages m ON m.mailbox = b.id
  WHERE m.seq BETWEEN 1 AND 4294967295
  ORDER BY b.mid, m.seq;
CREATE TABLE bundles_v3 (
  mid INTEGER PRIMARY KEY,
  blob BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO bundles_v3 (mid, blob, updated_at)
  SELECT b.mid, x.blob, x.updated_at FROM bundles x JOIN mailboxes_v3 b ON b.id = x.mailbox;
DROP TABLE bundles;
DROP TABLE messages;
DROP TABLE mailboxes;
ALTER TABLE mailboxes_v3 RENAME TO mailboxes;
ALTER TABLE messages_v3 RENAME TO messages;
ALTER TABLE bundles_v3 RENAME TO bundles;
CREATE INDEX messages_by_expiry ON messages(expires_at);
`,
];

/** The schema version this relay writes: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Highest seq a mailbox can hold (its messages' rowids are mid · 2^32 + seq). */
export const MAX_SEQ = 0xffff_ffff;
/** Mailbox keys stay below this, so mid · 2^32 + seq fits a signed 64-bit rowid. */
const MAX_MID = 2 ** 31;

/*
 * SQL for a message's rowid and for the bounds of a mailbox's rowid range, from bound parameters
 * (better-sqlite3 binds only plain `?` positionally, so a statement repeats the mid). SQLite
 * computes them with exact 64-bit integers; a JavaScript number would lose precision past 2^53
 * (mid ≥ 2^21).
 */
const MSG_KEY = '(? * 4294967296 + ?)';
const FIRST_KEY = '(? * 4294967296)';
const LAST_KEY = '(? * 4294967296 + 4294967295)';

interface MailboxRow {
  mid: number;
  id: string;
  receive_key: Buffer;
  cap_hash: Buffer;
  last_seq: number;
}
interface MessageRow {
  seq: number;
  blob: Buffer;
  received_at: number;
}
interface StoredRow {
  n: number;
  bytes: number;
  top: number;
}

/**
 * A mailbox as the storage keeps it in memory: its row's immutable part, and what its messages
 * say (the last seq handed out, the messages and bytes held), kept up to date by every write.
 */
interface MailboxState {
  mid: number;
  record: MailboxRecord;
  /** The last seq handed out: the next deposit gets lastSeq + 1. */
  lastSeq: number;
  /** `last_seq` as written in mailbox_seqs. */
  savedLastSeq: number;
  /** Messages held and their bytes, expired ones the purge has not reached included (the quota). */
  count: number;
  bytes: number;
}

const PURGE_CHUNK = 10_000;
/**
 * A busy relay commits writes at most this often (GroupCommit.minWriteIntervalMs); an idle one
 * at the end of the turn. At 20 000 msg/s this halves the commits (each an fsync, and a rewrite
 * of every page it touched) for at most 3 ms more before a reply.
 */
const MIN_WRITE_COMMIT_INTERVAL_MS = 3;
/** Fetch statements kept, one per LIMIT (see fetchStatement). */
const MAX_FETCH_STATEMENTS = 32;
/** Mailboxes kept in memory per generation of the cache (two generations: at most twice this). */
const MAILBOX_CACHE_GENERATION = 50_000;

/** A mailbox's unexpired messages after a seq, oldest first; `limit` null binds the LIMIT as the last parameter. */
function fetchSql(limit: number | null): string {
  return (
    `SELECT msg_key & ${MAX_SEQ} AS seq, blob, received_at FROM messages ` +
    `WHERE msg_key > ${MSG_KEY} AND msg_key <= ${LAST_KEY} AND expires_at > ? ORDER BY msg_key LIMIT ${limit ?? '?'}`
  );
}

/**
 * Mailbox id → MailboxState. The immutable part never changes after `create`, and the rest is
 * changed only by this storage's own writes (on its one connection), so an entry is right for as
 * long as the mailbox exists and nothing was rolled back. Entries are added once the rows they
 * describe were read or written, removed when the mailbox is deleted, and the whole cache is
 * dropped whenever a write is rolled back (an entry might count a message that was undone, or
 * describe a mailbox whose creation was) and after a purge. Ids that do not exist are never
 * cached, so probing cannot fill it.
 *
 * Bounded by two generations: lookups promote from the old one to the young one; when the young
 * one is full it becomes the old one (and the previous old one is dropped). O(1) per lookup, and
 * the mailboxes in use stay in memory; a dropped one is read again (its counts recomputed).
 */
class MailboxCache {
  private young = new Map<string, MailboxState>();
  private old = new Map<string, MailboxState>();

  get(id: string): MailboxState | undefined {
    const hit = this.young.get(id);
    if (hit) return hit;
    const aged = this.old.get(id);
    if (aged) this.set(id, aged);
    return aged;
  }

  set(id: string, m: MailboxState): void {
    if (this.young.size >= MAILBOX_CACHE_GENERATION) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(id, m);
  }

  delete(id: string): void {
    this.young.delete(id);
    this.old.delete(id);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

/** Brings the database up to SCHEMA_VERSION, one transaction per migration. */
function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`relay database schema ${version} is newer than this relay (${SCHEMA_VERSION}); run a newer relay`);
  }
  for (let v = version + 1; v <= SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v - 1];
    if (sql === undefined) throw new Error(`relay database migration ${v} is missing`);
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v}`);
    })();
  }
}

/**
 * A copy of a few bytes in memory of its own: a small Buffer is often a slice of an 8 KiB pool,
 * which a long-lived cache entry would keep alive whole.
 */
function ownCopy(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** Constant-time comparison of two capability hashes. */
function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The distinct valid seqs of an ack, ascending, as runs [first, last] of consecutive seqs. */
function seqRuns(seqs: readonly number[]): [number, number][] {
  const sorted = seqs.filter((s) => s >= 1 && s <= MAX_SEQ).sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const s of sorted) {
    const last = runs.at(-1);
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], s);
    else runs.push([s, s]);
  }
  return runs;
}

/**
 * SQLite storage: WAL with `synchronous = FULL`. In WAL mode FULL fsyncs the WAL on every commit,
 * so a deposit acknowledged to its sender survives not only a SIGKILL of the relay (NORMAL would
 * cover that) but also an OS crash or power loss, which NORMAL does not. The cost is one fsync per
 * transaction — and since deposits and acks come in batches, and everything that arrives in one
 * turn of the event loop (on a busy relay, in a few milliseconds) shares one transaction
 * (GroupCommit), a burst of messages pays one fsync, not one per message or per request.
 */
export class SqliteRelayStorage implements RelayStorage {
  private readonly db: Database.Database;
  private readonly lock: DataLock;
  private readonly writes: GroupCommit;
  private readonly mailboxes = new MailboxCache();
  private readonly fetchByLimit = new Map<number, Database.Statement<[number, number, number, number], MessageRow>>();
  private readonly stmts;

  private constructor(db: Database.Database, lock: DataLock) {
    this.db = db;
    this.lock = lock;
    this.writes = new GroupCommit(db, { minWriteIntervalMs: MIN_WRITE_COMMIT_INTERVAL_MS, onRollback: () => this.mailboxes.clear() });
    this.stmts = {
      insertMailbox: db.prepare<[string, Buffer, Buffer, number]>('INSERT INTO mailboxes (id, receive_key, cap_hash, created_at) VALUES (?, ?, ?, ?)'),
      getMailbox: db.prepare<[string], MailboxRow>(
        'SELECT m.mid, m.id, m.receive_key, m.cap_hash, coalesce(s.last_seq, 0) AS last_seq FROM mailboxes m LEFT JOIN mailbox_seqs s ON s.mid = m.mid WHERE m.id = ?',
      ),
      // What a mailbox holds, expired messages included (they count until purged), and its highest seq.
      stored: db.prepare<[number, number], StoredRow>(
        `SELECT count(*) AS n, coalesce(sum(length(blob)), 0) AS bytes, coalesce(max(msg_key) & ${MAX_SEQ}, 0) AS top ` +
          `FROM messages WHERE msg_key >= ${FIRST_KEY} AND msg_key <= ${LAST_KEY}`,
      ),
      pending: db.prepare<[number, number, number], { n: number }>(
        `SELECT count(*) AS n FROM messages WHERE msg_key > ${FIRST_KEY} AND msg_key <= ${LAST_KEY} AND expires_at > ?`,
      ),
      saveLastSeq: db.prepare<[number, number]>(
        'INSERT INTO mailbox_seqs (mid, last_seq) VALUES (?, ?) ON CONFLICT (mid) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)',
      ),
      insertMessage: db.prepare<[number, number, Buffer, number, number]>(
        `INSERT INTO messages (msg_key, blob, received_at, expires_at) VALUES (${MSG_KEY}, ?, ?, ?)`,
      ),
      fetchAnyLimit: db.prepare<[number, number, number, number, number], MessageRow>(fetchSql(null)),
      // The sizes of the messages of one run of seqs, then their deletion. Not one DELETE …
      // RETURNING: SQLite runs RETURNING like a trigger, which makes every such statement copy
      // each page it changes into a statement journal first.
      runSizes: db.prepare<[number, number, number, number], number>(`SELECT length(blob) FROM messages WHERE msg_key >= ${MSG_KEY} AND msg_key <= ${MSG_KEY}`).pluck(),
      deleteRun: db.prepare<[number, number, number, number]>(`DELETE FROM messages WHERE msg_key >= ${MSG_KEY} AND msg_key <= ${MSG_KEY}`),
      deleteMessages: db.prepare<[number, number]>(`DELETE FROM messages WHERE msg_key >= ${FIRST_KEY} AND msg_key <= ${LAST_KEY}`),
      deleteBundle: db.prepare<[number]>('DELETE FROM bundles WHERE mid = ?'),
      putBundle: db.prepare<[number, Buffer, number]>(
        'INSERT INTO bundles (mid, blob, updated_at) VALUES (?, ?, ?) ON CONFLICT (mid) DO UPDATE SET blob = excluded.blob, updated_at = excluded.updated_at',
      ),
      getBundle: db.prepare<[number], { blob: Buffer }>('SELECT blob FROM bundles WHERE mid = ?'),
      deleteMailbox: db.prepare<[number]>('DELETE FROM mailboxes WHERE mid = ?'),
      deleteSeqs: db.prepare<[number]>('DELETE FROM mailbox_seqs WHERE mid = ?'),
      purge: db.prepare<[number], { mid: number; seq: number }>(
        `DELETE FROM messages WHERE msg_key IN (SELECT msg_key FROM messages WHERE expires_at <= ? LIMIT ${PURGE_CHUNK}) ` +
          `RETURNING msg_key >> 32 AS mid, msg_key & ${MAX_SEQ} AS seq`,
      ),
    };
  }

  /**
   * Opens (creating if needed) the relay database in `dir`, after taking the folder's lock: throws
   * with a clear message if another relay has it open.
   */
  static open(dir: string): SqliteRelayStorage {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = acquireDataLock(dir);
    let db: Database.Database | undefined;
    try {
      db = new Database(join(dir, RELAY_DB_FILE));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // Checkpoints (copying the WAL into the database file, two fsyncs) run inside a commit.
      // The pages a busy relay rewrites are few and the same again and again, so a longer WAL
      // copies each once for many commits instead of once for a few: 10 000 pages (40 MB).
      db.pragma('wal_autocheckpoint = 10000');
      // Each write runs in a savepoint (GroupCommit), whose undo journal SQLite otherwise spills
      // to a temp file: one pwrite per page a deposit touches. In memory it costs a few MB at most
      // (one request's pages) and nothing of durability: it only serves rollback inside a transaction.
      db.pragma('temp_store = MEMORY');
      migrate(db);
      return new SqliteRelayStorage(db, lock);
    } catch (e) {
      db?.close();
      lock.release();
      throw e;
    }
  }

  /**
   * The mailbox `id`, from memory or else from the database (then remembered); null if there is
   * none. Called only inside the group transaction, so what it reads agrees with what is in memory.
   */
  private lookup(id: string): MailboxState | null {
    const hit = this.mailboxes.get(id);
    if (hit) return hit;
    const row = this.stmts.getMailbox.get(id);
    if (!row) return null;
    const held = this.stmts.stored.get(row.mid, row.mid) ?? { n: 0, bytes: 0, top: 0 };
    const m: MailboxState = {
      mid: row.mid,
      record: { id: row.id, receiveKey: row.receive_key, capHash: row.cap_hash },
      lastSeq: Math.max(row.last_seq, held.top),
      savedLastSeq: row.last_seq,
      count: held.n,
      bytes: held.bytes,
    };
    this.mailboxes.set(id, m);
    return m;
  }

  async createMailbox(m: MailboxRecord, now: number): Promise<void> {
    this.writes.write(() => {
      const mid = Number(this.stmts.insertMailbox.run(m.id, m.receiveKey, m.capHash, now).lastInsertRowid);
      // Thrown inside the write: its savepoint is rolled back, the mailbox is not created.
      if (mid >= MAX_MID) throw new Error('relay database has no mailbox key left');
      const record = { id: m.id, receiveKey: ownCopy(m.receiveKey), capHash: ownCopy(m.capHash) };
      this.mailboxes.set(m.id, { mid, record, lastSeq: 0, savedLastSeq: 0, count: 0, bytes: 0 });
    });
  }

  async getMailbox(id: string): Promise<MailboxRecord | null> {
    return this.writes.read(() => this.lookup(id)?.record ?? null);
  }

  async getMailboxes(ids: string[]): Promise<(MailboxRecord | null)[]> {
    return this.writes.read(() => ids.map((id) => this.lookup(id)?.record ?? null));
  }

  async deposit(items: DepositRequest[], policy: DepositPolicy): Promise<DepositOutcome[]> {
    const expires = policy.now + policy.ttlMs;
    return this.writes.write((): DepositOutcome[] =>
      items.map((item): DepositOutcome => {
        const mb = this.lookup(item.mailbox);
        if (!mb || !sameHash(mb.record.capHash, item.capHash)) return { ok: false, code: 'forbidden' };
        const size = item.blob.length;
        if (mb.count >= policy.quotaCount || mb.bytes + size > policy.quotaBytes || mb.lastSeq >= MAX_SEQ) return { ok: false, code: 'quota-exceeded' };
        this.stmts.insertMessage.run(mb.mid, mb.lastSeq + 1, item.blob, policy.now, expires);
        // Counted once stored; if a later statement of this write fails, the rollback drops the cache.
        mb.lastSeq += 1;
        mb.count += 1;
        mb.bytes += size;
        return { ok: true };
      }),
    );
  }

  async fetch(mailbox: string, after: number, limit: number, maxBytes: number, now: number): Promise<{ messages: StoredMessage[]; more: boolean }> {
    return this.writes.read(() => this.fetchOne(mailbox, after, limit, maxBytes, now));
  }

  async fetchMany(entries: { mailbox: string; after: number }[], limit: number, maxBytes: number, now: number): Promise<{ messages: StoredMessage[]; more: boolean }[]> {
    return this.writes.read(() => {
      let budget = maxBytes;
      return entries.map((e) => {
        // Over the budget: say whether there is anything, without sending it.
        if (budget <= 0) return { messages: [], more: this.fetchOne(e.mailbox, e.after, 1, 0, now).messages.length > 0 };
        const got = this.fetchOne(e.mailbox, e.after, limit, budget, now);
        for (const m of got.messages) budget -= m.blob.length;
        return got;
      });
    });
  }

  /** Unexpired messages of one mailbox after `after` (inside the group transaction). */
  private fetchOne(mailbox: string, after: number, limit: number, maxBytes: number, now: number): { messages: StoredMessage[]; more: boolean } {
    const mb = this.lookup(mailbox);
    if (!mb) return { messages: [], more: false };
    const from = Math.min(after, MAX_SEQ);
    const stmt = this.fetchStatement(limit + 1);
    const rows = stmt ? stmt.all(mb.mid, from, mb.mid, now) : this.stmts.fetchAnyLimit.all(mb.mid, from, mb.mid, now, limit + 1);
    const messages: StoredMessage[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (messages.length === limit) break;
      if (messages.length > 0 && bytes + row.blob.length > maxBytes) break;
      bytes += row.blob.length;
      messages.push({ seq: row.seq, blob: row.blob, receivedAt: row.received_at });
    }
    return { messages, more: rows.length > messages.length };
  }

  /**
   * The fetch statement with `limit` written into its SQL. SQLite's planner reads a bound LIMIT
   * and marks the statement to be prepared again whenever that parameter is bound anew, which
   * would double the cost of every fetch; so the few limits clients use get a statement each
   * (null beyond MAX_FETCH_STATEMENTS of them: the caller binds the limit after all).
   */
  private fetchStatement(limit: number): Database.Statement<[number, number, number, number], MessageRow> | null {
    let stmt = this.fetchByLimit.get(limit);
    if (!stmt && Number.isSafeInteger(limit) && this.fetchByLimit.size < MAX_FETCH_STATEMENTS) {
      stmt = this.db.prepare<[number, number, number, number], MessageRow>(fetchSql(limit));
      this.fetchByLimit.set(limit, stmt);
    }
    return stmt ?? null;
  }

  async ack(mailbox: string, seqs: number[]): Promise<number> {
    return (await this.ackMany([{ mailbox, seqs }]))[0] ?? 0;
  }

  async ackMany(items: { mailbox: string; seqs: number[] }[]): Promise<number[]> {
    return this.writes.write((): number[] => items.map((item) => this.ackOne(item.mailbox, item.seqs)));
  }

  /** Deletes the given seqs of one mailbox (inside a write); returns how many existed. */
  private ackOne(mailbox: string, seqs: number[]): number {
    const mb = this.lookup(mailbox);
    if (!mb || mb.count === 0) return 0;
    // Seqs outside 1 .. MAX_SEQ are none of this mailbox's (as keys they would be another's).
    const runs = seqRuns(seqs);
    let asked = 0;
    for (const [first, last] of runs) asked += last - first + 1;
    let n = 0;
    let top = 0;
    if (asked >= mb.count) {
      // Most likely everything the mailbox holds (a client acks what it fetched): delete without
      // reading sizes first; only if something is left are its bytes counted again (fewer rows
      // than the ack asked for).
      for (const [first, last] of runs) {
        const gone = this.stmts.deleteRun.run(mb.mid, first, mb.mid, last).changes;
        if (gone === 0) continue;
        n += gone;
        top = last;
      }
      if (n === 0) return 0;
      mb.count -= n;
      mb.bytes = mb.count === 0 ? 0 : (this.stmts.stored.get(mb.mid, mb.mid)?.bytes ?? 0);
    } else {
      let bytes = 0;
      for (const [first, last] of runs) {
        const sizes = this.stmts.runSizes.all(mb.mid, first, mb.mid, last);
        if (sizes.length === 0) continue;
        this.stmts.deleteRun.run(mb.mid, first, mb.mid, last);
        for (const size of sizes) bytes += size;
        n += sizes.length;
        top = last;
      }
      if (n === 0) return 0;
      mb.count -= n;
      mb.bytes -= bytes;
    }
    // The highest seq deleted may have been the mailbox's highest: keep it.
    if (top > mb.savedLastSeq) {
      this.stmts.saveLastSeq.run(mb.mid, mb.lastSeq);
      mb.savedLastSeq = mb.lastSeq;
    }
    return n;
  }

  async pending(mailbox: string, now: number): Promise<number> {
    return this.writes.read(() => {
      const mb = this.lookup(mailbox);
      return mb ? (this.stmts.pending.get(mb.mid, mb.mid, now)?.n ?? 0) : 0;
    });
  }

  async putBundle(mailbox: string, blob: Buffer, now: number): Promise<boolean> {
    return this.writes.write((): boolean => {
      const mb = this.lookup(mailbox);
      if (!mb) return false;
      this.stmts.putBundle.run(mb.mid, blob, now);
      return true;
    });
  }

  async peekBundle(mailbox: string, capHash: Buffer): Promise<Buffer | null> {
    return this.writes.read(() => {
      const mb = this.lookup(mailbox);
      if (!mb || !sameHash(mb.record.capHash, capHash)) return null;
      return this.stmts.getBundle.get(mb.mid)?.blob ?? null;
    });
  }

  async deleteMailbox(id: string): Promise<boolean> {
    return this.writes.write((): boolean => {
      const mb = this.lookup(id);
      if (!mb) return false;
      this.mailboxes.delete(id);
      this.stmts.deleteMessages.run(mb.mid, mb.mid);
      this.stmts.deleteBundle.run(mb.mid);
      this.stmts.deleteMailbox.run(mb.mid);
      this.stmts.deleteSeqs.run(mb.mid);
      return true;
    });
  }

  async purgeExpired(now: number): Promise<number> {
    // In chunks, one per group, so a large purge never holds the event loop or the write lock
    // long enough to stall deposits.
    let total = 0;
    for (;;) {
      const n = this.writes.write((): number => {
        const gone = this.stmts.purge.all(now);
        if (gone.length === 0) return 0;
        const top = new Map<number, number>();
        for (const g of gone) top.set(g.mid, Math.max(top.get(g.mid) ?? 0, g.seq));
        for (const [mid, seq] of top) this.stmts.saveLastSeq.run(mid, seq);
        // The counts in memory no longer hold for these mailboxes: read them again when next used.
        this.mailboxes.clear();
        return gone.length;
      });
      await this.writes.durable();
      total += n;
      if (n < PURGE_CHUNK) return total;
    }
  }

  durable(): Promise<void> {
    return this.writes.durable();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    try {
      this.writes.close();
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    } finally {
      this.lock.release();
    }
  }
}
