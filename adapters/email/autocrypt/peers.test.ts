import { generateKey } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAutocryptHeader } from './header.ts';
import { MemoryStateStore } from './memory-store.ts';
import { MailState } from '../mail-state.ts';
import { AutocryptPeers, PEER_NS, STALE_AFTER_MS, type PeerState } from './peers.ts';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2024, 0, 1);
const SELF = { replyToEncrypted: false, selfPreferEncrypt: 'mutual' } as const;

let bobKey: Uint8Array;
let bobKey2: Uint8Array;
let carolKey: Uint8Array;

async function publicKey(email: string): Promise<Uint8Array> {
  return (await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email }], format: 'binary' })).publicKey;
}

beforeAll(async () => {
  [bobKey, bobKey2, carolKey] = await Promise.all([publicKey('bob@example.net'), publicKey('bob@example.net'), publicKey('carol@example.com')]);
});

const header = (addr: string, keydata: Uint8Array, preferEncrypt: 'mutual' | 'nopreference' = 'mutual') =>
  formatAutocryptHeader({ addr, preferEncrypt, keydata });
const same = (a: Uint8Array | null | undefined, b: Uint8Array) => a != null && Buffer.from(a).equals(Buffer.from(b));

describe('AutocryptPeers.processIncoming', () => {
  it('stores the key, preference and timestamps of a first mail with a header, under the lowercased address', () => {
    const store = new MemoryStateStore();
    const peers = new AutocryptPeers(store);
    peers.processIncoming('Bob@Example.NET', T0, [header('bob@example.net', bobKey)], { isReport: false });
    const bob = peers.get('bob@example.net');
    expect(bob).toMatchObject({ addr: 'bob@example.net', lastSeen: T0, autocryptTimestamp: T0, preferEncrypt: 'mutual', gossipKey: null });
    expect(same(bob?.publicKey, bobKey)).toBe(true);
    expect(store.list(PEER_NS).map(([k]) => k)).toEqual(['bob@example.net']);
  });

  it('resets the preference when a later mail has no header, and a later header restores it', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    peers.processIncoming('bob@example.net', T0 + DAY, [], { isReport: false });
    expect(peers.get('bob@example.net')).toMatchObject({ preferEncrypt: 'reset', lastSeen: T0 + DAY, autocryptTimestamp: T0 });
    expect(same(peers.get('bob@example.net')?.publicKey, bobKey)).toBe(true); // the key stays

    peers.processIncoming('bob@example.net', T0 + 2 * DAY, [header('bob@example.net', bobKey, 'nopreference')], { isReport: false });
    expect(peers.get('bob@example.net')).toMatchObject({ preferEncrypt: 'nopreference', lastSeen: T0 + 2 * DAY, autocryptTimestamp: T0 + 2 * DAY });
  });

  it('does not let an older mail overwrite newer state', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processIncoming('bob@example.net', T0 + DAY, [header('bob@example.net', bobKey2)], { isReport: false });
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey, 'nopreference')], { isReport: false });
    peers.processIncoming('bob@example.net', T0, [], { isReport: false });
    const bob = peers.get('bob@example.net');
    expect(bob).toMatchObject({ preferEncrypt: 'mutual', lastSeen: T0 + DAY, autocryptTimestamp: T0 + DAY });
    expect(same(bob?.publicKey, bobKey2)).toBe(true);
  });

  it('handles mail processed out of order: an older header after a newer plain mail takes the key but stays reset', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processIncoming('bob@example.net', T0 + DAY, [], { isReport: false });
    expect(peers.get('bob@example.net')).toMatchObject({ publicKey: null, preferEncrypt: 'nopreference', lastSeen: T0 + DAY });
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    expect(peers.get('bob@example.net')).toMatchObject({ preferEncrypt: 'reset', lastSeen: T0 + DAY, autocryptTimestamp: T0 });
  });

  it('ignores reports (MDN, DSN): they neither reset nor create state', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    peers.processIncoming('bob@example.net', T0 + DAY, [], { isReport: true });
    peers.processIncoming('carol@example.com', T0, [header('carol@example.com', carolKey)], { isReport: true });
    expect(peers.get('bob@example.net')).toMatchObject({ preferEncrypt: 'mutual', lastSeen: T0 });
    expect(peers.get('carol@example.com')).toBeNull();
  });

  it('treats several valid headers, a header for another address, or a malformed one as no header', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey), header('bob@example.net', bobKey2)], { isReport: false });
    expect(peers.get('bob@example.net')?.publicKey).toBeNull();
    peers.processIncoming('bob@example.net', T0 + 1, [header('carol@example.com', carolKey)], { isReport: false });
    peers.processIncoming('bob@example.net', T0 + 2, ['addr=bob@example.net; critical=yes; keydata=AAAA'], { isReport: false });
    expect(peers.get('bob@example.net')).toMatchObject({ publicKey: null, lastSeen: T0 + 2 });
    // A malformed one beside a valid one does not count: the valid one is used.
    peers.processIncoming('bob@example.net', T0 + 3, ['garbage', header('bob@example.net', bobKey)], { isReport: false });
    expect(same(peers.get('bob@example.net')?.publicKey, bobKey)).toBe(true);
  });

  it('clamps a future date to now', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    const before = Date.now();
    peers.processIncoming('bob@example.net', Date.now() + 365 * DAY, [header('bob@example.net', bobKey)], { isReport: false });
    const bob = peers.get('bob@example.net');
    expect(bob?.lastSeen).toBeGreaterThanOrEqual(before);
    expect(bob?.lastSeen).toBeLessThanOrEqual(Date.now());
  });

  it('never records our own address', () => {
    const peers = new AutocryptPeers(new MemoryStateStore(), { selfAddress: 'Bob@example.net' });
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    peers.processGossip(T0, [header('bob@example.net', bobKey)], ['bob@example.net']);
    expect(peers.get('bob@example.net')).toBeNull();
  });
});

