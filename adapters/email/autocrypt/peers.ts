/**
 * Autocrypt Level 1 peer state ("Updating Autocrypt Peer State", "Key Gossip") and the encryption
 * recommendation, kept in the adapter's state store (namespace `autocrypt-peer`, key: the lowercased
 * address, value: a small JSON record).
 *
 * One deliberate addition to Level 1.1, taken from the earlier Level 1 draft and from Delta Chat: a
 * peer whose newest mail carries no Autocrypt header (while we hold their key) is `reset`, and the
 * recommendation for them is `discourage` at once rather than only after 35 days, because that mail
 * says they now write from a client that may not be able to decrypt.
 */
import type { AdapterStateStore, StateWrite } from '../../contract.ts';
import { LruCache } from '../lru-cache.ts';
import { parseAutocryptHeader, type AutocryptHeader } from './header.ts';

/** What we know about one correspondent (the spec's `peers[addr]`); timestamps in ms. */
export interface PeerState {
  addr: string;
  lastSeen: number;
  autocryptTimestamp: number;
  publicKey: Uint8Array | null;
  preferEncrypt: 'mutual' | 'nopreference' | 'reset';
  gossipKey: Uint8Array | null;
  gossipTimestamp: number;
}

/** The spec's `ui-recommendation`. */
export type Recommendation = 'disable' | 'discourage' | 'available' | 'encrypt';

/** A recipient and the key to encrypt to (the spec's `target-keys`). */
export interface TargetKey {
  addr: string;
  keydata: Uint8Array;
}

export const PEER_NS = 'autocrypt-peer';
/** The spec's staleness window: a key last announced this long before the peer's newest mail. */
export const STALE_AFTER_MS = 35 * 24 * 60 * 60 * 1000;

interface StoredPeer {
  v: 1;
  addr: string;
  lastSeen: number;
  autocryptTimestamp: number;
  publicKey: string | null;
  preferEncrypt: PeerState['preferEncrypt'];
  gossipKey: string | null;
  gossipTimestamp: number;
}

/**
 * Where peer writes go when they should commit with someone else's transaction (the email
 * adapter's batch: MailState implements this). `settled` must be called once the writes were
 * stored (true) or dropped because that transaction failed (false).
 */
export interface StateWriteSink {
  stage(ops: readonly StateWrite[], settled: (committed: boolean) => void): void;
}

/** Peer states kept in memory (≈ 300 bytes each without keys, ≈ 1 KB with a key): the least recently used beyond this are read again. */
const CACHED_PEERS = 5_000;

/** Addresses are compared lowercased (the spec's canonicalization). */
export function canonicalAddress(addr: string): string {
  return addr.trim().toLowerCase();
}

/**
 * Autocrypt peer state over an adapter state store. States read or written stay in memory (the
 * owner of the store is the only writer of this namespace while it runs); with a `sink`, writes
 * join the sink's transaction and are visible here at once, before it commits.
 */
export class AutocryptPeers {
  private readonly self: string | null;
  private readonly sink: StateWriteSink | null;
  /** Stored states by address; null: none stored. */
  private readonly cache = new LruCache<PeerState | null>(CACHED_PEERS);
  /** States handed to the sink and not yet settled: what `get` returns first. */
  private readonly staged = new Map<string, PeerState>();

  /**
   * `selfAddress`: our own address, whose headers and gossip never become peer state. `sink`:
   * where writes go instead of a transaction of their own (see StateWriteSink).
   */
  constructor(
    private readonly store: AdapterStateStore,
    opts: { selfAddress?: string; sink?: StateWriteSink } = {},
  ) {
    this.self = opts.selfAddress ? canonicalAddress(opts.selfAddress) : null;
    this.sink = opts.sink ?? null;
  }

