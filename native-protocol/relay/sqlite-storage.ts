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
 * gaps between its own seqs. `next_seq` lives on the mailbox row, so a seq is never reused even
 * after every message was acked.
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
];

/** The schema version this relay writes: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

interface MailboxRow {
  id: string;
  receive_key: Buffer;
  cap_hash: Buffer;
}
interface QuotaRow {
  cap_hash: Buffer;
  msg_count: number;
  msg_bytes: number;
}
interface MessageRow {
  seq: number;
  blob: Buffer;
  received_at: number;
}
interface BundleRow {
  cap_hash: Buffer;
  blob: Buffer;
}

const PURGE_CHUNK = 10_000;

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
 * SQLite storage: WAL with `synchronous = FULL`. In WAL mode FULL fsyncs the WAL on every commit,
 * so a deposit acknowledged to its sender survives not only a SIGKILL of the relay (NORMAL would
 * cover that) but also an OS crash or power loss, which NORMAL does not. The cost is one fsync per
 * transaction — and since deposits and acks come in batches, and every write that arrives in one
 * turn of the event loop shares one transaction (GroupCommit), a burst of messages pays one fsync,
 * not one per message or per request. Reads run at once, outside the group.
 */
export class SqliteRelayStorage implements RelayStorage {
  private readonly db: Database.Database;
  private readonly lock: DataLock;
  private readonly writes: GroupCommit;
  private readonly stmts;

