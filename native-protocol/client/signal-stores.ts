/**
 * libsignal's stores over a transaction (`Tx`): identity, sessions, one-time prekeys, signed prekeys
 * and Kyber prekeys. Records are libsignal's own serialisations. Trust follows SPEC §7: a peer's
 * first key is trusted on first use; a different key later is recorded as `changed` and is not
 * trusted for sending until the user acknowledges or verifies it.
 */
import type {
  IdentityKeyPair,
  PrivateKey} from '@signalapp/libsignal-client';
import {
  Direction,
  IdentityChange,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  type ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import { fromCbor, own, toCbor } from './codec.ts';
import type { Tx } from './storage.ts';

export const NS = {
  profile: 'profile',
  session: 'session',
  peerKey: 'peer-key',
  preKey: 'prekey',
  signedPreKey: 'signed-prekey',
  kyberPreKey: 'kyber-prekey',
} as const;

/** How a peer's identity key is trusted. */
export type Trust = 'tofu' | 'verified' | 'changed';

/** What the client knows of a peer's identity key. */
export interface PeerKeyRecord {
  key: Uint8Array;
  trust: Trust;
  /** The key the user last trusted (first seen, acknowledged or verified); differs from `key` when changed. */
  trustedKey: Uint8Array;
  changedAt?: number | undefined;
}

/** Decoded peer-key records by their stored bytes (records are replaced, never mutated). */
const decoded = new WeakMap<Uint8Array, PeerKeyRecord>();

export function readPeerKey(tx: Pick<Tx, 'get'>, name: string): PeerKeyRecord | null {
  const raw = tx.get(NS.peerKey, name);
  if (!raw) return null;
  let r = decoded.get(raw);
  if (!r) {
    r = fromCbor(raw) as PeerKeyRecord;
    decoded.set(raw, r);
  }
  return r;
}

export function writePeerKey(tx: Tx, name: string, r: PeerKeyRecord): void {
  tx.put(NS.peerKey, name, toCbor(r));
}

const key = (id: number): string => String(id).padStart(10, '0');

export class TxSessionStore extends SessionStore {
  constructor(private readonly tx: Tx) {
    super();
  }
  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.tx.put(NS.session, name.name(), record.serialize());
  }
  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const raw = this.tx.get(NS.session, name.name());
    return raw ? SessionRecord.deserialize(own(raw)) : null;
  }
  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const a of addresses) {
      const s = await this.getSession(a);
      if (!s) throw new Error(`no session for ${a.name()}`);
      out.push(s);
    }
    return out;
  }
}

export class TxIdentityStore extends IdentityKeyStore {
  constructor(
    private readonly tx: Tx,
    private readonly pair: IdentityKeyPair,
    private readonly registrationId: number,
    private readonly now: () => number,
  ) {
    super();
  }
  override async getIdentityKey(): Promise<PrivateKey> {
    return this.pair.privateKey;
  }
  override async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  override async saveIdentity(name: ProtocolAddress, k: PublicKey): Promise<IdentityChange> {
    const bytes = k.serialize();
    const known = readPeerKey(this.tx, name.name());
    if (!known) {
      writePeerKey(this.tx, name.name(), { key: bytes, trust: 'tofu', trustedKey: bytes });
      return IdentityChange.NewOrUnchanged;
    }
    if (Buffer.from(known.key).equals(bytes)) return IdentityChange.NewOrUnchanged;
    // A different key from a known peer: never trusted silently (SPEC §7).
    writePeerKey(this.tx, name.name(), { key: bytes, trust: 'changed', trustedKey: known.trustedKey, changedAt: this.now() });
    return IdentityChange.ReplacedExisting;
  }
  override async isTrustedIdentity(name: ProtocolAddress, k: PublicKey, direction: Direction): Promise<boolean> {
    const known = readPeerKey(this.tx, name.name());
    if (!known) return true;
    // Receiving is always allowed: the message is shown, with the change reported as a fact.
    if (direction === Direction.Receiving) return true;
    return known.trust !== 'changed' && Buffer.from(known.key).equals(k.serialize());
  }
  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    const known = readPeerKey(this.tx, name.name());
    return known ? PublicKey.deserialize(own(known.key)) : null;
  }
}

export class TxPreKeyStore extends PreKeyStore {
  constructor(private readonly tx: Tx) {
    super();
  }
  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.tx.put(NS.preKey, key(id), record.serialize());
  }
  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const raw = this.tx.get(NS.preKey, key(id));
    if (!raw) throw new Error(`one-time prekey ${id} is gone (already used)`);
    return PreKeyRecord.deserialize(own(raw));
  }
  override async removePreKey(id: number): Promise<void> {
    this.tx.put(NS.preKey, key(id), null);
  }
}

export class TxSignedPreKeyStore extends SignedPreKeyStore {
  constructor(private readonly tx: Tx) {
    super();
  }
  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.tx.put(NS.signedPreKey, key(id), record.serialize());
  }
  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const raw = this.tx.get(NS.signedPreKey, key(id));
    if (!raw) throw new Error(`signed prekey ${id} is gone`);
    return SignedPreKeyRecord.deserialize(own(raw));
  }
}

export class TxKyberPreKeyStore extends KyberPreKeyStore {
  constructor(private readonly tx: Tx) {
    super();
  }
  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.tx.put(NS.kyberPreKey, key(id), record.serialize());
  }
  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const raw = this.tx.get(NS.kyberPreKey, key(id));
    if (!raw) throw new Error(`Kyber prekey ${id} is gone`);
    return KyberPreKeyRecord.deserialize(own(raw));
  }
  override async markKyberPreKeyUsed(): Promise<void> {
    // Kyber prekeys here belong to one invite (or to the renewal bundle) and are removed with it:
    // a one-use invite's one-time EC prekey already stops a second PQXDH with the same bundle.
  }
}

export function deleteKey(tx: Tx, ns: string, id: number): void {
  tx.put(ns, key(id), null);
}

/** The libsignal stores over one transaction. */
export interface SignalStores {
  session: TxSessionStore;
  identity: TxIdentityStore;
  preKey: TxPreKeyStore;
  signedPreKey: TxSignedPreKeyStore;
  kyberPreKey: TxKyberPreKeyStore;
}

export function storesFor(tx: Tx, pair: IdentityKeyPair, registrationId: number, now: () => number): SignalStores {
  return {
    session: new TxSessionStore(tx),
    identity: new TxIdentityStore(tx, pair, registrationId, now),
    preKey: new TxPreKeyStore(tx),
    signedPreKey: new TxSignedPreKeyStore(tx),
    kyberPreKey: new TxKyberPreKeyStore(tx),
  };
}
