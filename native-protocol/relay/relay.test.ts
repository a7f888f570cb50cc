import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError, generateReceiveKey, type ReceiveKey } from './connection.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from './test-support.ts';

let relay: RelayProcess;
let dir: string;
const open: RelayConnection[] = [];

async function connect(): Promise<RelayConnection> {
  const c = await RelayConnection.connect(relay.url);
  open.push(c);
  return c;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  dir = makeDataDir();
  relay = await startRelayProcess(dir);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  expect(await relay.stop()).toBe(0);
  removeDir(dir);
});

describe('relay (real process)', () => {
  it('answers GET /health with 200 JSON', async () => {
    const res = await fetch(`http://127.0.0.1:${relay.port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, protocol: 1 });
    expect((await fetch(`http://127.0.0.1:${relay.port}/nope`)).status).toBe(404);
  });

  it('create → deposit → fetch → ack → gone', async () => {
    const owner = await connect();
    const sender = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    expect(Buffer.from(mailbox, 'base64url')).toHaveLength(32);
    expect(Buffer.from(cap, 'base64url')).toHaveLength(32);

    const blobs = [Buffer.from('one'), Buffer.from('two'), randomBytes(1000)];
    expect(await sender.deposit(blobs.map((blob) => ({ mailbox, cap, blob })))).toEqual([{ ok: true }, { ok: true }, { ok: true }]);

    const { messages, more } = await owner.fetch(key, mailbox);
    expect(more).toBe(false);
    expect(messages.map((m) => m.blob)).toEqual(blobs);
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(Math.abs(messages[0]!.receivedAt - Date.now())).toBeLessThan(60_000);

    expect(await owner.fetch(key, mailbox, { after: 1, limit: 1 })).toMatchObject({ messages: [{ seq: 2 }], more: true });

    expect(await owner.ack(key, mailbox, [1, 2, 3, 3, 99])).toBe(3);
    expect((await owner.fetch(key, mailbox)).messages).toEqual([]);
    // A later deposit never reuses an acked seq.
    await sender.deposit([{ mailbox, cap, blob: Buffer.from('four') }]);
    expect((await owner.fetch(key, mailbox)).messages.map((m) => m.seq)).toEqual([4]);
  });

  it('refuses fetch, ack, subscribe and delete with a wrong key, a forged signature or another connection\'s challenge', async () => {
    const owner = await connect();
    const stranger = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    await owner.deposit([{ mailbox, cap, blob: Buffer.from('secret') }]);

    const wrong: ReceiveKey = generateReceiveKey();
    expect(await refusal(stranger.fetch(wrong, mailbox))).toBe('forbidden');
    expect(await refusal(stranger.ack(wrong, mailbox, [1]))).toBe('forbidden');
    expect(await refusal(stranger.subscribe(wrong, mailbox))).toBe('forbidden');
    expect(await refusal(stranger.deleteMailbox(wrong, mailbox))).toBe('forbidden');

    const forged = randomBytes(64).toString('base64url');
    for (const op of ['fetch', 'ack', 'delete'] as const) {
      expect(await refusal(stranger.request({ op, mailbox, sig: forged, ...(op === 'ack' ? { seqs: [1] } : {}) }))).toBe('forbidden');
    }
    // A signature valid on the owner's connection is worthless on another (different challenge).
    const replayed = owner.sign(key, 'fetch', mailbox);
    expect(await refusal(stranger.request({ op: 'fetch', mailbox, sig: replayed }))).toBe('forbidden');
    // A signature for one op does not authorize another.
    expect(await refusal(owner.request({ op: 'delete', mailbox, sig: replayed }))).toBe('forbidden');
    // The same answer for a mailbox that does not exist.
    expect(await refusal(stranger.fetch(wrong, randomBytes(32).toString('base64url')))).toBe('forbidden');

    expect((await owner.fetch(key, mailbox)).messages.map((m) => m.blob.toString())).toEqual(['secret']);
  });

  it('refuses a deposit with a wrong capability and stores nothing', async () => {
    const owner = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    const other = await owner.create(generateReceiveKey());
    const results = await owner.deposit([
      { mailbox, cap: randomBytes(32).toString('base64url'), blob: Buffer.from('x') },
      { mailbox, cap: other.cap, blob: Buffer.from('y') },
      { mailbox, cap, blob: Buffer.from('z') },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['forbidden', 'forbidden', 'ok']);
    expect((await owner.fetch(key, mailbox)).messages.map((m) => m.blob.toString())).toEqual(['z']);
    // Creating requires proof of the receive key.
    expect(await refusal(owner.request({ op: 'create', receiveKey: key.publicKey, sig: randomBytes(64).toString('base64url') }))).toBe('forbidden');
  });

  it('takes a batch of 500 deposits in one round trip and returns them in order', async () => {
    const owner = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    const items = Array.from({ length: 500 }, (_, i) => ({ mailbox, cap, blob: Buffer.from(`message ${i}`) }));
    const results = await owner.deposit(items);
    expect(results.every((r) => r.ok)).toBe(true);
    const { messages, more } = await owner.fetch(key, mailbox, { limit: 1000 });
    expect(more).toBe(false);
    expect(messages.map((m) => m.blob.toString())).toEqual(items.map((i) => i.blob.toString()));
    expect(await owner.ack(key, mailbox, messages.map((m) => m.seq))).toBe(500);
    expect(await owner.subscribe(key, mailbox)).toBe(0);
  });

  it('answers garbage frames with bad-frame and keeps the connection and others working', async () => {
    const c = await connect();
    const bystander = await connect();
    const errors: string[] = [];
    c.onUnattributedError((e) => errors.push(e.code));
    c.sendRaw('not json');
    c.sendRaw('[1,2,3]');
    c.sendRaw('{"v":1}');
    c.sendRaw('x'.repeat(5 * 1024 * 1024));
    expect(await refusal(c.request({ op: 'teleport' }))).toBe('bad-frame');
    expect(await refusal(c.request({ op: 'fetch', mailbox: 5, sig: 'x' }))).toBe('bad-frame');
    expect(await refusal(c.request({ op: 'deposit', items: [] }))).toBe('bad-frame');
    expect(await refusal(c.request({ op: 'deposit', items: [{ mailbox: 'a', cap: 'b', blob: '!!' }] }))).toBe('bad-frame');
    expect(await refusal(c.request({ op: 'ack', mailbox: 'a'.repeat(43), sig: 'a'.repeat(86), seqs: [-1] }))).toBe('bad-frame');
    expect(await refusal(c.request({ op: 'create', v: 2 }))).toBe('bad-frame');
    expect(errors).toEqual(['bad-frame', 'bad-frame', 'bad-frame', 'bad-frame']);

    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    await bystander.deposit([{ mailbox, cap, blob: Buffer.from('still here') }]);
    expect((await c.fetch(key, mailbox)).messages.map((m) => m.blob.toString())).toEqual(['still here']);
    expect(relay.stderr()).toContain('bad frame');
  });

  it('closes only the socket that sends a frame over the hard limit', async () => {
    const bystander = await connect();
    const huge = await connect();
    const closed = new Promise<void>((resolve) => huge.onClose(resolve));
    huge.sendRaw('x'.repeat(9 * 1024 * 1024));
    await closed;
    const key = generateReceiveKey();
    const { mailbox } = await bystander.create(key);
    expect(await bystander.subscribe(key, mailbox)).toBe(0);
    expect((await fetch(`http://127.0.0.1:${relay.port}/health`)).status).toBe(200);
  });

  it('tells a subscribed connection that something is waiting', async () => {
    const owner = await connect();
    const sender = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    const other = await owner.create(key);
    await sender.deposit([{ mailbox, cap, blob: Buffer.from('early') }]);
    expect(await owner.subscribe(key, mailbox)).toBe(1);
    const woken: string[] = [];
    const waiting = new Promise<void>((resolve) => owner.onWaiting((m) => (woken.push(m), resolve())));
    await sender.deposit([{ mailbox: other.mailbox, cap: other.cap, blob: Buffer.from('unsubscribed') }]);
    await sender.deposit([{ mailbox, cap, blob: Buffer.from('late') }]);
    await waiting;
    expect(woken).toEqual([mailbox]);
    expect((await owner.fetch(key, mailbox)).messages.map((m) => m.blob.toString())).toEqual(['early', 'late']);
  });

  it('deletes a mailbox: deposits and fetches are refused afterwards', async () => {
    const owner = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    await owner.deposit([{ mailbox, cap, blob: Buffer.from('x') }]);
    await owner.deleteMailbox(key, mailbox);
    expect(await owner.deposit([{ mailbox, cap, blob: Buffer.from('y') }])).toMatchObject([{ ok: false, code: 'forbidden' }]);
    expect(await refusal(owner.fetch(key, mailbox))).toBe('forbidden');
  });
});
