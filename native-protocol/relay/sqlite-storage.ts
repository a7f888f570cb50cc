import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { DepositOutcome, DepositPolicy, DepositRequest, MailboxRecord, RelayStorage, StoredMessage } from './storage.ts';

/** The database file inside the relay's `--data` folder. */
export const RELAY_DB_FILE = 'relay.sqlite';

const SCHEMA_VERSION = 1;

/*
 * Per-mailbox seqs (not a global rowid) so an owner cannot read the relay's total traffic from the
 * gaps between its own seqs. `next_seq` lives on the mailbox row, so a seq is never reused even
 * after every message was acked.
 */
const SCHEMA = `
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
`;

interface MailboxRow {
  id: string;
  receive_key: Buffer;
  cap_hash: Buffer;
}
interface MessageRow {
  seq: number;
  blob: Buffer;
  received_at: number;
}
interface UsageRow {
  n: number;
  bytes: number;
}

const PURGE_CHUNK = 10_000;

/**
 * SQLite storage: WAL with `synchronous = FULL`. In WAL mode FULL fsyncs the WAL on every commit,
 * so a deposit acknowledged to its sender survives not only a SIGKILL of the relay (NORMAL would
 * cover that) but also an OS crash or power loss, which NORMAL does not. The cost is one fsync per
 * transaction — and since deposits, fetches and acks come in batches that are one transaction
 * each, a burst of messages pays one fsync, not one per message.
 */
export class SqliteRelayStorage implements RelayStorage {
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(db: Database.Database) {
    this.db = db;
    this.stmts = {
      insertMailbox: db.prepare('INSERT INTO mailboxes (id, receive_key, cap_hash, created_at) VALUES (?, ?, ?, ?)'),
      getMailbox: db.prepare<[string], MailboxRow>('SELECT id, receive_key, cap_hash FROM mailboxes WHERE id = ?'),
      usage: db.prepare<[string, number], UsageRow>(
        'SELECT count(*) AS n, coalesce(sum(length(blob)), 0) AS bytes FROM messages WHERE mailbox = ? AND expires_at > ?',
      ),
      nextSeq: db.prepare<[string], { next_seq: number }>('UPDATE mailboxes SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq'),
      insertMessage: db.prepare('INSERT INTO messages (mailbox, seq, blob, received_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      fetch: db.prepare<[string, number, number, number], MessageRow>(
        'SELECT seq, blob, received_at FROM messages WHERE mailbox = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
      ),
      ackOne: db.prepare('DELETE FROM messages WHERE mailbox = ? AND seq = ?'),
      deleteMessages: db.prepare('DELETE FROM messages WHERE mailbox = ?'),
      deleteMailbox: db.prepare('DELETE FROM mailboxes WHERE id = ?'),
      purge: db.prepare(`DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE expires_at <= ? LIMIT ${PURGE_CHUNK})`),
    };
  }

  /** Opens (creating if needed) the relay database in `dir`. */
  static open(dir: string): SqliteRelayStorage {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new Database(join(dir, RELAY_DB_FILE));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 0) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      } else if (version !== SCHEMA_VERSION) {
        throw new Error(`relay database schema ${version} is not supported (expected ${SCHEMA_VERSION})`);
      }
      return new SqliteRelayStorage(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async createMailbox(m: MailboxRecord, now: number): Promise<void> {
    this.stmts.insertMailbox.run(m.id, m.receiveKey, m.capHash, now);
  }

  async getMailbox(id: string): Promise<MailboxRecord | null> {
    const row = this.stmts.getMailbox.get(id);
    return row ? { id: row.id, receiveKey: row.receive_key, capHash: row.cap_hash } : null;
  }

  async deposit(items: DepositRequest[], policy: DepositPolicy): Promise<DepositOutcome[]> {
    const run = this.db.transaction((): DepositOutcome[] => {
      const seen = new Map<string, { capHash: Buffer; count: number; bytes: number } | null>();
      return items.map((item): DepositOutcome => {
        let state = seen.get(item.mailbox);
        if (state === undefined) {
          const mb = this.stmts.getMailbox.get(item.mailbox);
          const usage = mb ? this.stmts.usage.get(item.mailbox, policy.now) : undefined;
          state = mb && usage ? { capHash: mb.cap_hash, count: usage.n, bytes: usage.bytes } : null;
          seen.set(item.mailbox, state);
        }
        if (!state || state.capHash.length !== item.capHash.length || !timingSafeEqual(state.capHash, item.capHash)) {
          return { ok: false, code: 'forbidden' };
        }
        if (state.count + 1 > policy.quotaCount || state.bytes + item.blob.length > policy.quotaBytes) {
          return { ok: false, code: 'quota-exceeded' };
        }
        const seq = this.stmts.nextSeq.get(item.mailbox);
        if (!seq) return { ok: false, code: 'forbidden' };
        this.stmts.insertMessage.run(item.mailbox, seq.next_seq, item.blob, policy.now, policy.now + policy.ttlMs);
        state.count += 1;
        state.bytes += item.blob.length;
        return { ok: true };
      });
    });
    return run();
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
    const run = this.db.transaction((): number => {
      let n = 0;
      for (const seq of new Set(seqs)) n += this.stmts.ackOne.run(mailbox, seq).changes;
      return n;
    });
    return run();
  }

  async pending(mailbox: string, now: number): Promise<number> {
    return this.stmts.usage.get(mailbox, now)?.n ?? 0;
  }

  async deleteMailbox(id: string): Promise<boolean> {
    const run = this.db.transaction((): boolean => {
      this.stmts.deleteMessages.run(id);
      return this.stmts.deleteMailbox.run(id).changes > 0;
    });
    return run();
  }

  async purgeExpired(now: number): Promise<number> {
    // In chunks, so a large purge never holds the write lock long enough to stall deposits.
    let total = 0;
    for (;;) {
      const n = this.stmts.purge.run(now).changes;
      total += n;
      if (n < PURGE_CHUNK) return total;
    }
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