describe('AutocryptPeers.processGossip', () => {
  it('stores gossip separately and never overrides a direct key or preference', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    peers.processGossip(T0 + DAY, [header('bob@example.net', bobKey2, 'nopreference'), header('carol@example.com', carolKey)], ['bob@example.net', 'carol@example.com']);
    const bob = peers.get('bob@example.net');
    expect(same(bob?.publicKey, bobKey)).toBe(true);
    expect(same(bob?.gossipKey, bobKey2)).toBe(true);
    expect(bob).toMatchObject({ preferEncrypt: 'mutual', gossipTimestamp: T0 + DAY, lastSeen: T0 });
    const carol = peers.get('carol@example.com');
    expect(carol).toMatchObject({ publicKey: null, lastSeen: 0, autocryptTimestamp: 0, gossipTimestamp: T0 + DAY });
    expect(same(carol?.gossipKey, carolKey)).toBe(true);
  });

  it('ignores gossip about non-recipients and older gossip', () => {
    const peers = new AutocryptPeers(new MemoryStateStore());
    peers.processGossip(T0, [header('carol@example.com', carolKey)], ['bob@example.net']);
    expect(peers.get('carol@example.com')).toBeNull();
    peers.processGossip(T0 + DAY, [header('bob@example.net', bobKey2)], ['Bob@example.net']);
    peers.processGossip(T0, [header('bob@example.net', bobKey)], ['bob@example.net']);
    expect(same(peers.get('bob@example.net')?.gossipKey, bobKey2)).toBe(true);
  });
});

