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

beforeAll(async () => {
  dir = makeDataDir();
  relay = await startRelayProcess(dir);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  expect(await relay.stop()).toBe(0);
  removeDir(dir);
});

interface Box {
  key: ReceiveKey;
  mailbox: string;
  cap: string;
}

async function boxes(c: RelayConnection, n: number): Promise<Box[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const key = generateReceiveKey();
      return { key, ...(await c.create(key)) };
    }),
  );
}

const texts = (ms: { blob: Buffer }[]): string[] => ms.map((m) => m.blob.toString());

describe('relay batches across mailboxes: fetch-many and ack-many (real process)', () => {
  it('fetches and acks several mailboxes in one round trip each, with per-mailbox after and results in order', async () => {
    const owner = await connect();
    const sender = await connect();
    const [a, b, c] = await boxes(owner, 3);
    await sender.deposit([
      { mailbox: a!.mailbox, cap: a!.cap, blob: Buffer.from('a1') },
      { mailbox: b!.mailbox, cap: b!.cap, blob: Buffer.from('b1') },
      { mailbox: a!.mailbox, cap: a!.cap, blob: Buffer.from('a2') },
    ]);
    const results = await owner.fetchMany([
      { key: a!.key, mailbox: a!.mailbox },
      { key: b!.key, mailbox: b!.mailbox },
      { key: c!.key, mailbox: c!.mailbox },
      { key: a!.key, mailbox: a!.mailbox, after: 1 },
    ]);
    expect(results.map((r) => (r.ok ? texts(r.messages) : r.code))).toEqual([['a1', 'a2'], ['b1'], [], ['a2']]);
    expect(results.every((r) => r.ok && !r.more)).toBe(true);

    const acked = await owner.ackMany([
      { key: a!.key, mailbox: a!.mailbox, seqs: [1, 2] },
      { key: b!.key, mailbox: b!.mailbox, seqs: [1, 9] },
    ]);
    expect(acked).toEqual([
      { ok: true, deleted: 2 },
      { ok: true, deleted: 1 },
    ]);
    const after = await owner.fetchMany([a!, b!].map((x) => ({ key: x.key, mailbox: x.mailbox })));
    expect(after.map((r) => (r.ok ? r.messages.length : r.code))).toEqual([0, 0]);
  });

  it('refuses per mailbox: a wrong key or an unknown mailbox is forbidden, the others in the frame are served', async () => {
    const owner = await connect();
    const [a] = await boxes(owner, 1);
    await owner.deposit([{ mailbox: a!.mailbox, cap: a!.cap, blob: Buffer.from('mine') }]);
    const stranger = generateReceiveKey();
    const results = await owner.fetchMany([
      { key: stranger, mailbox: a!.mailbox },
      { key: a!.key, mailbox: randomBytes(32).toString('base64url') },
      { key: a!.key, mailbox: a!.mailbox },
    ]);
    expect(results.map((r) => (r.ok ? texts(r.messages) : r.code))).toEqual(['forbidden', 'forbidden', ['mine']]);
    const acks = await owner.ackMany([
      { key: stranger, mailbox: a!.mailbox, seqs: [1] },
      { key: a!.key, mailbox: a!.mailbox, seqs: [1] },
    ]);
    expect(acks.map((r) => (r.ok ? r.deleted : r.code))).toEqual(['forbidden', 1]);
  });

  it('stops adding messages past the frame byte budget and marks the rest more: true', async () => {
    const owner = await connect();
    const list = await boxes(owner, 3);
    // 3 × 6 × 256 KiB = 4.5 MiB waiting: more than one fetch frame carries (4 MiB).
    for (const b of list) {
      await owner.deposit(Array.from({ length: 6 }, () => ({ mailbox: b.mailbox, cap: b.cap, blob: randomBytes(256 * 1024) })));
    }
    const entries = list.map((b) => ({ key: b.key, mailbox: b.mailbox }));
    const first = await owner.fetchMany(entries, { limit: 1000 });
    const got = first.map((r) => (r.ok ? r.messages.length : -1));
    expect(got.reduce((x, y) => x + y, 0)).toBeLessThan(18);
    expect(first.some((r) => r.ok && r.more)).toBe(true);
    // Paging with after gets the rest, and only the rest.
    const second = await owner.fetchMany(
      entries.map((e, i) => {
        const r = first[i]!;
        return { ...e, after: r.ok ? (r.messages.at(-1)?.seq ?? 0) : 0 };
      }),
      { limit: 1000 },
    );
    expect(second.map((r, i) => (r.ok ? r.messages.length : -1) + got[i]!)).toEqual([6, 6, 6]);
  });

  it('answers malformed batch frames with bad-frame', async () => {
    const c = await connect();
    const entry = { mailbox: randomBytes(32).toString('base64url'), sig: randomBytes(64).toString('base64url') };
    const code = async (body: Record<string, unknown>): Promise<string> => {
      try {
        await c.request(body);
        return 'ok';
      } catch (e) {
        return e instanceof RelayError ? e.code : 'thrown';
      }
    };
    expect(await code({ op: 'fetch-many', mailboxes: [] })).toBe('bad-frame');
    expect(await code({ op: 'fetch-many', mailboxes: [{ ...entry, after: -1 }] })).toBe('bad-frame');
    expect(await code({ op: 'fetch-many', mailboxes: Array.from({ length: 1001 }, () => entry) })).toBe('bad-frame');
    expect(await code({ op: 'ack-many', items: [{ ...entry, seqs: [] }] })).toBe('bad-frame');
    // The seq limit counts over all items.
    expect(await code({ op: 'ack-many', items: [600, 401].map((n) => ({ ...entry, seqs: Array.from({ length: n }, (_, i) => i) })) })).toBe('bad-frame');
    expect(await code({ op: 'ack-many', items: [{ ...entry, seqs: [1] }] })).toBe('ok');
  });
});

describe('waiting (real process)', () => {
  it('is sent once per mailbox until the connection fetches it, then again for the next deposit', async () => {
    const owner = await connect();
    const sender = await connect();
    const [a, b] = await boxes(owner, 2);
    await owner.subscribe(a!.key, a!.mailbox);
    await owner.subscribe(b!.key, b!.mailbox);
    const seen: string[] = [];
    owner.onWaiting((m) => seen.push(m === a!.mailbox ? 'a' : 'b'));
    for (let i = 0; i < 3; i++) await sender.deposit([{ mailbox: a!.mailbox, cap: a!.cap, blob: Buffer.from(`a${i}`) }]);
    await sender.deposit([{ mailbox: b!.mailbox, cap: b!.cap, blob: Buffer.from('b0') }]);
    // A round trip on the owner's connection: every waiting sent before its reply is here.
    expect(texts((await owner.fetch(a!.key, a!.mailbox)).messages)).toEqual(['a0', 'a1', 'a2']);
    expect(seen).toEqual(['a', 'b']);
    await sender.deposit([{ mailbox: a!.mailbox, cap: a!.cap, blob: Buffer.from('a3') }]);
    await sender.deposit([{ mailbox: b!.mailbox, cap: b!.cap, blob: Buffer.from('b1') }]);
    const [ra] = await owner.fetchMany([{ key: a!.key, mailbox: a!.mailbox, after: 3 }]);
    expect(ra?.ok && texts(ra.messages)).toEqual(['a3']);
    // a was fetched, so it woke again; b was not, so it stayed quiet.
    expect(seen).toEqual(['a', 'b', 'a']);
  });
});
