/**
 * Seqs and message keys since schema 3 (messages keyed by mid · 2^32 + seq, the seq counter kept
 * as `mailbox_seqs.last_seq` and raised only when messages are deleted): a seq is never handed out
 * twice, across acks, purges and crashes; a seq outside 1 .. 2^32 − 1 never reaches another
 * mailbox's messages; a version-2 file is migrated with everything kept.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayConnection, generateReceiveKey, type ReceiveKey } from './connection.ts';
import { RELAY_DB_FILE, SCHEMA_VERSION } from './sqlite-storage.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from './test-support.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function dataDir(): string {
  const dir = makeDataDir();
  cleanup.push(() => removeDir(dir));
  return dir;
}

async function relayOn(dir: string, args: string[] = []): Promise<RelayProcess> {
  const relay = await startRelayProcess(dir, args);
  cleanup.push(async () => void (await relay.stop()));
  return relay;
}

async function connectTo(relay: RelayProcess): Promise<RelayConnection> {
  const c = await RelayConnection.connect(relay.url);
  cleanup.push(() => c.close());
  return c;
}

interface Box {
  key: ReceiveKey;
  mailbox: string;
  cap: string;
}

async function newBox(c: RelayConnection): Promise<Box> {
  const key = generateReceiveKey();
  return { key, ...(await c.create(key)) };
}

async function put(c: RelayConnection, box: Box, ...texts: string[]): Promise<void> {
  const results = await c.deposit(texts.map((t) => ({ mailbox: box.mailbox, cap: box.cap, blob: Buffer.from(t) })));
  expect(results.every((r) => r.ok)).toBe(true);
}

async function seqs(c: RelayConnection, box: Box, after = 0): Promise<number[]> {
  return (await c.fetch(box.key, box.mailbox, { after, limit: 1000 })).messages.map((m) => m.seq);
}

describe('relay seqs (real process)', () => {
  it('never hands a seq out twice: after acks of all, of the highest only, or of none, across a SIGKILL', async () => {
    const dir = dataDir();
    const first = await startRelayProcess(dir);
    const c1 = await RelayConnection.connect(first.url);
    const all = await newBox(c1);
    const highest = await newBox(c1);
    const none = await newBox(c1);
    for (const box of [all, highest, none]) await put(c1, box, 'a', 'b', 'c');
    expect(await c1.ack(all.key, all.mailbox, [1, 2, 3])).toBe(3);
    expect(await c1.ack(highest.key, highest.mailbox, [3])).toBe(1);
    await c1.close();
    await first.kill();

    const second = await relayOn(dir);
    const c2 = await connectTo(second);
    for (const box of [all, highest, none]) await put(c2, box, 'd');
    expect(await seqs(c2, all)).toEqual([4]);
    expect(await seqs(c2, highest)).toEqual([1, 2, 4]);
    expect(await seqs(c2, none)).toEqual([1, 2, 3, 4]);
  });

  it('never hands out a seq the purge deleted, across a SIGKILL', async () => {
    const dir = dataDir();
    const first = await startRelayProcess(dir, ['--ttl-seconds', '1', '--purge-interval-seconds', '1']);
    const c1 = await RelayConnection.connect(first.url);
    const box = await newBox(c1);
    await put(c1, box, 'a', 'b');
    // Wait until the purge has deleted both rows (read through a second, read-only connection).
    const db = new Database(join(dir, RELAY_DB_FILE), { readonly: true });
    try {
      const count = (): number => (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      for (let i = 0; i < 50 && count() > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(count()).toBe(0);
    } finally {
      db.close();
    }
    await c1.close();
    await first.kill();

    const second = await relayOn(dir);
    const c2 = await connectTo(second);
    await put(c2, box, 'c');
    expect(await seqs(c2, box)).toEqual([3]);
  });

  it('keeps seqs outside 1 .. 2^32 − 1 away from the next mailbox (whose messages would have those keys)', async () => {
    const dir = dataDir();
    const relay = await relayOn(dir);
    const c = await connectTo(relay);
    // In a fresh database the first mailbox gets mid 1 and the second mid 2: the second one's
    // message 1 has the key 2 · 2^32 + 1, which is also "mid 1, seq 2^32 + 1".
    const a = await newBox(c);
    const b = await newBox(c);
    await put(c, b, 'not yours');
    const aliases = [2 ** 32 + 1, 2 ** 33 + 1, 2 ** 32, 0, Number.MAX_SAFE_INTEGER];
    expect(await c.ack(a.key, a.mailbox, aliases)).toBe(0);
    for (const after of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) expect(await seqs(c, a, after)).toEqual([]);
    expect(await seqs(c, a)).toEqual([]);
    expect(await seqs(c, b)).toEqual([1]);
  });

  it('acks runs, gaps and repeats of seqs in any order, and counts only what existed', async () => {
    const dir = dataDir();
    const relay = await relayOn(dir, ['--quota-count', '10']);
    const c = await connectTo(relay);
    const box = await newBox(c);
    await put(c, box, ...Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    expect(await c.ack(box.key, box.mailbox, [9, 2, 3, 3, 7, 4, 42, 2])).toBe(5);
    expect(await seqs(c, box)).toEqual([1, 5, 6, 8, 10]);
    // Five gone, so five fit again (the quota counts what is held).
    const results = await c.deposit(Array.from({ length: 6 }, (_, i) => ({ mailbox: box.mailbox, cap: box.cap, blob: Buffer.from(`n${i}`) })));
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'quota-exceeded']);
    expect(await seqs(c, box, 10)).toEqual([11, 12, 13, 14, 15]);
  });

  it('keeps the byte quota right after an ack of all it holds, of more, and of some it holds among others it does not', async () => {
    const dir = dataDir();
    const relay = await relayOn(dir, ['--quota-bytes', '100']);
    const c = await connectTo(relay);
    const box = await newBox(c);
    const deposit = async (...sizes: number[]): Promise<string[]> =>
      (await c.deposit(sizes.map((n) => ({ mailbox: box.mailbox, cap: box.cap, blob: Buffer.alloc(n, 1) })))).map((r) => (r.ok ? 'ok' : r.code));
    expect(await deposit(40, 40, 10)).toEqual(['ok', 'ok', 'ok']);
    // Four seqs asked, two of them held: 40 bytes (seq 1) stay.
    expect(await c.ack(box.key, box.mailbox, [2, 3, 4, 5])).toBe(2);
    expect(await deposit(61, 60, 1)).toEqual(['quota-exceeded', 'ok', 'quota-exceeded']);
    // A refused deposit takes no seq: the 60 bytes are seq 4. All it holds (seqs 1 and 4), and
    // more: nothing stays.
    expect(await seqs(c, box)).toEqual([1, 4]);
    expect(await c.ack(box.key, box.mailbox, [1, 4, 5, 6])).toBe(2);
    expect(await deposit(100, 1)).toEqual(['ok', 'quota-exceeded']);
    expect(await c.ack(box.key, box.mailbox, [5])).toBe(1);
    expect(await deposit(100)).toEqual(['ok']);
    expect(await seqs(c, box)).toEqual([6]);
  });
});

/** The schema of a version-2 relay, frozen here as such a file has it. */
const SCHEMA_V2 = `
CREATE TABLE mailboxes (
  id TEXT PRIMARY KEY,
  receive_key BLOB NOT NULL,
  cap_hash BLOB NOT NULL,
  next_seq INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
, msg_count INTEGER NOT NULL DEFAULT 0, msg_bytes INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE messages (
  mailbox TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  blob BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  UNIQUE (mailbox, seq)
) STRICT;
CREATE INDEX messages_by_expiry ON messages(expires_at);
CREATE TABLE bundles (
  mailbox TEXT PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  blob BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
PRAGMA user_version = 2;
`;

