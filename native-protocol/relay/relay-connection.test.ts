import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError, generateReceiveKey } from './connection.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from './test-support.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A relay of its own: these tests freeze (SIGSTOP) and kill it. */
async function ownRelay(): Promise<RelayProcess> {
  const dir = makeDataDir();
  cleanup.push(() => removeDir(dir));
  const relay = await startRelayProcess(dir);
  cleanup.push(async () => {
    // A frozen process must be thawed to act on SIGTERM; kill() works either way.
    await relay.kill();
  });
  return relay;
}

async function connectTo(relay: RelayProcess, opts: { timeoutMs?: number; pingIntervalMs?: number } = {}): Promise<RelayConnection> {
  const c = await RelayConnection.connect(relay.url, opts);
  cleanup.push(() => c.close());
  return c;
}

function freeze(relay: RelayProcess): void {
  process.kill(relay.pid, 'SIGSTOP');
}

function thaw(relay: RelayProcess): void {
  process.kill(relay.pid, 'SIGCONT');
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e.code;
    throw e;
  }
  return 'resolved';
}

describe('RelayConnection when the relay goes away (real process)', () => {
  it('rejects every request in flight with closed, calls onClose and resolves closed when the relay dies', async () => {
    const relay = await ownRelay();
    const c = await connectTo(relay, { timeoutMs: 30_000 });
    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    let closeCalls = 0;
    c.onClose(() => closeCalls++);

    freeze(relay);
    const inFlight = [
      c.deposit([{ mailbox, cap, blob: Buffer.from('lost?') }]),
      c.fetch(key, mailbox),
      c.ack(key, mailbox, [1]),
      c.subscribe(key, mailbox),
      c.putBundle(key, mailbox, Buffer.from('b')),
      c.peek(mailbox, cap),
    ];
    const codes = Promise.all(inFlight.map(code));
    await relay.kill();

    expect(await codes).toEqual(['closed', 'closed', 'closed', 'closed', 'closed', 'closed']);
    expect((await c.closed).code).toBe(1006);
    expect(closeCalls).toBe(1);
    expect(c.isOpen).toBe(false);
    // Afterwards: refused at once, and a late onClose is called at once.
    expect(await code(c.fetch(key, mailbox))).toBe('closed');
    let late = false;
    c.onClose(() => (late = true));
    expect(late).toBe(true);
  });

  it('drops a connection whose relay stops answering pings, failing its requests with closed (not a timeout)', async () => {
    const relay = await ownRelay();
    const c = await connectTo(relay, { timeoutMs: 60_000, pingIntervalMs: 150 });
    const key = generateReceiveKey();
    const { mailbox } = await c.create(key);
    freeze(relay);
    const started = Date.now();
    expect(await code(c.fetch(key, mailbox))).toBe('closed');
    expect(Date.now() - started).toBeLessThan(5_000);
    await c.closed;
    thaw(relay);
    // The relay itself is fine: a new connection works.
    const again = await connectTo(relay);
    expect(await again.subscribe(key, mailbox)).toBe(0);
  });

  it('keeps a healthy connection open across many ping intervals', async () => {
    const relay = await ownRelay();
    const c = await connectTo(relay, { pingIntervalMs: 50 });
    await new Promise((r) => setTimeout(r, 600));
    expect(c.isOpen).toBe(true);
    const key = generateReceiveKey();
    await c.create(key);
  });

  it('times out a request the relay does not answer, and does not report its late refusal as unattributed', async () => {
    const relay = await ownRelay();
    const c = await connectTo(relay, { timeoutMs: 300, pingIntervalMs: 0 });
    const errors: string[] = [];
    c.onUnattributedError((e) => errors.push(e.code));
    freeze(relay);
    expect(await code(c.fetch(generateReceiveKey(), randomBytes(32).toString('base64url')))).toBe('timeout');
    thaw(relay);
    // Replies come in order: once this one is here, the forbidden reply to the timed-out fetch has come too.
    await c.create(generateReceiveKey());
    expect(errors).toEqual([]);
    // An id-less error is news.
    c.sendRaw('not json');
    await new Promise<void>((resolve) => c.onUnattributedError(() => resolve()));
    expect(errors).toEqual(['bad-frame']);
    expect(c.isOpen).toBe(true);
  });

  it('calls onWaiting for subscribed mailboxes until unsubscribed from it', async () => {
    const relay = await ownRelay();
    const owner = await connectTo(relay);
    const sender = await connectTo(relay);
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    await owner.subscribe(key, mailbox);
    const seen: string[] = [];
    const off = owner.onWaiting((m) => seen.push(m));
    const next = new Promise<void>((resolve) => {
      const offOnce = owner.onWaiting(() => (offOnce(), resolve()));
    });
    await sender.deposit([{ mailbox, cap, blob: Buffer.from('1') }]);
    await next;
    expect(seen).toEqual([mailbox]);
    off();
    await sender.deposit([{ mailbox, cap, blob: Buffer.from('2') }]);
    // A round trip on the owner's connection: any waiting frame sent before its reply has arrived.
    await owner.fetch(key, mailbox);
    expect(seen).toEqual([mailbox]);
  });
});
