import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection, generateReceiveKey, receiveKeyFromPrivate } from '../relay/connection.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from '../relay/test-support.ts';
import { ClientError } from './client.ts';
import { all, load, RNS, type MailboxRecord, type RelRecord } from './records.ts';
import { connectPair, makeParty, until, type Recorder } from './test-helpers.ts';

let relay: RelayProcess;
let relay2: RelayProcess;
const parties: Recorder[] = [];

beforeAll(async () => {
  [relay, relay2] = await Promise.all([startRelayProcess(makeDataDir()), startRelayProcess(makeDataDir())]);
});
afterAll(async () => {
  for (const p of parties) await p.client.stop();
  for (const r of [relay, relay2]) {
    await r.stop();
    removeDir(r.dataDir);
  }
});

function party(name: string, opts: Parameters<typeof makeParty>[2] & { relays?: string[] } = {}): Recorder {
  const p = makeParty(name, opts.relays ?? [relay.url], opts);
  parties.push(p);
  p.client.start();
  return p;
}

const id = (n: number): string => `01J0000000MSG${String(n).padStart(6, '0')}`;

/** The mailbox Bob reads for his relationship `rid`. */
function bobsMailbox(bob: Recorder, rid: string): MailboxRecord {
  const rel = load<RelRecord>(bob.storage, RNS.rel, rid)!;
  const record = all<MailboxRecord>(bob.storage, RNS.mailbox).find((m) => m.owner.kind === 'pair' && m.owner.rid === rid)!;
  expect(rel.mine?.id).toBe(record.id);
  return record;
}

