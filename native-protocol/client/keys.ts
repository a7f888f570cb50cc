/** The profile's identity and the prekeys it hands out in invites and renewal bundles. */
import { randomInt } from 'node:crypto';
import {
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PrivateKey,
  PublicKey,
  SignedPreKeyRecord,
  KEMPublicKey,
} from '@signalapp/libsignal-client';
import { fromCbor, own, toCbor } from './codec.ts';
import { NS, deleteKey } from './signal-stores.ts';
import type { ClientStorage, Tx } from './storage.ts';

/** libsignal device id: one profile is one device (SPEC §1). */
export const DEVICE_ID = 1;

export interface Profile {
  pair: IdentityKeyPair;
  registrationId: number;
  displayName: string;
}

interface StoredProfile {
  pair: Uint8Array;
  registrationId: number;
  displayName: string;
  nextKeyId: number;
}

/** Loads the profile's identity, making one on first use. */
export function loadOrCreateProfile(storage: ClientStorage, displayName: string): Profile {
  const raw = storage.get(NS.profile, 'identity');
  if (raw) {
    const p = fromCbor(raw) as StoredProfile;
    if (p.displayName !== displayName && displayName !== '') {
      storage.write([{ ns: NS.profile, key: 'identity', value: toCbor({ ...p, displayName }) }]);
    }
    return { pair: IdentityKeyPair.deserialize(own(p.pair)), registrationId: p.registrationId, displayName: displayName || p.displayName };
  }
  const pair = IdentityKeyPair.generate();
  const stored: StoredProfile = { pair: pair.serialize(), registrationId: randomInt(1, 16_380), displayName, nextKeyId: 1 };
  storage.write([{ ns: NS.profile, key: 'identity', value: toCbor(stored) }]);
  return { pair, registrationId: stored.registrationId, displayName };
}

/** Replaces the identity key (a reinstall without keys, or a test of key change); contacts see it change. */
export function replaceIdentity(tx: Tx, profile: Profile): Profile {
  const raw = tx.get(NS.profile, 'identity');
  if (!raw) throw new Error('no profile');
  const p = fromCbor(raw) as StoredProfile;
  const pair = IdentityKeyPair.generate();
  tx.put(NS.profile, 'identity', toCbor({ ...p, pair: pair.serialize() }));
  return { ...profile, pair };
}

/** Key ids are allocated from one counter per profile (within libsignal's 24-bit range, then wrapping). */
function allocateIds(tx: Tx, n: number): number[] {
  const raw = tx.get(NS.profile, 'identity');
  if (!raw) throw new Error('no profile');
  const p = fromCbor(raw) as StoredProfile;
  const ids: number[] = [];
  let next = p.nextKeyId;
  for (let i = 0; i < n; i++) {
    ids.push(next);
    next = next >= 0xff_fff0 ? 1 : next + 1;
  }
  tx.put(NS.profile, 'identity', toCbor({ ...p, nextKeyId: next }));
  return ids;
}

/** The public half of a prekey bundle as carried in invites and hello messages (SPEC §4). */
export interface BundleFields {
  reg: number;
  ik: Uint8Array;
  spk: { id: number; key: Uint8Array; sig: Uint8Array };
  kpk: { id: number; key: Uint8Array; sig: Uint8Array };
  opk?: { id: number; key: Uint8Array } | undefined;
}

/** Which private keys a bundle used, so they can be deleted with the invite. */
export interface BundleKeyIds {
  signed: number;
  kyber: number;
  oneTime?: number | undefined;
}

/** Makes and stores a fresh signed prekey, Kyber prekey and (optionally) one-time prekey. */
export function makeBundle(tx: Tx, profile: Profile, withOneTime: boolean, now: number): { fields: BundleFields; ids: BundleKeyIds } {
  const [sid, kid, oid] = allocateIds(tx, 3) as [number, number, number];
  const spkPriv = PrivateKey.generate();
  const spkPub = spkPriv.getPublicKey();
  const spkSig = profile.pair.privateKey.sign(spkPub.serialize());
  tx.put(NS.signedPreKey, String(sid).padStart(10, '0'), SignedPreKeyRecord.new(sid, now, spkPub, spkPriv, spkSig).serialize());
  const kem = KEMKeyPair.generate();
  const kpkSig = profile.pair.privateKey.sign(kem.getPublicKey().serialize());
  tx.put(NS.kyberPreKey, String(kid).padStart(10, '0'), KyberPreKeyRecord.new(kid, now, kem, kpkSig).serialize());
  const fields: BundleFields = {
    reg: profile.registrationId,
    ik: profile.pair.publicKey.serialize(),
    spk: { id: sid, key: spkPub.serialize(), sig: spkSig },
    kpk: { id: kid, key: kem.getPublicKey().serialize(), sig: kpkSig },
  };
  const ids: BundleKeyIds = { signed: sid, kyber: kid };
  if (withOneTime) {
    const opk = PrivateKey.generate();
    tx.put(NS.preKey, String(oid).padStart(10, '0'), PreKeyRecord.new(oid, opk.getPublicKey(), opk).serialize());
    fields.opk = { id: oid, key: opk.getPublicKey().serialize() };
    ids.oneTime = oid;
  }
  return { fields, ids };
}

export function deleteBundleKeys(tx: Tx, ids: BundleKeyIds): void {
  deleteKey(tx, NS.signedPreKey, ids.signed);
  deleteKey(tx, NS.kyberPreKey, ids.kyber);
  if (ids.oneTime !== undefined) deleteKey(tx, NS.preKey, ids.oneTime);
}

/** A libsignal `PreKeyBundle` from carried fields; throws on keys that do not parse. */
export function toPreKeyBundle(b: BundleFields): PreKeyBundle {
  return PreKeyBundle.new(
    b.reg,
    DEVICE_ID,
    b.opk ? b.opk.id : null,
    b.opk ? PublicKey.deserialize(own(b.opk.key)) : null,
    b.spk.id,
    PublicKey.deserialize(own(b.spk.key)),
    own(b.spk.sig),
    PublicKey.deserialize(own(b.ik)),
    b.kpk.id,
    KEMPublicKey.deserialize(own(b.kpk.key)),
    own(b.kpk.sig),
  );
}

/** Checks the shape of carried bundle fields (from an invite or a hello), so bad input fails clearly. */
export function parseBundle(x: unknown): BundleFields {
  const r = x as Record<string, unknown> | null;
  const isBytes = (v: unknown, min: number, max: number): v is Uint8Array => v instanceof Uint8Array && v.length >= min && v.length <= max;
  const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 0x1_000_000;
  const pk = (v: unknown, kem: boolean) => {
    const o = v as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || !isId(o.id) || !isBytes(o.key, 32, kem ? 1600 : 33) || !isBytes(o.sig, 64, 64)) throw new Error('bad prekey in bundle');
    return { id: o.id, key: o.key, sig: o.sig };
  };
  if (!r || typeof r !== 'object') throw new Error('bundle is not a map');
  if (typeof r.reg !== 'number' || !Number.isInteger(r.reg) || r.reg < 1 || r.reg > 16_380) throw new Error('bad registration id in bundle');
  if (!isBytes(r.ik, 33, 33)) throw new Error('bad identity key in bundle');
  const out: BundleFields = { reg: r.reg, ik: r.ik, spk: pk(r.spk, false), kpk: pk(r.kpk, true) };
  if (r.opk !== undefined) {
    const o = r.opk as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || !isId(o.id) || !isBytes(o.key, 33, 33)) throw new Error('bad one-time prekey in bundle');
    out.opk = { id: o.id, key: o.key };
  }
  return out;
}