  private constructor(db: Database.Database, lock: DataLock) {
    this.db = db;
    this.lock = lock;
    this.writes = new GroupCommit(db);
    this.stmts = {
      insertMailbox: db.prepare('INSERT INTO mailboxes (id, receive_key, cap_hash, created_at) VALUES (?, ?, ?, ?)'),
      getMailbox: db.prepare<[string], MailboxRow>('SELECT id, receive_key, cap_hash FROM mailboxes WHERE id = ?'),
      quota: db.prepare<[string], QuotaRow>('SELECT cap_hash, msg_count, msg_bytes FROM mailboxes WHERE id = ?'),
      pending: db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM messages WHERE mailbox = ? AND expires_at > ?'),
      // Matches only with the right capability hash and room under both quotas. Comparing hashes
      // in SQL is not constant-time, which leaks at most a prefix of SHA-256(cap): no help in
      // finding the capability itself.
      nextSeq: db.prepare<[number, string, Buffer, number, number, number], { next_seq: number }>(
        'UPDATE mailboxes SET next_seq = next_seq + 1, msg_count = msg_count + 1, msg_bytes = msg_bytes + ? ' +
          'WHERE id = ? AND cap_hash = ? AND msg_count < ? AND msg_bytes + ? <= ? RETURNING next_seq',
      ),
      uncount: db.prepare('UPDATE mailboxes SET msg_count = msg_count - ?, msg_bytes = msg_bytes - ? WHERE id = ?'),
      insertMessage: db.prepare('INSERT INTO messages (mailbox, seq, blob, received_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      fetch: db.prepare<[string, number, number, number], MessageRow>(
        'SELECT seq, blob, received_at FROM messages WHERE mailbox = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
      ),
      ackOne: db.prepare<[string, number], { size: number }>('DELETE FROM messages WHERE mailbox = ? AND seq = ? RETURNING length(blob) AS size'),
      deleteMessages: db.prepare('DELETE FROM messages WHERE mailbox = ?'),
      deleteBundle: db.prepare('DELETE FROM bundles WHERE mailbox = ?'),
      // Inserts only for an existing mailbox, so a mailbox deleted meanwhile gives 0 changes, not a constraint error.
      putBundle: db.prepare(
        'INSERT INTO bundles (mailbox, blob, updated_at) SELECT id, ?, ? FROM mailboxes WHERE id = ? ' +
          'ON CONFLICT (mailbox) DO UPDATE SET blob = excluded.blob, updated_at = excluded.updated_at',
      ),
      peekBundle: db.prepare<[string], BundleRow>('SELECT m.cap_hash, b.blob FROM mailboxes m JOIN bundles b ON b.mailbox = m.id WHERE m.id = ?'),
      deleteMailbox: db.prepare('DELETE FROM mailboxes WHERE id = ?'),
      purge: db.prepare<[number], { mailbox: string; size: number }>(
        `DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE expires_at <= ? LIMIT ${PURGE_CHUNK}) RETURNING mailbox, length(blob) AS size`,
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
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
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

  async createMailbox(m: MailboxRecord, now: number): Promise<void> {
    this.writes.write(() => this.stmts.insertMailbox.run(m.id, m.receiveKey, m.capHash, now));
  }

  async getMailbox(id: string): Promise<MailboxRecord | null> {
    const row = this.stmts.getMailbox.get(id);
    return row ? { id: row.id, receiveKey: row.receive_key, capHash: row.cap_hash } : null;
  }

  async deposit(items: DepositRequest[], policy: DepositPolicy): Promise<DepositOutcome[]> {
    return this.writes.write((): DepositOutcome[] =>
      items.map((item): DepositOutcome => {
        const size = item.blob.length;
        // Capability, quota and the next seq in one statement: the common case is one row update
        // and one insert per message.
        const seq = this.stmts.nextSeq.get(size, item.mailbox, item.capHash, policy.quotaCount, size, policy.quotaBytes);
        if (!seq) return this.whyRefused(item);
        this.stmts.insertMessage.run(item.mailbox, seq.next_seq, item.blob, policy.now, policy.now + policy.ttlMs);
        return { ok: true };
      }),
    );
  }

  /** Why the one-statement deposit matched no row: the capability (or mailbox), else the quota. */
  private whyRefused(item: DepositRequest): DepositOutcome {
    const mb = this.stmts.quota.get(item.mailbox);
    if (!mb || mb.cap_hash.length !== item.capHash.length || !timingSafeEqual(mb.cap_hash, item.capHash)) return { ok: false, code: 'forbidden' };
    return { ok: false, code: 'quota-exceeded' };
  }

  async fetch(mailbox: string, after: number, limit: number, maxBytes: number, now: number): Promise<{ messages: StoredMessage[]; more: boolean }> {
    const rows = this.stmts.fetch.all(mailbox, after, now, limit + 1);
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

  async ack(mailbox: string, seqs: number[]): Promise<number> {
    return this.writes.write((): number => {
      let n = 0;
      let bytes = 0;
      for (const seq of new Set(seqs)) {
        const gone = this.stmts.ackOne.get(mailbox, seq);
        if (!gone) continue;
        n += 1;
        bytes += gone.size;
      }
      if (n > 0) this.stmts.uncount.run(n, bytes, mailbox);
      return n;
    });
  }

  async pending(mailbox: string, now: number): Promise<number> {
    return this.stmts.pending.get(mailbox, now)?.n ?? 0;
  }

  async putBundle(mailbox: string, blob: Buffer, now: number): Promise<boolean> {
    return this.writes.write(() => this.stmts.putBundle.run(blob, now, mailbox).changes > 0);
  }

  async peekBundle(mailbox: string, capHash: Buffer): Promise<Buffer | null> {
    const row = this.stmts.peekBundle.get(mailbox);
    if (!row || row.cap_hash.length !== capHash.length || !timingSafeEqual(row.cap_hash, capHash)) return null;
    return row.blob;
  }

  async deleteMailbox(id: string): Promise<boolean> {
    return this.writes.write((): boolean => {
      this.stmts.deleteMessages.run(id);
      this.stmts.deleteBundle.run(id);
      return this.stmts.deleteMailbox.run(id).changes > 0;
    });
  }

  async purgeExpired(now: number): Promise<number> {
    // In chunks, one per group, so a large purge never holds the event loop or the write lock
    // long enough to stall deposits.
    let total = 0;
    for (;;) {
      const n = this.writes.write((): number => {
        const gone = this.stmts.purge.all(now);
        const byMailbox = new Map<string, { n: number; bytes: number }>();
        for (const g of gone) {
          const c = byMailbox.get(g.mailbox) ?? { n: 0, bytes: 0 };
          c.n += 1;
          c.bytes += g.size;
          byMailbox.set(g.mailbox, c);
        }
        for (const [mailbox, c] of byMailbox) this.stmts.uncount.run(c.n, c.bytes, mailbox);
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