describe('native client against a real relay', () => {
  it('invite → accept → messages both ways, delivery receipts, matching safety numbers', async () => {
    const alice = party('Alice');
    const bob = party('Bob');
    const { aliceRid, bobRid } = await connectPair(alice, bob);
    await bob.client.sendText(bobRid, id(1), 'hi Alice');
    await alice.client.sendText(aliceRid, id(2), 'hi Bob');
    await until(() => alice.messages.length === 1 && bob.messages.length === 1);
    expect(alice.messages[0]).toMatchObject({ text: 'hi Alice', sender: { name: 'Bob' }, request: false });
    expect(bob.messages[0]!.text).toBe('hi Bob');
    await until(() => bob.deliveries.some((d) => d.id === id(1) && d.state === 'delivered'), 5000, 'delivery receipt');
    const a = alice.client.safetyNumber(aliceRid);
    const b = bob.client.safetyNumber(bobRid);
    expect(a.digits).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(a.digits).toBe(b.digits);
    expect(alice.client.compareScanned(aliceRid, b.qrPayload)).toBe(true);
    // Read receipts up to a message.
    await alice.client.sendReadUpTo(aliceRid, id(1));
    await until(() => bob.deliveries.some((d) => d.id === id(1) && d.state === 'read'), 5000, 'read receipt');
  });

  it('sending is idempotent on the message id', async () => {
    const alice = party('Alice2');
    const bob = party('Bob2');
    const { bobRid } = await connectPair(alice, bob);
    const first = await bob.client.sendText(bobRid, id(7), 'once');
    const again = await bob.client.sendText(bobRid, id(7), 'once');
    expect(again).toEqual(first);
    await until(() => alice.messages.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.messages).toHaveLength(1);
  });

  it('an offline recipient gets 100 messages in order, exactly once, after the sender quit', async () => {
    const alice = party('Alice3');
    const bobStorage = party('Bob3');
    const { aliceRid, bobRid } = await connectPair(alice, bobStorage);
    await bobStorage.client.stop();
    for (let i = 0; i < 100; i++) await alice.client.sendText(aliceRid, id(100 + i), `message ${i}`);
    await alice.client.stop();
    const bobAgain = party('Bob3', { storage: bobStorage.storage });
    await until(() => bobAgain.messages.length >= 100, 15_000, '100 messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(bobAgain.messages.map((m) => m.text)).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i}`));
    expect(bobAgain.messages.every((m) => m.rid === bobRid)).toBe(true);
  });

  it('messages decrypted but not yet confirmed stored are handed over again after a restart, and acked only then', async () => {
    const alice = party('Alice4');
    const bob = party('Bob4', { autoStore: false });
    const { aliceRid } = await connectPair(alice, bob);
    await alice.client.sendText(aliceRid, id(300), 'keep me');
    await until(() => bob.messages.length === 1);
    await bob.client.stop(); // "crash" before core confirmed
    const bob2 = party('Bob4', { storage: bob.storage });
    await until(() => bob2.messages.length === 1, 5000, 'journal replay');
    expect(bob2.messages[0]!.text).toBe('keep me');
    // Confirmed now (autoStore): the journal is empty and the relay copy acknowledged.
    await until(() => bob2.storage.list(RNS.journal).length === 0);
  });

  it('a one-use invite works once; expired and revoked invites are refused', async () => {
    const alice = party('Alice5');
    const bob = party('Bob5');
    const carol = party('Carol5');
    const inv = await alice.client.createInvite({ kind: 'one-use' });
    await bob.client.acceptInvite(inv.link);
    await until(() => alice.client.listInvites().find((i) => i.id === inv.id)?.state === 'used-up', 5000, 'used up');
    await expect(carol.client.acceptInvite(inv.link)).rejects.toThrow(/no longer valid/);

    const timed = await alice.client.createInvite({ kind: 'timed', expiresInSeconds: 60 });
    const late = party('Late5', { now: () => Date.now() + 120_000 });
    await expect(late.client.acceptInvite(timed.link)).rejects.toThrow(/expired/);

    const revoked = await alice.client.createInvite({ kind: 'address' });
    await alice.client.revokeInvite(revoked.id);
    expect(alice.client.listInvites().find((i) => i.id === revoked.id)?.state).toBe('revoked');
    await expect(carol.client.acceptInvite(revoked.link)).rejects.toBeInstanceOf(ClientError);
    await expect(carol.client.acceptInvite('switchboard://invite/1/AAAA')).rejects.toMatchObject({ code: 'invalid' });
    await expect(carol.client.acceptInvite('https://example.org')).rejects.toMatchObject({ code: 'invalid' });
  });

  it('the short form (QR) fetches the invite from the relay', async () => {
    const alice = party('Alice6');
    const bob = party('Bob6');
    const inv = await alice.client.createInvite({ kind: 'one-use' });
    expect(inv.shortLink).toMatch(/^switchboard:\/\/i\/1\//);
    expect(inv.shortLink!.length).toBeLessThan(200);
    const peer = await bob.client.acceptInvite(inv.shortLink!);
    await until(() => bob.client.peer(peer.rid)?.state === 'active');
    expect(peer.name).toBe('Alice6');
  });

  it('an invite flood goes to quarantine; the user accepts or rejects each', async () => {
    const alice = party('Alice7', { floodPerMinute: 3 });
    const inv = await alice.client.createInvite({ kind: 'multi-use', uses: 20 });
    const strangers = Array.from({ length: 5 }, (_, i) => party(`Stranger${i}`));
    for (const s of strangers) await s.client.acceptInvite(inv.link);
    await until(() => alice.client.peers().length === 5, 10_000, 'all five accepts processed');
    await until(() => alice.client.quarantine().length === 2, 5000, 'two in quarantine');
    expect(alice.client.peers().filter((p) => p.state === 'quarantined')).toHaveLength(2);
    // The ones let through are message requests (a multi-use invite is public).
    await until(() => alice.client.peers().filter((p) => p.state === 'active').length === 3);
    expect(alice.client.peers().filter((p) => p.state === 'active').every((p) => p.request)).toBe(true);
    const [first, second] = alice.client.quarantine();
    await alice.client.decideQuarantine([first!.id], true);
    await alice.client.decideQuarantine([second!.id], false);
    expect(alice.client.quarantine()).toHaveLength(0);
    await until(() => alice.client.peers().filter((p) => p.state === 'active').length === 4);
    expect(alice.client.peers()).toHaveLength(4);
  });

  it('garbled, replayed and forged envelopes are refused with a reason; the mailbox keeps working', async () => {
    const alice = party('Alice8');
    const bob = party('Bob8');
    const { aliceRid, bobRid } = await connectPair(alice, bob);
    await bob.client.stop();
    await alice.client.sendText(aliceRid, id(400), 'first');
    const record = bobsMailbox(bob, bobRid);
    const theirs = load<RelRecord>(alice.storage, RNS.rel, aliceRid)!.theirs!;
    const raw = await RelayConnection.connect(relay.url);
    const bobKey = receiveKeyFromPrivate(record.seed);
    const { messages } = await raw.fetch(bobKey, record.id);
    expect(messages).toHaveLength(1);
    const real = messages[0]!.blob;
    const forged = Buffer.from(real);
    forged[40] = forged[40]! ^ 0xff; // flip bits inside the Signal message: its MAC no longer verifies
    const results = await raw.deposit([
      { mailbox: theirs.id, cap: theirs.cap, blob: real }, // a replay of the same envelope
      { mailbox: theirs.id, cap: theirs.cap, blob: Buffer.from('definitely not an envelope') },
      { mailbox: theirs.id, cap: theirs.cap, blob: forged },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    // Someone without the receive key cannot read Bob's mailbox.
    await expect(raw.fetch(generateReceiveKey(), record.id)).rejects.toMatchObject({ code: 'forbidden' });
    await raw.close();
    await alice.client.sendText(aliceRid, id(401), 'second');
    const bob2 = party('Bob8', { storage: bob.storage });
    await until(() => bob2.messages.length === 2, 10_000, 'the two real messages');
    await until(() => bob2.problems.length === 3, 5000, 'three refusals');
    expect(bob2.messages.map((m) => m.text)).toEqual(['first', 'second']);
    expect(bob2.problems.join('\n')).toMatch(/duplicate|old counter|already/i);
    expect(bob2.problems.join('\n')).toMatch(/version|envelope/i);
    expect(bob2.problems.join('\n')).toMatch(/mac|invalid|decrypt/i);
  });

  it('quota exceeded: the sender is told and can send again once the mailbox drains', async () => {
    const small = await startRelayProcess(makeDataDir(), ['--quota-count', '3']);
    try {
      const alice = party('Alice9', { relays: [small.url] });
      const bob = party('Bob9', { relays: [small.url] });
      const { aliceRid } = await connectPair(alice, bob);
      await bob.client.stop();
      for (let i = 0; i < 3; i++) await alice.client.sendText(aliceRid, id(500 + i), `m${i}`);
      const err = await alice.client.sendText(aliceRid, id(503), 'one too many').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClientError);
      expect((err as ClientError).code).toBe('quota');
      expect((err as ClientError).message).toMatch(/quota exceeded/);
      const bob2 = party('Bob9', { storage: bob.storage, relays: [small.url] });
      await until(() => bob2.messages.length === 3);
      // Acknowledged by Bob (after his store confirmed), the mailbox has room again: the retry goes through.
      await until(() => bob2.storage.list(RNS.journal).length === 0);
      await alice.client.sendText(aliceRid, id(503), 'one too many');
      await until(() => bob2.messages.some((m) => m.text === 'one too many'));
    } finally {
      await small.stop();
      removeDir(small.dataDir);
    }
  });

  it('after one side replaces its identity key, the other reports the change and stops trusting it', async () => {
    const alice = party('Alice10');
    const bob = party('Bob10');
    const { aliceRid, bobRid } = await connectPair(alice, bob);
    const before = alice.client.safetyNumber(aliceRid).digits;
    alice.client.setVerified(aliceRid, true);
    expect(alice.client.peer(aliceRid)!.trust).toBe('verified');
    await bob.client.replaceIdentityKey();
    await bob.client.sendText(bobRid, id(600), 'new key, same Bob');
    await until(() => alice.messages.some((m) => m.text === 'new key, same Bob'), 10_000, 'message under the new key');
    expect(alice.client.peer(aliceRid)!.trust).toBe('changed');
    const sn = alice.client.safetyNumber(aliceRid);
    expect(sn.changed).toBe(true);
    expect(sn.digits).not.toBe(before);
    expect(sn.digits).toBe(bob.client.safetyNumber(bobRid).digits);
    await expect(alice.client.sendText(aliceRid, id(601), 'blocked')).rejects.toMatchObject({ code: 'untrusted' });
    alice.client.acknowledgeChange(aliceRid);
    expect(alice.client.peer(aliceRid)!.trust).toBe('tofu');
    await alice.client.sendText(aliceRid, id(601), 'ok now');
    await until(() => bob.messages.some((m) => m.text === 'ok now'));
  });

  it('groups fan out over pairwise sessions; the admin forwards; a removed member receives nothing new', async () => {
    const alice = party('AliceG');
    const bob = party('BobG');
    const carol = party('CarolG');
    const ab = await connectPair(alice, bob);
    const ac = await connectPair(alice, carol);
    const g = await alice.client.createGroup('Book club', [ab.aliceRid, ac.aliceRid]);
    await until(() => bob.client.group(g.gid) !== null && carol.client.group(g.gid) !== null, 5000, 'group known to members');
    await bob.client.sendGroupText(g.gid, id(700), 'hello club');
    await until(() => alice.messages.some((m) => m.text === 'hello club') && carol.messages.some((m) => m.text === 'hello club'), 5000, 'fan-out');
    const atCarol = carol.messages.find((m) => m.text === 'hello club')!;
    expect(atCarol.group).toEqual({ gid: g.gid, name: 'Book club' });
    expect(atCarol.sender.name).toBe('BobG');
    await alice.client.setGroupMembers(g.gid, [ab.aliceRid]);
    await until(() => bob.client.group(g.gid)!.members.length === 2);
    // Carol learns she is out, and nothing about who stays.
    await until(() => carol.client.group(g.gid)!.left, 5000, 'removal notice');
    expect(carol.client.group(g.gid)!.members).toHaveLength(3);
    await expect(carol.client.sendGroupText(g.gid, id(699), 'hello?')).rejects.toMatchObject({ code: 'refused' });
    await alice.client.sendGroupText(g.gid, id(701), 'without carol');
    await bob.client.sendGroupText(g.gid, id(702), 'bob again');
    await until(() => bob.messages.some((m) => m.text === 'without carol') && alice.messages.some((m) => m.text === 'bob again'));
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.messages.map((m) => m.text)).toEqual(['hello club']);
    // A removed member's client that still sends (an old version, or a forged one) is refused.
    const carolRel = carol.client.relationship(ac.bobRid)!;
    await carol.client.sendPayload(carolRel, { k: 'text', id: id(703), t: Date.now(), text: 'still here?', g: g.gid });
    await until(() => alice.problems.some((p) => /not a member/.test(p)), 5000, 'refusal of a removed member');
    expect(alice.messages.some((m) => m.text === 'still here?')).toBe(false);
  });

  it('a stranger who used a public invite cannot put the user in a group before being accepted', async () => {
    const alice = party('AliceS');
    const stranger = party('StrangerS');
    const inv = await alice.client.createInvite({ kind: 'address' });
    const peer = await stranger.client.acceptInvite(inv.link);
    await until(() => stranger.client.peer(peer.rid)?.state === 'active');
    const aliceRid = alice.client.peers()[0]!.rid;
    expect(alice.client.peer(aliceRid)!.request).toBe(true);
    const g = await stranger.client.createGroup('Totally legit', [peer.rid]);
    await until(() => alice.problems.some((p) => /accept their message request first/.test(p)), 5000, 'refusal');
    expect(alice.client.group(g.gid)).toBeNull();
    // Once accepted, a group from them is welcome.
    await alice.client.acceptRequest(aliceRid);
    const g2 = await stranger.client.createGroup('Now fine', [peer.rid]);
    await until(() => alice.client.group(g2.gid) !== null, 5000, 'group after accepting');
  });

  it('a disappearing timer travels with the messages', async () => {
    const alice = party('AliceT');
    const bob = party('BobT');
    const timers: number[] = [];
    bob.client.events.timer = (_ref, s) => timers.push(s);
    const { aliceRid, bobRid } = await connectPair(alice, bob);
    await alice.client.setTimer(aliceRid, 3600);
    await until(() => timers.includes(3600));
    expect(bob.client.peer(bobRid)!.timer).toBe(3600);
    await bob.client.sendText(bobRid, id(800), 'gone in an hour');
    await until(() => alice.messages.some((m) => m.text === 'gone in an hour'));
    expect(alice.messages.find((m) => m.text === 'gone in an hour')!.timer).toBe(3600);
  });

  it('with several relays, new mailboxes go on one that is connected', async () => {
    const down = await startRelayProcess(makeDataDir());
    const carol = party('CarolM', { relays: [down.url, relay.url] });
    await until(() => carol.client.online && carol.client.pool.isUp(down.url), 10_000, 'both relays up');
    await down.kill();
    removeDir(down.dataDir);
    await until(() => !carol.client.pool.isUp(down.url), 10_000, 'one relay down');
    expect(carol.client.online).toBe(true);
    for (let i = 0; i < 4; i++) expect((await carol.client.createInvite({ kind: 'one-use' })).relay).toBe(relay.url);
  });

  it('two relays: each side reads on its own relay and writes to the other', async () => {
    const alice = party('AliceR', { relays: [relay.url] });
    const bob = party('BobR', { relays: [relay2.url] });
    const { aliceRid, bobRid } = await connectPair(alice, bob);
    expect(alice.client.peer(aliceRid)!.relay).toBe(relay2.url);
    expect(bob.client.peer(bobRid)!.relay).toBe(relay.url);
    await alice.client.sendText(aliceRid, id(900), 'across relays');
    await until(() => bob.messages.some((m) => m.text === 'across relays'));
  });
});
