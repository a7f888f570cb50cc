import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayConnection, generateReceiveKey } from '../../native-protocol/relay/connection.ts';
import { makeDataDir, removeDir } from '../../native-protocol/relay/test-support.ts';
import { startRelay, type TestRelay } from './relay.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function relay(opts: Parameters<typeof startRelay>[0] = {}): Promise<TestRelay> {
  const r = await startRelay(opts);
  cleanup.push(() => r.cleanup());
  return r;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test/servers: startRelay', () => {
  it('restarts on the same data folder and port after a SIGKILL, so clients reconnect to the same URL', async () => {
    const r = await relay();
    const url = r.url;
    const key = generateReceiveKey();
    let conn = await RelayConnection.connect(url);
    const { mailbox, cap } = await conn.create(key);
    await conn.putBundle(key, mailbox, Buffer.from('bundle'));

    for (let round = 1; round <= 3; round++) {
      // Busy connections at the moment of the kill leave the port's old sockets in TIME_WAIT.
      const extra = await Promise.all([0, 1, 2].map(() => RelayConnection.connect(url)));
      await Promise.all(extra.map((c) => c.deposit([{ mailbox, cap, blob: Buffer.from(`round ${round}`) }])));
      const oldPid = r.pid;
      await r.kill();
      await conn.closed;
      await Promise.all(extra.map((c) => c.closed));
      expect(running(oldPid)).toBe(false);

      await r.restart();
      expect(r.url).toBe(url);
      expect(r.pid).not.toBe(oldPid);
      conn = await RelayConnection.connect(url);
      const { messages } = await conn.fetch(key, mailbox, { limit: 1000 });
      expect(messages).toHaveLength(3 * round);
      expect((await conn.peek(mailbox, cap)).toString()).toBe('bundle');
    }
    await conn.close();
  });

  it('restart() waits for a port that is briefly held by another socket', async () => {
    const r = await relay();
    const url = r.url;
    await r.kill();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(r.port, '127.0.0.1', resolve));
    const released = new Promise<void>((resolve) => setTimeout(() => squatter.close(() => resolve()), 700));
    await r.restart();
    await released;
    expect(r.url).toBe(url);
    const c = await RelayConnection.connect(url);
    await c.create(generateReceiveKey());
    await c.close();
  });

  it('restart() stops a relay that still runs (SIGTERM) before starting the new one', async () => {
    const r = await relay({ args: ['--quota-count', '1'] });
    const oldPid = r.pid;
    await r.restart();
    expect(running(oldPid)).toBe(false);
    // The extra args are kept across the restart.
    const c = await RelayConnection.connect(r.url);
    const { mailbox, cap } = await c.create(generateReceiveKey());
    const results = await c.deposit([1, 2].map(() => ({ mailbox, cap, blob: Buffer.from('x') })));
    expect(results.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['ok', 'quota-exceeded']);
    await c.close();
  });

  it('cleanup() stops the process and removes only a data folder it made', async () => {
    const own = await startRelay();
    await own.cleanup();
    expect(running(own.pid)).toBe(false);
    expect(existsSync(own.dataDir)).toBe(false);
    await own.cleanup();

    const dir = makeDataDir();
    cleanup.push(() => removeDir(dir));
    const given = await startRelay({ dataDir: dir });
    expect(given.dataDir).toBe(dir);
    await given.cleanup();
    expect(running(given.pid)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });
});