describe('AutocryptPeers.recommend', () => {
  function peersWith(...setup: ((p: AutocryptPeers) => void)[]): AutocryptPeers {
    const peers = new AutocryptPeers(new MemoryStateStore());
    for (const s of setup) s(peers);
    return peers;
  }
  const bobSays = (pref: 'mutual' | 'nopreference', at = T0) => (p: AutocryptPeers) =>
    p.processIncoming('bob@example.net', at, [header('bob@example.net', bobKey, pref)], { isReport: false });
  const carolSays = (pref: 'mutual' | 'nopreference') => (p: AutocryptPeers) =>
    p.processIncoming('carol@example.com', T0, [header('carol@example.com', carolKey, pref)], { isReport: false });

  it('disables without a key', () => {
    const peers = peersWith((p) => p.processIncoming('bob@example.net', T0, [], { isReport: false }));
    expect(peers.recommend(['bob@example.net'], SELF)).toBe('disable');
    expect(peers.recommend(['nobody@example.org'], SELF)).toBe('disable');
    expect(() => peers.targetKeys(['bob@example.net', 'nobody@example.org'])).toThrow(/bob@example.net, nobody@example.org/);
  });

  it('encrypts when both sides are mutual; available when either is nopreference', () => {
    expect(peersWith(bobSays('mutual')).recommend(['bob@example.net'], SELF)).toBe('encrypt');
    expect(peersWith(bobSays('nopreference')).recommend(['bob@example.net'], SELF)).toBe('available');
    expect(peersWith(bobSays('mutual')).recommend(['bob@example.net'], { ...SELF, selfPreferEncrypt: 'nopreference' })).toBe('available');
  });

  it('discourages after a reset and when the key is stale, and with only a gossiped key', () => {
    const reset = peersWith(bobSays('mutual'), (p) => p.processIncoming('bob@example.net', T0 + DAY, [], { isReport: false }));
    expect(reset.recommend(['bob@example.net'], SELF)).toBe('discourage');
    const stale = peersWith(bobSays('mutual'), (p) => p.processIncoming('bob@example.net', T0 + STALE_AFTER_MS + DAY, [], { isReport: false }));
    expect(stale.recommend(['bob@example.net'], SELF)).toBe('discourage');
    const gossipOnly = peersWith((p) => p.processGossip(T0, [header('carol@example.com', carolKey)], ['carol@example.com']));
    expect(gossipOnly.recommend(['carol@example.com'], SELF)).toBe('discourage');
    expect(same(gossipOnly.targetKeys(['carol@example.com'])[0]?.keydata, carolKey)).toBe(true);
  });

  it('encrypts a reply to an encrypted mail whenever a key exists', () => {
    const reset = peersWith(bobSays('nopreference'), (p) => p.processIncoming('bob@example.net', T0 + DAY, [], { isReport: false }));
    expect(reset.recommend(['bob@example.net'], { ...SELF, replyToEncrypted: true })).toBe('encrypt');
    expect(reset.recommend(['nobody@example.org'], { ...SELF, replyToEncrypted: true })).toBe('disable');
  });

  it('combines recipients: any disable wins, then all encrypt, then any discourage', () => {
    expect(peersWith(bobSays('mutual'), carolSays('mutual')).recommend(['bob@example.net', 'carol@example.com'], SELF)).toBe('encrypt');
    expect(peersWith(bobSays('mutual'), carolSays('nopreference')).recommend(['bob@example.net', 'carol@example.com'], SELF)).toBe('available');
    expect(peersWith(bobSays('mutual')).recommend(['bob@example.net', 'carol@example.com'], SELF)).toBe('disable');
    const mixed = peersWith(bobSays('mutual'), (p) => p.processGossip(T0, [header('carol@example.com', carolKey)], ['carol@example.com']));
    expect(mixed.recommend(['bob@example.net', 'carol@example.com'], SELF)).toBe('discourage');
  });

  it('prefers the direct key over gossip as the target key', () => {
    const peers = peersWith(bobSays('mutual'), (p) => p.processGossip(T0 + DAY, [header('bob@example.net', bobKey2)], ['bob@example.net']));
    expect(same(peers.targetKeys(['bob@example.net'])[0]?.keydata, bobKey)).toBe(true);
  });
});

