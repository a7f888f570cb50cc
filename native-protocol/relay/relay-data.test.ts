import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayConnection, generateReceiveKey } from './connection.ts';
import { LOCK_FILE } from './data-lock.ts';
import { RELAY_DB_FILE, SCHEMA_VERSION } from './sqlite-storage.ts';
import { RelayStartError, makeDataDir, removeDir, startRelayProcess, type RelayProcess } from './test-support.ts';

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

async function startFailure(dir: string): Promise<RelayStartError> {
  const e = await startRelayProcess(dir).then(
    async (unexpected) => {
      await unexpected.stop();
      throw new Error('the relay started');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RelayStartError);
  return e as RelayStartError;
}

function lockPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid;
}

/** The pid of a process that has exited (and been reaped), so nothing runs under it now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid;
}

describe('relay data folder lock (real processes)', () => {
  it('refuses a second relay on the same folder with a clear message, and leaves the first running', async () => {
    const dir = dataDir();
    const first = await relayOn(dir);
    expect(lockPid(dir)).toBe(first.pid);

    const e = await startFailure(dir);
    expect(e.exitCode).not.toBe(0);
    expect(e.stderr).toContain(`data folder ${dir} is in use by another relay (process ${first.pid})`);

    const c = await connectTo(first);
    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    await c.deposit([{ mailbox, cap, blob: Buffer.from('still mine') }]);
    expect((await c.fetch(key, mailbox)).messages.map((m) => m.blob.toString())).toEqual(['still mine']);
  });

  it('lets exactly one of three relays started at once on a folder with a stale lock run', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: hostname(), startedAt: 0 }));
    const outcomes = await Promise.allSettled([0, 1, 2].map(() => startRelayProcess(dir)));
    const running = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    for (const r of running) cleanup.push(async () => void (await r.stop()));
    expect(running).toHaveLength(1);
    expect(lockPid(dir)).toBe(running[0]!.pid);
    for (const o of outcomes) if (o.status === 'rejected') expect(String(o.reason)).toMatch(/in use by another relay|keeps changing/);
  });

  it('removes its lock on SIGTERM; after a SIGKILL the next relay takes the stale lock over', async () => {
    const dir = dataDir();
    const first = await startRelayProcess(dir);
    expect(await first.stop()).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const second = await startRelayProcess(dir);
    await second.kill();
    expect(lockPid(dir)).toBe(second.pid);
    const third = await relayOn(dir);
    expect(lockPid(dir)).toBe(third.pid);
  });

  it('takes over a lock of a dead pid and a garbage lock file', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: hostname(), startedAt: Date.now() - 60_000 }));
    const a = await startRelayProcess(dir);
    expect(lockPid(dir)).toBe(a.pid);
    await a.kill();

    writeFileSync(join(dir, LOCK_FILE), 'not a lock');
    const b = await relayOn(dir);
    expect(lockPid(dir)).toBe(b.pid);
  });
});

/** The schema of the first relay (user_version 1), frozen here as a file of that version would have it. */
const SCHEMA_V1 = `
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
PRAGMA user_version = 1;
`;

describe('relay quota bookkeeping (real process)', () => {
  it('frees quota when messages are acked or purged after their TTL', async () => {
    const dir = dataDir();
    const relay = await relayOn(dir, ['--quota-count', '2', '--quota-bytes', '100', '--ttl-seconds', '1', '--purge-interval-seconds', '1']);
    const c = await connectTo(relay);
    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    const put = async (blob: Buffer): Promise<string> => {
      const [r] = await c.deposit([{ mailbox, cap, blob }]);
      return r?.ok ? 'ok' : (r?.code ?? '?');
    };
    expect([await put(Buffer.alloc(40)), await put(Buffer.alloc(40)), await put(Buffer.alloc(1))]).toEqual(['ok', 'ok', 'quota-exceeded']);
    expect(await c.ack(key, mailbox, [1])).toBe(1);
    // Bytes count too: 40 stored + 61 is over 100.
    expect([await put(Buffer.alloc(61)), await put(Buffer.alloc(60))]).toEqual(['quota-exceeded', 'ok']);
    expect(await put(Buffer.alloc(1))).toBe('quota-exceeded');
    // Nothing acked; the purge (every second, TTL one second) frees the quota.
    let outcome = 'quota-exceeded';
    for (let i = 0; i < 40 && outcome !== 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      outcome = await put(Buffer.alloc(100));
    }
    expect(outcome).toBe('ok');
  });
});

describe('relay database from an earlier version (real process)', () => {
  it('opens a version-1 file, keeps its mailboxes and messages, counts them against the quota, and adds bundles', async () => {
    const dir = dataDir();
    const key = generateReceiveKey();
    const mailbox = randomBytes(32).toString('base64url');
    const cap = randomBytes(32);
    const old = new Database(join(dir, RELAY_DB_FILE));
    old.pragma('journal_mode = WAL');
    old.exec(SCHEMA_V1);
    old.prepare('INSERT INTO mailboxes (id, receive_key, cap_hash, next_seq, created_at) VALUES (?, ?, ?, 2, ?)').run(
      mailbox,
      Buffer.from(key.publicKey, 'base64url'),
      createHash('sha256').update(cap).digest(),
      Date.now(),
    );
    const insert = old.prepare('INSERT INTO messages (mailbox, seq, blob, received_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    insert.run(mailbox, 1, Buffer.from('from v1 a'), Date.now(), Date.now() + 86_400_000);
    insert.run(mailbox, 2, Buffer.from('from v1 b'), Date.now(), Date.now() + 86_400_000);
    old.close();

    const relay = await relayOn(dir, ['--quota-count', '3']);
    const c = await connectTo(relay);
    expect((await c.fetch(key, mailbox)).messages.map((m) => [m.seq, m.blob.toString()])).toEqual([
      [1, 'from v1 a'],
      [2, 'from v1 b'],
    ]);
    // The two old messages count: room for one more.
    const results = await c.deposit(['new', 'too many'].map((t) => ({ mailbox, cap: cap.toString('base64url'), blob: Buffer.from(t) })));
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'quota-exceeded']);
    expect((await c.fetch(key, mailbox, { after: 2 })).messages.map((m) => m.seq)).toEqual([3]);
    await c.putBundle(key, mailbox, Buffer.from('bundle'));
    expect((await c.peek(mailbox, cap.toString('base64url'))).toString()).toBe('bundle');

    await c.close();
    expect(await relay.stop()).toBe(0);
    const db = new Database(join(dir, RELAY_DB_FILE), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
    // And it opens again at the new version (the bundle kept).
    const again = await relayOn(dir);
    const c2 = await connectTo(again);
    expect((await c2.peek(mailbox, cap.toString('base64url'))).toString()).toBe('bundle');
  });

  it('refuses a database from a newer relay and leaves it untouched', async () => {
    const dir = dataDir();
    const db = new Database(join(dir, RELAY_DB_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const e = await startFailure(dir);
    expect(e.exitCode).not.toBe(0);
    expect(e.stderr).toContain('is newer than this relay');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
