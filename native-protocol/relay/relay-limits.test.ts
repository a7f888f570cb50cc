import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError, generateReceiveKey } from './connection.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from './test-support.ts';

let relay: RelayProcess;
let dir: string;
const open: RelayConnection[] = [];

async function connect(): Promise<RelayConnection> {
  const c = await RelayConnection.connect(relay.url);
  open.push(c);
  return c;
}

beforeAll(async () => {
  dir = makeDataDir();
  relay = await startRelayProcess(dir, [
    '--quota-count', '5',
    '--quota-bytes', '3000',
    '--max-message-bytes', '1024',
    '--rate-burst', '50',
    '--rate-per-second', '1',
    '--max-mailboxes-per-connection', '3',
  ]);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  expect(await relay.stop()).toBe(0);
  removeDir(dir);
});

const codes = (rs: { ok: boolean; code?: string }[]): string[] => rs.map((r) => (r.ok ? 'ok' : (r.code ?? '?')));

describe('relay limits (real process)', () => {
  it('gives quota-exceeded past the count quota and stores nothing beyond it', async () => {
    const c = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    const results = await c.deposit(Array.from({ length: 8 }, (_, i) => ({ mailbox, cap, blob: Buffer.from(`m${i}`) })));
    expect(codes(results)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'quota-exceeded', 'quota-exceeded', 'quota-exceeded']);
    expect((await c.fetch(key, mailbox)).messages.map((m) => m.blob.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // Acking frees quota.
    await c.ack(key, mailbox, [1, 2]);
    expect(codes(await c.deposit([{ mailbox, cap, blob: Buffer.from('m5') }]))).toEqual(['ok']);
  });

  it('gives quota-exceeded past the byte quota', async () => {
    const c = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    const results = await c.deposit(Array.from({ length: 5 }, () => ({ mailbox, cap, blob: Buffer.alloc(1000, 1) })));
    expect(codes(results)).toEqual(['ok', 'ok', 'ok', 'quota-exceeded', 'quota-exceeded']);
    expect((await c.fetch(key, mailbox)).messages).toHaveLength(3);
  });

  it('refuses a blob over the message size with too-large and stores nothing', async () => {
    const c = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await c.create(key);
    const results = await c.deposit([
      { mailbox, cap, blob: Buffer.alloc(1025) },
      { mailbox, cap, blob: Buffer.alloc(1024) },
    ]);
    expect(codes(results)).toEqual(['too-large', 'ok']);
    expect((await c.fetch(key, mailbox)).messages.map((m) => m.blob.length)).toEqual([1024]);
  });

  it('rate-limits a connection that spends its token bucket, without affecting others', async () => {
    const greedy = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await greedy.create(key);
    const burst = Array.from({ length: 60 }, () => ({ mailbox, cap, blob: Buffer.from('x') }));
    await expect(greedy.deposit(burst)).rejects.toMatchObject({ code: 'rate-limited' });
    const calm = await connect();
    expect(codes(await calm.deposit([{ mailbox, cap, blob: Buffer.from('y') }]))).toEqual(['ok']);
  });

  it('caps the mailboxes one connection may create', async () => {
    const c = await connect();
    for (let i = 0; i < 3; i++) await c.create(generateReceiveKey());
    const err = await c.create(generateReceiveKey()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('too-many-mailboxes');
  });
});