describe('AutocryptPeers in memory and with a write sink', () => {
  /** A memory store that counts reads and write transactions. */
  function counting(): MemoryStateStore & { gets: number; writes: number } {
    const store = Object.assign(new MemoryStateStore(), { gets: 0, writes: 0 });
    const get = store.get.bind(store);
    const write = store.write.bind(store);
    store.get = (ns, key) => (store.gets++, get(ns, key));
    store.write = (ops) => (store.writes++, write(ops));
    return store;
  }

  it('reads a peer from the store once', () => {
    const store = counting();
    new AutocryptPeers(store).processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    const peers = new AutocryptPeers(store);
    store.gets = 0;
    for (let i = 0; i < 3; i++) {
      expect(peers.get('Bob@example.net')?.lastSeen).toBe(T0);
      expect(peers.get('nobody@example.net')).toBeNull();
    }
    peers.processIncoming('bob@example.net', T0 + DAY, [header('bob@example.net', bobKey)], { isReport: false });
    expect(peers.get('bob@example.net')?.lastSeen).toBe(T0 + DAY);
    expect(store.gets).toBe(2);
    // What get returns is a copy.
    const bob = peers.get('bob@example.net');
    if (bob) bob.preferEncrypt = 'reset';
    expect(peers.get('bob@example.net')?.preferEncrypt).toBe('mutual');
  });

  it('stages writes with the sink, shows them at once, and commits them with the sink', () => {
    const store = counting();
    const state = new MailState(store);
    const peers = new AutocryptPeers(store, { sink: state });
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    peers.processGossip(T0, [header('carol@example.com', carolKey)], ['carol@example.com']);
    state.setRoot('m@x', 'm@x');
    expect(store.writes).toBe(0);
    expect(store.list(PEER_NS)).toEqual([]);
    expect(peers.recommend(['bob@example.net'], SELF)).toBe('encrypt');
    expect(same(peers.targetKeys(['carol@example.com'])[0]?.keydata, carolKey)).toBe(true);
    state.flush();
    expect(store.writes).toBe(1);
    expect(store.list(PEER_NS).map(([k]) => k)).toEqual(['bob@example.net', 'carol@example.com']);
    const fresh = new AutocryptPeers(store);
    expect(fresh.get('bob@example.net')).toEqual(peers.get('bob@example.net'));
    expect(fresh.get('carol@example.com')).toEqual(peers.get('carol@example.com'));
  });

  it('drops staged states when the sink fails to commit them', () => {
    const store = counting();
    const state = new MailState(store);
    const peers = new AutocryptPeers(store, { sink: state });
    peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false });
    state.flush();
    peers.processIncoming('bob@example.net', T0 + DAY, [], { isReport: false });
    expect(peers.get('bob@example.net')?.preferEncrypt).toBe('reset');
    const write = store.write.bind(store);
    store.write = () => {
      throw new Error('disk full');
    };
    expect(() => state.flush()).toThrow('disk full');
    store.write = write;
    expect(peers.get('bob@example.net')).toMatchObject({ preferEncrypt: 'mutual', lastSeen: T0 });
  });

  it('reaches the same states with a sink as without', () => {
    const run = (withSink: boolean): (PeerState | null)[] => {
      const store = new MemoryStateStore();
      const state = new MailState(store);
      const peers = new AutocryptPeers(store, withSink ? { sink: state } : {});
      const steps: (() => void)[] = [
        () => peers.processIncoming('bob@example.net', T0, [header('bob@example.net', bobKey)], { isReport: false }),
        () => peers.processIncoming('bob@example.net', T0 + DAY, [], { isReport: false }),
        () => peers.processGossip(T0 + DAY, [header('bob@example.net', bobKey2), header('carol@example.com', carolKey)], ['bob@example.net', 'carol@example.com']),
        () => peers.processIncoming('bob@example.net', T0 - DAY, [header('bob@example.net', bobKey2, 'nopreference')], { isReport: false }),
        () => peers.processIncoming('carol@example.com', T0 + 2 * DAY, [header('carol@example.com', carolKey)], { isReport: false }),
        () => peers.processIncoming('bob@example.net', T0 + 3 * DAY, [header('bob@example.net', bobKey2)], { isReport: false }),
      ];
      steps.forEach((step, i) => {
        step();
        if (i % 2 === 1) state.flush(); // batches of two
      });
      state.flush();
      const reread = new AutocryptPeers(store);
      return ['bob@example.net', 'carol@example.com'].map((a) => reread.get(a));
    };
    expect(run(true)).toEqual(run(false));
  });
});
