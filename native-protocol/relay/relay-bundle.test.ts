import { randomBytes } from 'node:crypto';
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

/** The refusal's code and message, so "one answer for all" can be checked word for word. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

const KiB = 1024;

beforeAll(async () => {
  dir = makeDataDir();
  relay = await startRelayProcess(dir);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  expect(await relay.stop()).toBe(0);
  removeDir(dir);
});

describe('relay bundles: put-bundle and peek (real process)', () => {
  it('gives the owner\'s bundle blob to a capability holder on another connection, and the latest after a replace', async () => {
    const owner = await connect();
    const accepter = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);
    expect(owner.limits.maxBundleBytes).toBe(16 * KiB);

    const first = randomBytes(2500);
    await owner.putBundle(key, mailbox, first);
    expect(await accepter.peek(mailbox, cap)).toEqual(first);
    // Peeking does not consume it.
    expect(await accepter.peek(mailbox, cap)).toEqual(first);

    const second = Buffer.from('replaced');
    await owner.putBundle(key, mailbox, second);
    expect(await accepter.peek(mailbox, cap)).toEqual(second);

    // A bundle is not a message: nothing to fetch, nothing pending, the seqs are untouched.
    expect((await owner.fetch(key, mailbox)).messages).toEqual([]);
    expect(await owner.subscribe(key, mailbox)).toBe(0);
    await accepter.deposit([{ mailbox, cap, blob: Buffer.from('hello') }]);
    expect((await owner.fetch(key, mailbox)).messages.map((m) => m.seq)).toEqual([1]);
  });

  it('answers a wrong capability, a missing mailbox, a mailbox without bundle and a deleted one with the same forbidden', async () => {
    const owner = await connect();
    const stranger = await connect();
    const key = generateReceiveKey();
    const withBundle = await owner.create(key);
    const without = await owner.create(key);
    await owner.putBundle(key, withBundle.mailbox, Buffer.from('bundle'));

    const answers = [
      await refusal(stranger.peek(withBundle.mailbox, randomBytes(32).toString('base64url'))),
      await refusal(stranger.peek(withBundle.mailbox, without.cap)),
      await refusal(stranger.peek(randomBytes(32).toString('base64url'), withBundle.cap)),
      await refusal(stranger.peek(without.mailbox, without.cap)),
    ];
    await owner.deleteMailbox(key, withBundle.mailbox);
    answers.push(await refusal(stranger.peek(withBundle.mailbox, withBundle.cap)));
    expect(answers.map((a) => a.code)).toEqual(['forbidden', 'forbidden', 'forbidden', 'forbidden', 'forbidden']);
    expect(new Set(answers.map((a) => a.message)).size).toBe(1);
  });

  it('lets only the owner put a bundle, and refuses one over 16 KiB with too-large', async () => {
    const owner = await connect();
    const stranger = await connect();
    const key = generateReceiveKey();
    const { mailbox, cap } = await owner.create(key);

    expect((await refusal(stranger.putBundle(generateReceiveKey(), mailbox, Buffer.from('evil')))).code).toBe('forbidden');
    const forged = { op: 'put-bundle', mailbox, sig: randomBytes(64).toString('base64url'), blob: 'AAAA' };
    expect((await refusal(stranger.request(forged))).code).toBe('forbidden');
    // The owner's fetch signature does not authorize a put-bundle, and neither does one from another connection.
    expect((await refusal(owner.request({ ...forged, sig: owner.sign(key, 'fetch', mailbox) }))).code).toBe('forbidden');
    expect((await refusal(stranger.request({ ...forged, sig: owner.sign(key, 'put-bundle', mailbox) }))).code).toBe('forbidden');
    expect((await refusal(owner.putBundle(key, randomBytes(32).toString('base64url'), Buffer.from('x')))).code).toBe('forbidden');
    expect((await refusal(stranger.peek(mailbox, cap))).code).toBe('forbidden');

    expect((await refusal(owner.putBundle(key, mailbox, Buffer.alloc(16 * KiB + 1)))).code).toBe('too-large');
    expect((await refusal(stranger.peek(mailbox, cap))).code).toBe('forbidden');
    const exact = randomBytes(16 * KiB);
    await owner.putBundle(key, mailbox, exact);
    expect(await stranger.peek(mailbox, cap)).toEqual(exact);
    // A refused replace keeps the old bundle.
    expect((await refusal(owner.putBundle(key, mailbox, Buffer.alloc(20 * KiB)))).code).toBe('too-large');
    expect(await stranger.peek(mailbox, cap)).toEqual(exact);
  });

  it('answers malformed put-bundle and peek frames with bad-frame', async () => {
    const c = await connect();
    const id = randomBytes(32).toString('base64url');
    const sig = randomBytes(64).toString('base64url');
    expect((await refusal(c.request({ op: 'peek', mailbox: id }))).code).toBe('bad-frame');
    expect((await refusal(c.request({ op: 'peek', mailbox: id, cap: 'short' }))).code).toBe('bad-frame');
    expect((await refusal(c.request({ op: 'put-bundle', mailbox: id, sig }))).code).toBe('bad-frame');
    expect((await refusal(c.request({ op: 'put-bundle', mailbox: id, sig, blob: '!!' }))).code).toBe('bad-frame');
    expect((await refusal(c.request({ op: 'put-bundle', mailbox: id, blob: 'AAAA' }))).code).toBe('bad-frame');
  });
});
