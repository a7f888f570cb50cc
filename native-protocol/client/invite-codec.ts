/** Invite payloads and their two encodings (SPEC §4, §4.1). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { b64u, fromB64u, fromCbor, toCbor } from './codec.ts';
import { parseBundle, type BundleFields } from './keys.ts';

export type InviteKindCode = 'one-use' | 'multi-use' | 'timed' | 'address';

/** Everything an invite carries. */
export interface InvitePayload {
  v: 1;
  kind: InviteKindCode;
  /** Unix seconds; absent for `address`. */
  exp?: number | undefined;
  uses?: number | undefined;
  relay: string;
  mb: string;
  cap: string;
  name: string;
  bundle: BundleFields;
}

export const LINK_PREFIX = 'switchboard://invite/1/';
export const SHORT_PREFIX = 'switchboard://i/1/';

/** A link or short form that is not a valid invite; the message is for the user. */
export class InviteFormatError extends Error {
  override readonly name = 'InviteFormatError';
}

export function encodeInviteLink(p: InvitePayload): string {
  return LINK_PREFIX + b64u(toCbor(p));
}

export function parseInvitePayload(x: unknown): InvitePayload {
  const o = x as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw new InviteFormatError('This invite is damaged (it is not an invite at all).');
  if (o.v !== 1) throw new InviteFormatError(`This invite was made by a newer Switchboard (version ${String(o.v)}). Update Switchboard and try again.`);
  const kind = o.kind;
  if (kind !== 'one-use' && kind !== 'multi-use' && kind !== 'timed' && kind !== 'address') throw new InviteFormatError('This invite is damaged (unknown kind).');
  const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!isStr(o.relay, 500) || !/^wss?:\/\/[^\s]+$/.test(o.relay)) throw new InviteFormatError('This invite is damaged (its relay address is not valid).');
  if (!isStr(o.mb, 64) || !isStr(o.cap, 64)) throw new InviteFormatError('This invite is damaged (its mailbox is missing).');
  if (typeof o.name !== 'string' || o.name.length > 200) throw new InviteFormatError('This invite is damaged (its name is not valid).');
  if (o.exp !== undefined && (typeof o.exp !== 'number' || !Number.isFinite(o.exp))) throw new InviteFormatError('This invite is damaged (its expiry is not valid).');
  if (o.uses !== undefined && (typeof o.uses !== 'number' || !Number.isInteger(o.uses) || o.uses < 1)) throw new InviteFormatError('This invite is damaged (its use limit is not valid).');
  let bundle: BundleFields;
  try {
    bundle = parseBundle(o.bundle);
  } catch (e) {
    throw new InviteFormatError(`This invite is damaged (${(e as Error).message}).`);
  }
  return { v: 1, kind, exp: o.exp, uses: o.uses, relay: o.relay, mb: o.mb, cap: o.cap, name: o.name, bundle };
}

export function decodeInviteLink(link: string): InvitePayload {
  const text = link.trim();
  if (!text.startsWith(LINK_PREFIX)) throw new InviteFormatError('That is not a Switchboard invite link (it should start with switchboard://invite/).');
  let raw: unknown;
  try {
    raw = fromCbor(fromB64u(text.slice(LINK_PREFIX.length)));
  } catch {
    throw new InviteFormatError('This invite link is damaged or incomplete. Ask for it again, or copy all of it.');
  }
  return parseInvitePayload(raw);
}

/** The short form: where the full invite waits, and the key that opens it. */
export interface ShortInvite {
  relay: string;
  mb: string;
  cap: string;
  key: Uint8Array;
}

export function encodeShortInvite(s: ShortInvite): string {
  const relay = Buffer.from(s.relay, 'utf8');
  if (relay.length > 255) throw new Error('relay URL too long for a short invite');
  const bytes = Buffer.concat([Buffer.from([relay.length]), relay, fromB64u(s.mb), fromB64u(s.cap), s.key]);
  return SHORT_PREFIX + b64u(bytes);
}

export function decodeShortInvite(text: string): ShortInvite {
  const t = text.trim();
  if (!t.startsWith(SHORT_PREFIX)) throw new InviteFormatError('That is not a short Switchboard invite.');
  let bytes: Uint8Array;
  try {
    bytes = fromB64u(t.slice(SHORT_PREFIX.length));
  } catch {
    throw new InviteFormatError('This invite code is damaged. Scan it again, or ask for the full link.');
  }
  const n = bytes[0] ?? 0;
  if (bytes.length !== 1 + n + 96 || n === 0) throw new InviteFormatError('This invite code is damaged or incomplete. Scan it again, or ask for the full link.');
  const relay = Buffer.from(bytes.subarray(1, 1 + n)).toString('utf8');
  if (!/^wss?:\/\/[^\s]+$/.test(relay)) throw new InviteFormatError('This invite code is damaged (its relay address is not valid).');
  return {
    relay,
    mb: b64u(bytes.subarray(1 + n, 33 + n)),
    cap: b64u(bytes.subarray(33 + n, 65 + n)),
    key: bytes.slice(65 + n, 97 + n),
  };
}

/** The bundle blob of the short form: AES-256-GCM(key, nonce, CBOR(payload)), as nonce ‖ ciphertext ‖ tag. */
export function sealBundleBlob(key: Uint8Array, p: InvitePayload): Uint8Array {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([c.update(toCbor(p)), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

export function openBundleBlob(key: Uint8Array, blob: Uint8Array): InvitePayload {
  if (blob.length < 12 + 16 + 1) throw new InviteFormatError('The invite waiting at the relay is damaged.');
  try {
    const d = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
    d.setAuthTag(blob.subarray(blob.length - 16));
    const plain = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
    return parseInvitePayload(fromCbor(plain));
  } catch (e) {
    if (e instanceof InviteFormatError) throw e;
    throw new InviteFormatError('The invite waiting at the relay does not match this code (damaged or replaced).');
  }
}