describe('relay database of version 2 (real process)', () => {
  it('migrates mailboxes, messages, seq counters and bundles, and counts the messages against the quota', async () => {
    const dir = dataDir();
    const boxes = Array.from({ length: 3 }, () => ({ key: generateReceiveKey(), mailbox: randomBytes(32).toString('base64url'), cap: randomBytes(32) }));
    const [busy, acked, bundled] = boxes as [(typeof boxes)[number], (typeof boxes)[number], (typeof boxes)[number]];
    const old = new Database(join(dir, RELAY_DB_FILE));
    old.pragma('journal_mode = WAL');
    old.exec(SCHEMA_V2);
    const now = Date.now();
    const insertMailbox = old.prepare('INSERT INTO mailboxes (id, receive_key, cap_hash, next_seq, created_at, msg_count, msg_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const insertMessage = old.prepare('INSERT INTO messages (mailbox, seq, blob, received_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    const hash = (cap: Buffer): Buffer => createHash('sha256').update(cap).digest();
    // busy: seqs 1-3 acked, 4 and 5 waiting; acked: 7 handed out, all acked; bundled: a bundle, one message.
    insertMailbox.run(busy.mailbox, Buffer.from(busy.key.publicKey, 'base64url'), hash(busy.cap), 5, now, 2, 10);
    insertMailbox.run(acked.mailbox, Buffer.from(acked.key.publicKey, 'base64url'), hash(acked.cap), 7, now, 0, 0);
    insertMailbox.run(bundled.mailbox, Buffer.from(bundled.key.publicKey, 'base64url'), hash(bundled.cap), 1, now, 1, 2);
    insertMessage.run(busy.mailbox, 4, Buffer.from('four!'), now - 1000, now + 86_400_000);
    insertMessage.run(busy.mailbox, 5, Buffer.from('five!'), now - 500, now + 86_400_000);
    insertMessage.run(bundled.mailbox, 1, Buffer.from('hi'), now, now + 86_400_000);
    old.prepare('INSERT INTO bundles (mailbox, blob, updated_at) VALUES (?, ?, ?)').run(bundled.mailbox, Buffer.from('invite'), now);
    old.close();

    const relay = await relayOn(dir, ['--quota-count', '3']);
    const c = await connectTo(relay);
    const fetched = await c.fetch(busy.key, busy.mailbox);
    expect(fetched.messages.map((m) => [m.seq, m.blob.toString(), m.receivedAt])).toEqual([
      [4, 'four!', now - 1000],
      [5, 'five!', now - 500],
    ]);
    // Two held: room for one more, which gets the next seq.
    const results = await c.deposit(['six', 'seven'].map((t) => ({ mailbox: busy.mailbox, cap: busy.cap.toString('base64url'), blob: Buffer.from(t) })));
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'quota-exceeded']);
    expect((await c.fetch(busy.key, busy.mailbox, { after: 5 })).messages.map((m) => m.seq)).toEqual([6]);
    // Nothing held, but seqs 1-7 were handed out by the old relay.
    await c.deposit([{ mailbox: acked.mailbox, cap: acked.cap.toString('base64url'), blob: Buffer.from('x') }]);
    expect((await c.fetch(acked.key, acked.mailbox)).messages.map((m) => m.seq)).toEqual([8]);
    expect((await c.peek(bundled.mailbox, bundled.cap.toString('base64url'))).toString()).toBe('invite');
    expect((await c.fetch(bundled.key, bundled.mailbox)).messages.map((m) => m.blob.toString())).toEqual(['hi']);
    // Deleting a migrated mailbox takes its messages and bundle with it.
    await c.deleteMailbox(bundled.key, bundled.mailbox);
    await c.close();
    expect(await relay.stop()).toBe(0);

    const db = new Database(join(dir, RELAY_DB_FILE), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const columns = (table: string): string[] => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((r) => r.name);
      expect(columns('messages')).toEqual(['msg_key', 'blob', 'received_at', 'expires_at']);
      expect(columns('mailboxes')).toEqual(['mid', 'id', 'receive_key', 'cap_hash', 'created_at']);
      expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(4);
      expect(db.prepare('SELECT count(*) FROM bundles').pluck().get()).toBe(0);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
    // And it opens again at the new version, everything in place.
    const again = await relayOn(dir);
    const c2 = await connectTo(again);
    expect(await seqs(c2, { key: busy.key, mailbox: busy.mailbox, cap: '' })).toEqual([4, 5, 6]);
  });
});