  /**
   * An incoming mail (spec "Updating Autocrypt Peer State"): from address, effective date (ms,
   * clamped to now), the Autocrypt header values found (several valid ones or none valid → as if
   * there were none), whether it is a multipart/report (MDN, DSN: ignored).
   */
  processIncoming(from: string, date: number, autocryptHeaderValues: readonly string[], opts: { isReport: boolean }): void {
    // Reports (MDNs, bounces) are machine-written and would wrongly reset the peer.
    if (opts.isReport) return;
    const addr = canonicalAddress(from);
    if (addr === '' || addr === this.self) return;
    const effective = effectiveDate(date);
    const valid = autocryptHeaderValues
      .map(parseAutocryptHeader)
      .filter((h): h is AutocryptHeader => h !== null && canonicalAddress(h.addr) === addr);
    // More than one valid header is an error: all are discarded (spec, and the FAQ's reasoning).
    const header = valid.length === 1 ? valid[0] : undefined;

    const current = this.get(addr);
    if (current && effective < current.autocryptTimestamp) return; // older than what we know
    const next: PeerState = current ? { ...current } : emptyPeer(addr);
    if (effective > next.lastSeen) next.lastSeen = effective;
    if (header) {
      next.autocryptTimestamp = effective;
      next.publicKey = header.keydata;
    }
    // `reset` exactly when the newest mail we processed is newer than the newest Autocrypt header
    // and there is a key to be wary of. This also covers mail processed out of order.
    if (next.publicKey && next.lastSeen > next.autocryptTimestamp) next.preferEncrypt = 'reset';
    else if (header) next.preferEncrypt = header.preferEncrypt;
    if (!current || !samePeer(current, next)) this.save([next]);
  }

  /** Autocrypt-Gossip header values found inside a decrypted message, for its To/Cc recipients. */
  processGossip(date: number, gossipHeaderValues: readonly string[], recipients: readonly string[]): void {
    const effective = effectiveDate(date);
    const allowed = new Set(recipients.map(canonicalAddress));
    const byAddr = new Map<string, AutocryptHeader[]>();
    for (const value of gossipHeaderValues) {
      const h = parseAutocryptHeader(value);
      if (!h) continue;
      const addr = canonicalAddress(h.addr);
      byAddr.set(addr, [...(byAddr.get(addr) ?? []), h]);
    }
    const changed: PeerState[] = [];
    for (const [addr, headers] of byAddr) {
      // Gossip about someone not addressed by the mail is ignored (spec step 1); two differing
      // gossip headers for one address are ambiguous, so neither is trusted.
      const [h] = headers;
      if (!h || headers.length > 1 || !allowed.has(addr) || addr === this.self) continue;
      const current = this.get(addr);
      if (current && current.gossipTimestamp > effective) continue;
      // Gossip never touches the directly received key or preference: it is a separate slot.
      const next: PeerState = current ? { ...current } : emptyPeer(addr);
      next.gossipTimestamp = effective;
      next.gossipKey = h.keydata;
      if (!current || !samePeer(current, next)) changed.push(next);
    }
    if (changed.length > 0) this.save(changed);
  }

  /** The stored state for an address (or the one staged with the sink), or null. A copy: changing it changes nothing here. */
  get(addr: string): PeerState | null {
    const key = canonicalAddress(addr);
    const peer = this.staged.get(key) ?? this.stored(key);
    return peer && { ...peer };
  }

  private stored(key: string): PeerState | null {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const raw = this.store.get(PEER_NS, key);
    const peer = raw ? decode(raw) : null;
    this.cache.set(key, peer);
    return peer;
  }

  /** Writes new states: in a transaction of their own, or staged with the sink. Each state is a new object, owned here from now on. */
  private save(peers: PeerState[]): void {
    const ops = peers.map((p) => this.op(p));
    if (!this.sink) {
      this.store.write(ops);
      for (const p of peers) this.cache.set(p.addr, p);
      return;
    }
    for (const p of peers) this.staged.set(p.addr, p);
    this.sink.stage(ops, (committed) => {
      for (const p of peers) {
        // A later state for the same address may have been staged since: it stays staged.
        if (this.staged.get(p.addr) === p) this.staged.delete(p.addr);
        if (committed) this.cache.set(p.addr, p);
      }
    });
  }

  /**
   * The spec's recommendation for these recipients (our own address is skipped: we always hold our
   * key); `replyToEncrypted`: the message replies to an encrypted one. No recipients → `encrypt`
   * (a mail to ourselves only can always be encrypted).
   */
  recommend(recipients: readonly string[], opts: { replyToEncrypted: boolean; selfPreferEncrypt: 'mutual' | 'nopreference' }): Recommendation {
    const each = this.others(recipients).map((addr) => this.recommendOne(addr, opts));
    if (each.includes('disable')) return 'disable';
    if (each.every((r) => r === 'encrypt')) return 'encrypt';
    if (each.includes('discourage')) return 'discourage';
    return 'available';
  }

  /**
   * The key to encrypt to for each recipient (the direct key, else the gossiped one), our own
   * address skipped. Throws an Error naming every recipient without a key.
   */
  targetKeys(recipients: readonly string[]): TargetKey[] {
    const keys: TargetKey[] = [];
    const missing: string[] = [];
    for (const addr of this.others(recipients)) {
      const peer = this.get(addr);
      const keydata = peer?.publicKey ?? peer?.gossipKey;
      if (keydata) keys.push({ addr, keydata });
      else missing.push(addr);
    }
    if (missing.length > 0) throw new Error(`No Autocrypt key is known for ${missing.join(', ')}; the mail cannot be encrypted to them.`);
    return keys;
  }

