/** What the client stores about invites, relationships, mailboxes and groups (CBOR in `ClientStorage`). */
import { randomBytes } from 'node:crypto';
import { receiveKeyFromPrivate, type ReceiveKey } from '../relay/connection.ts';
import { fromCbor, toCbor } from './codec.ts';
import type { GroupMember, MailboxAddress } from './envelope.ts';
import type { BundleFields, BundleKeyIds } from './keys.ts';
import { Tx, type ClientStorage } from './storage.ts';
import type { InviteKindCode } from './invite-codec.ts';

export const RNS = {
  invite: 'invite',
  rel: 'rel',
  mailbox: 'mailbox',
  group: 'group',
  seen: 'seen',
  journal: 'journal',
  sent: 'sent',
  quarantine: 'quarantine',
} as const;

export interface InviteRecord {
  id: string;
  kind: InviteKindCode;
  label: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  state: 'active' | 'used-up' | 'expired' | 'revoked';
  relay: string;
  mailbox: string;
  cap: string;
  link: string;
  shortLink: string | null;
  keys: BundleKeyIds;
  /** Relay receive times (ms) of recent accepts, for the flood rule. */
  recentAccepts: number[];
}

/**
 * One relationship with one peer (SPEC §5). `rid` is a local random id, never sent: it names the
 * libsignal address and the core route, so two relationships share nothing on the wire.
 */
export interface RelRecord {
  rid: string;
  name: string;
  /** `pending`: we accepted their invite, waiting for hello-ack. `needs-ack`: their hello arrived, our hello-ack not sent yet. */
  state: 'pending' | 'needs-ack' | 'active' | 'quarantined' | 'refused';
  /** How it began: we accepted their invite, or they accepted ours (which one). */
  origin: { by: 'me' } | { by: 'them'; inviteId: string };
  /** A stranger (public invite) whose messages arrive as a request until the user replies. */
  request: boolean;
  /** Our pairwise mailbox for this peer (they write to it). */
  mine: { relay: string; id: string } | null;
  /** Their pairwise mailbox (we write to it); for `pending`, the invite mailbox. */
  theirs: MailboxAddress | null;
  /** Their renewal bundle, for a new session after either side's identity changes. */
  renew: BundleFields | null;
  /** Disappearing timer, seconds (0 = off). */
  timer: number;
  createdAt: number;
}

export interface MailboxRecord {
  relay: string;
  id: string;
  /** Ed25519 seed of the receive key. */
  seed: Uint8Array;
  owner: { kind: 'invite'; inviteId: string } | { kind: 'pair'; rid: string };
  /** Highest relay seq already processed (never processed twice). */
  processedSeq: number;
}

export interface GroupRecord {
  gid: string;
  name: string;
  members: GroupMember[];
  admin: Uint8Array;
  timer: number;
  /** We were removed (or left): nothing is sent or accepted any more. */
  left: boolean;
}

export interface QuarantineRecord {
  id: string;
  rid: string;
  inviteId: string;
  name: string;
  arrivedAt: number;
}

export function load<T>(s: Pick<ClientStorage, 'get'>, ns: string, key: string): T | null {
  if (s instanceof Tx) return s.decodedOnce(ns, key, (raw) => fromCbor(raw) as T);
  const raw = s.get(ns, key);
  return raw ? (fromCbor(raw) as T) : null;
}

export function save(tx: Tx, ns: string, key: string, value: unknown): void {
  tx.put(ns, key, toCbor(value));
}

export function all<T>(s: Pick<ClientStorage, 'list'>, ns: string): T[] {
  return s.list(ns).map(([, v]) => fromCbor(v) as T);
}

/**
 * Received messages not yet covered by a read receipt, one namespace per relationship, keyed by the
 * relay seq (zero-padded, so key order is arrival order); the value is the message id.
 */
export const unreceiptedNs = (rid: string): string => `unreceipted:${rid}`;
export const seqKey = (seq: number): string => String(seq).padStart(15, '0');

export const mailboxKey = (relay: string, id: string): string => `${relay} ${id}`;

export function newSeed(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

export function receiveKeyOf(m: MailboxRecord): ReceiveKey {
  return receiveKeyFromPrivate(m.seed);
}

/** A random local id with a readable prefix. */
export function localId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}
