import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayConnection, generateReceiveKey } from './connection.ts';
import { RELAY_DB_FILE } from './sqlite-storage.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from './test-support.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function started(dir: string, args: string[] = []): Promise<{ relay: RelayProcess; conn: RelayConnection }> {
  const relay = await startRelayProcess(dir, args);
  const conn = await RelayConnection.connect(relay.url);
  cleanup.push(async () => {
    await conn.close();
    await relay.stop();
  });
  return { relay, conn };
}

describe('relay durability (real process)', () => {
  it('keeps every acknowledged deposit, exactly once, across a SIGKILL', async () => {
    const dir = makeDataDir();
    cleanup.push(async () => removeDir(dir));
    const first = await started(dir);
    const key = generateReceiveKey();
    const { mailbox, cap } = await first.conn.create(key);
    const sent: string[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const items = Array.from({ length: 50 }, (_, i) => ({ mailbox, cap, blob: Buffer.from(`b${batch}-m${i}`) }));
      const results = await first.conn.deposit(items);
      expect(results.every((r) => r.ok)).toBe(true);
      sent.push(...items.map((i) => i.blob.toString()));
    }
    await first.relay.kill();

    const second = await started(dir);
    const { messages, more } = await second.conn.fetch(key, mailbox, { limit: 1000 });
    expect(more).toBe(false);
    expect(messages.map((m) => m.blob.toString())).toEqual(sent);
    expect(new Set(messages.map((m) => m.seq)).size).toBe(sent.length);
  });

  it('never returns an expired message and purges it', async () => {
    const dir = makeDataDir();
    cleanup.push(async () => removeDir(dir));
    const { conn } = await started(dir, ['--ttl-seconds', '1', '--purge-interval-seconds', '1']);
    const key = generateReceiveKey();
    const { mailbox, cap } = await conn.create(key);
    await conn.deposit([{ mailbox, cap, blob: Buffer.from('short-lived') }]);
    expect((await conn.fetch(key, mailbox)).messages).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await conn.fetch(key, mailbox)).messages).toEqual([]);
    expect(await conn.subscribe(key, mailbox)).toBe(0);
    // The periodic purge deletes the row itself (read through a second, read-only connection).
    const db = new Database(join(dir, RELAY_DB_FILE), { readonly: true });
    try {
      const count = (): number => (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      for (let i = 0; i < 40 && count() > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(count()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const dir = makeDataDir();
    cleanup.push(async () => removeDir(dir));
    const relay = await startRelayProcess(dir);
    expect(await relay.stop()).toBe(0);
  });
});