  private recommendOne(addr: string, opts: { replyToEncrypted: boolean; selfPreferEncrypt: 'mutual' | 'nopreference' }): Recommendation {
    const peer = this.get(addr);
    if (!peer || (!peer.publicKey && !peer.gossipKey)) return 'disable';
    let preliminary: 'discourage' | 'available';
    if (!peer.publicKey) preliminary = 'discourage'; // only a third party's word for this key
    else if (peer.preferEncrypt === 'reset' || peer.lastSeen - peer.autocryptTimestamp > STALE_AFTER_MS) preliminary = 'discourage';
    else preliminary = 'available';
    if (opts.replyToEncrypted) return 'encrypt'; // never answer an encrypted mail in the clear by default
    if (preliminary === 'available' && peer.preferEncrypt === 'mutual' && opts.selfPreferEncrypt === 'mutual') return 'encrypt';
    return preliminary;
  }

  /** Distinct canonical recipient addresses other than our own. */
  private others(recipients: readonly string[]): string[] {
    return [...new Set(recipients.map(canonicalAddress))].filter((a) => a !== '' && a !== this.self);
  }

  private op(peer: PeerState): StateWrite {
    return { ns: PEER_NS, key: peer.addr, value: encode(peer) };
  }
}

/** The spec's effective date: the Date header, or now when it is missing or in the future. */
function effectiveDate(date: number): number {
  const now = Date.now();
  return Number.isFinite(date) && date > 0 ? Math.min(date, now) : now;
}

function emptyPeer(addr: string): PeerState {
  return { addr, lastSeen: 0, autocryptTimestamp: 0, publicKey: null, preferEncrypt: 'nopreference', gossipKey: null, gossipTimestamp: 0 };
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

function samePeer(a: PeerState, b: PeerState): boolean {
  return (
    a.lastSeen === b.lastSeen &&
    a.autocryptTimestamp === b.autocryptTimestamp &&
    a.preferEncrypt === b.preferEncrypt &&
    a.gossipTimestamp === b.gossipTimestamp &&
    sameBytes(a.publicKey, b.publicKey) &&
    sameBytes(a.gossipKey, b.gossipKey)
  );
}

function encode(p: PeerState): Uint8Array {
  const stored: StoredPeer = {
    v: 1,
    addr: p.addr,
    lastSeen: p.lastSeen,
    autocryptTimestamp: p.autocryptTimestamp,
    publicKey: p.publicKey && Buffer.from(p.publicKey).toString('base64'),
    preferEncrypt: p.preferEncrypt,
    gossipKey: p.gossipKey && Buffer.from(p.gossipKey).toString('base64'),
    gossipTimestamp: p.gossipTimestamp,
  };
  return new TextEncoder().encode(JSON.stringify(stored));
}

/**
 * A record that does not decode reads as "no state": the next mail from that peer rebuilds it,
 * which is better than making every incoming mail from them fail.
 */
function decode(raw: Uint8Array): PeerState | null {
  let s: unknown;
  try {
    s = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
  if (!isStoredPeer(s)) return null;
  return {
    addr: s.addr,
    lastSeen: s.lastSeen,
    autocryptTimestamp: s.autocryptTimestamp,
    publicKey: s.publicKey === null ? null : new Uint8Array(Buffer.from(s.publicKey, 'base64')),
    preferEncrypt: s.preferEncrypt,
    gossipKey: s.gossipKey === null ? null : new Uint8Array(Buffer.from(s.gossipKey, 'base64')),
    gossipTimestamp: s.gossipTimestamp,
  };
}

function isStoredPeer(s: unknown): s is StoredPeer {
  if (typeof s !== 'object' || s === null) return false;
  const r = s as Record<string, unknown>;
  const keyOrNull = (v: unknown) => v === null || typeof v === 'string';
  return (
    r.v === 1 &&
    typeof r.addr === 'string' &&
    typeof r.lastSeen === 'number' &&
    typeof r.autocryptTimestamp === 'number' &&
    typeof r.gossipTimestamp === 'number' &&
    keyOrNull(r.publicKey) &&
    keyOrNull(r.gossipKey) &&
    (r.preferEncrypt === 'mutual' || r.preferEncrypt === 'nopreference' || r.preferEncrypt === 'reset')
  );
}
