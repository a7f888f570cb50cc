/**
 * Envelopes (SPEC §6): what is deposited into a mailbox, and the plaintext inside the Signal message.
 *
 *   envelope = 0x01 (version) ‖ type ‖ body length (u32, big endian) ‖ body ‖ zero padding
 *
 * padded to the smallest size bucket that holds it, so the relay learns the bucket, not the length.
 * The padding is outside the encryption and carries nothing; the body is a libsignal message, which
 * authenticates itself.
 */
import { fromCbor, toCbor } from './codec.ts';

export const ENVELOPE_VERSION = 1;
export const TYPE_PREKEY = 1;
export const TYPE_SIGNAL = 2;
const HEADER = 6;

/** Envelope sizes (bytes) the relay can observe. */
export const BUCKETS = [256, 1024, 4096, 16_384, 65_536, 262_144] as const;

/** Why an envelope or payload could not be read. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

export function bucketFor(length: number): number {
  for (const b of BUCKETS) if (length <= b) return b;
  throw new EnvelopeError(`message too large for an envelope (${length} bytes, at most ${BUCKETS[BUCKETS.length - 1]})`);
}

export function sealEnvelope(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(bucketFor(HEADER + body.length));
  out[0] = ENVELOPE_VERSION;
  out[1] = type;
  new DataView(out.buffer).setUint32(2, body.length);
  out.set(body, HEADER);
  return out;
}

export function openEnvelope(blob: Uint8Array): { type: number; body: Uint8Array } {
  if (blob.length < HEADER) throw new EnvelopeError('envelope shorter than its header');
  if (blob[0] !== ENVELOPE_VERSION) throw new EnvelopeError(`envelope version ${blob[0]} is not one this client knows (1)`);
  const type = blob[1]!;
  if (type !== TYPE_PREKEY && type !== TYPE_SIGNAL) throw new EnvelopeError(`unknown envelope type ${type}`);
  const len = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(2);
  if (len === 0 || HEADER + len > blob.length) throw new EnvelopeError('envelope body length is out of range');
  return { type, body: blob.subarray(HEADER, HEADER + len) };
}

/** A relay address of a mailbox someone may write to. */
export interface MailboxAddress {
  relay: string;
  id: string;
  cap: string;
}

export interface GroupMember {
  /** The member's identity key (serialised), how members recognise each other. */
  ik: Uint8Array;
  name: string;
}

/** Plaintext kinds and their bodies (SPEC §6). */
export type Payload =
  | { k: 'text'; id: string; t: number; exp?: number | undefined; text: string; g?: string | undefined; from?: Uint8Array | undefined }
  | { k: 'receipt'; id: string; t: number; state: 'delivered' | 'read'; ids: string[] }
  | { k: 'hello'; id: string; t: number; name: string; mbox: MailboxAddress; renew: unknown }
  | { k: 'hello-ack'; id: string; t: number; name: string; mbox: MailboxAddress; renew: unknown }
  | { k: 'rekey'; id: string; t: number; renew: unknown }
  | { k: 'refused'; id: string; t: number; reason: string }
  | { k: 'group'; id: string; t: number; g: string; name: string; members: GroupMember[]; admin: Uint8Array }
  | { k: 'timer'; id: string; t: number; seconds: number; g?: string | undefined };

export function encodePayload(p: Payload): Uint8Array {
  return toCbor(p);
}

const MAX_TEXT = 64_000;

function str(v: unknown, what: string, max = 200): string {
  if (typeof v !== 'string' || v.length > max) throw new EnvelopeError(`payload ${what} is not a string of at most ${max} characters`);
  return v;
}

function mailbox(v: unknown): MailboxAddress {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw new EnvelopeError('payload mailbox is not a map');
  const relay = str(o.relay, 'relay URL', 500);
  if (!/^wss?:\/\//.test(relay)) throw new EnvelopeError('payload relay is not a ws:// or wss:// URL');
  return { relay, id: str(o.id, 'mailbox id', 64), cap: str(o.cap, 'capability', 64) };
}

/** Decodes and checks a plaintext; anything malformed throws an `EnvelopeError` with the reason. */
export function decodePayload(bytes: Uint8Array): Payload {
  let raw: unknown;
  try {
    raw = fromCbor(bytes);
  } catch (e) {
    throw new EnvelopeError(`payload is not valid CBOR: ${(e as Error).message}`);
  }
  const o = raw as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new EnvelopeError('payload is not a map');
  const id = str(o.id, 'id', 64);
  if (id.length < 8) throw new EnvelopeError('payload id is too short');
  const t = o.t;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new EnvelopeError('payload time is not a number');
  const g = o.g === undefined ? undefined : str(o.g, 'group id', 64);
  switch (o.k) {
    case 'text': {
      const exp = o.exp === undefined ? undefined : Number(o.exp);
      if (exp !== undefined && (!Number.isInteger(exp) || exp < 0)) throw new EnvelopeError('payload timer is not a whole number of seconds');
      const from = o.from === undefined ? undefined : o.from;
      if (from !== undefined && !(from instanceof Uint8Array && from.length === 33)) throw new EnvelopeError('payload forwarder key is malformed');
      return { k: 'text', id, t, exp, text: str(o.text, 'text', MAX_TEXT), g, from };
    }
    case 'receipt': {
      if (o.state !== 'delivered' && o.state !== 'read') throw new EnvelopeError('receipt state is unknown');
      if (!Array.isArray(o.ids) || o.ids.length > 1000) throw new EnvelopeError('receipt ids are not a list');
      return { k: 'receipt', id, t, state: o.state, ids: o.ids.map((x) => str(x, 'receipt id', 64)) };
    }
    case 'hello':
    case 'hello-ack':
      return { k: o.k, id, t, name: str(o.name, 'name'), mbox: mailbox(o.mbox), renew: o.renew };
    case 'rekey':
      return { k: 'rekey', id, t, renew: o.renew };
    case 'refused':
      return { k: 'refused', id, t, reason: str(o.reason, 'reason', 500) };
    case 'group': {
      if (g === undefined) throw new EnvelopeError('group message has no group id');
      if (!Array.isArray(o.members) || o.members.length > 256) throw new EnvelopeError('group members are not a list of at most 256');
      const members = o.members.map((m: unknown) => {
        const mm = m as Record<string, unknown> | null;
        if (!mm || !(mm.ik instanceof Uint8Array) || mm.ik.length !== 33) throw new EnvelopeError('group member key is malformed');
        return { ik: mm.ik, name: str(mm.name, 'member name') };
      });
      if (!(o.admin instanceof Uint8Array) || o.admin.length !== 33) throw new EnvelopeError('group admin key is malformed');
      return { k: 'group', id, t, g, name: str(o.name, 'group name'), members, admin: o.admin };
    }
    case 'timer': {
      const seconds = o.seconds;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 365 * 86_400) throw new EnvelopeError('timer is out of range');
      return { k: 'timer', id, t, seconds, g };
    }
    default:
      throw new EnvelopeError(`payload kind ${JSON.stringify(o.k)?.slice(0, 40)} is unknown`);
  }
}
