/**
 * The relay wire format, version 1: JSON text frames over WebSocket. See README.md in this folder
 * for the prose version; this file is the single source of truth for shapes and signed bytes.
 */

/** The only protocol version this relay speaks; every frame carries it as `v`. */
export const PROTOCOL_VERSION = 1;

/** Domain-separation prefix of every signed byte string, so a relay signature can never be reused elsewhere. */
export const SIGNING_CONTEXT = 'switchboard-relay-v1';

/** Error codes a relay returns in `{ ok: false, error: { code, message } }` or per deposit item. */
export const ERROR_CODES = [
  'bad-frame',
  'forbidden',
  'too-large',
  'quota-exceeded',
  'rate-limited',
  'too-many-mailboxes',
  'too-many-subscriptions',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Operations only the receive-key holder may perform (signature required). */
export type OwnerOp = 'fetch' | 'ack' | 'subscribe' | 'unsubscribe' | 'delete' | 'put-bundle';
/** Every operation that carries a signature. */
export type SignedOp = 'create' | OwnerOp;

/**
 * The exact bytes a client signs with its Ed25519 receive key:
 * UTF-8 of `switchboard-relay-v1\n<challenge>\n<op>\n<target>`, where `challenge` is the base64url
 * string from this connection's `hello` frame and `target` is the mailbox id (or, for `create`,
 * the receive key itself, which proves possession of the private key).
 */
export function signedBytes(challenge: string, op: SignedOp, target: string): Buffer {
  return Buffer.from(`${SIGNING_CONTEXT}\n${challenge}\n${op}\n${target}`, 'utf8');
}

/** A request id chosen by the client and echoed in the reply. */
export type RequestId = string | number;

/** One item of a `deposit` batch. `blob` arrives as standard base64 and is handed on decoded. */
export interface DepositItemFrame {
  mailbox: string;
  cap: string;
  blob: Buffer;
}

/** One mailbox of a `fetch-many`: `sig` is the owner's signature for `fetch` on it. */
export interface FetchManyEntry {
  mailbox: string;
  sig: string;
  after: number | undefined;
}

/** One mailbox of an `ack-many`: `sig` is the owner's signature for `ack` on it. */
export interface AckManyEntry {
  mailbox: string;
  sig: string;
  seqs: number[];
}

/** A parsed, shape-checked client request. */
export type RelayRequest =
  | { op: 'create'; id: RequestId; receiveKey: string; sig: string }
  | { op: 'deposit'; id: RequestId; items: DepositItemFrame[] }
  | { op: 'fetch'; id: RequestId; mailbox: string; sig: string; limit: number | undefined; after: number | undefined }
  | { op: 'ack'; id: RequestId; mailbox: string; sig: string; seqs: number[] }
  | { op: 'subscribe' | 'unsubscribe' | 'delete'; id: RequestId; mailbox: string; sig: string }
  | { op: 'put-bundle'; id: RequestId; mailbox: string; sig: string; blob: Buffer }
  | { op: 'peek'; id: RequestId; mailbox: string; cap: string }
  | { op: 'fetch-many'; id: RequestId; mailboxes: FetchManyEntry[]; limit: number | undefined }
  | { op: 'ack-many'; id: RequestId; items: AckManyEntry[] };

/** The result of parsing one text frame: a request, or why it is a bad frame (with its id when one was readable). */
export type ParseResult = { ok: true; request: RelayRequest } | { ok: false; id: RequestId | null; message: string };

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const B64URL_64 = /^[A-Za-z0-9_-]{86}$/;
const EQUALS = 0x3d;

/** True for a base64url string of exactly 32 bytes (mailbox ids, capabilities, receive keys). */
export function isB64url32(s: unknown): s is string {
  return typeof s === 'string' && B64URL_32.test(s);
}

/** True for a base64url string of exactly 64 bytes (Ed25519 signatures). */
export function isB64url64(s: unknown): s is string {
  return typeof s === 'string' && B64URL_64.test(s);
}

/**
 * The bytes of a standard base64 string with padding (blobs), or null if it is not one: the
 * characters A–Z a–z 0–9 + / in groups of four, the last group possibly ending in `=` or `==`
 * (what /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ accepts, at a tenth of
 * its cost on a blob). Node's decoder skips characters outside the alphabet, stops at `=`, also
 * takes `-` and `_`, and reads only the low byte of a UTF-16 code unit; so the string must be
 * ASCII, hold neither `-` nor `_`, and decode to exactly 3 bytes per group less its padding.
 */
export function decodeBase64(s: string): Buffer | null {
  const n = s.length;
  if (n % 4 !== 0) return null;
  const pad = n === 0 || s.charCodeAt(n - 1) !== EQUALS ? 0 : s.charCodeAt(n - 2) !== EQUALS ? 1 : 2;
  if (Buffer.byteLength(s, 'utf8') !== n || s.includes('-') || s.includes('_')) return null;
  const bytes = Buffer.from(s, 'base64');
  return bytes.length === (n / 4) * 3 - pad ? bytes : null;
}

/** True for canonical standard base64 (blobs). */
export function isBase64(s: unknown): s is string {
  return typeof s === 'string' && decodeBase64(s) !== null;
}

/** The decoded blob of a frame field, or a `bad-frame` for anything but standard base64. */
function blobField(x: unknown, message: string): Buffer {
  const bytes = typeof x === 'string' ? decodeBase64(x) : null;
  need(bytes !== null, message);
  return bytes;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function readId(x: unknown): RequestId | null {
  if (typeof x === 'string' && x.length >= 1 && x.length <= 64) return x;
  if (typeof x === 'number' && Number.isSafeInteger(x)) return x;
  return null;
}

function isSeq(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

class Bad extends Error {}
function need(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Bad(message);
}

/** Parses and shape-checks one text frame. Never throws. `maxBatch` bounds deposit items and ack seqs. */
export function parseRequest(text: string, maxBatch: number): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, id: null, message: 'frame is not JSON' };
  }
  if (!isRecord(raw)) return { ok: false, id: null, message: 'frame is not a JSON object' };
  const id = readId(raw.id);
  if (id === null) return { ok: false, id: null, message: 'id must be a string of 1-64 chars or a safe integer' };
  try {
    need(raw.v === PROTOCOL_VERSION, `v must be ${PROTOCOL_VERSION}`);
    const op = raw.op;
    switch (op) {
      case 'create':
        need(isB64url32(raw.receiveKey), 'receiveKey must be 32 bytes base64url');
        need(isB64url64(raw.sig), 'sig must be 64 bytes base64url');
        return { ok: true, request: { op, id, receiveKey: raw.receiveKey, sig: raw.sig } };
      case 'deposit': {
        const items = raw.items;
        need(Array.isArray(items) && items.length >= 1, 'items must be a non-empty array');
        need(items.length <= maxBatch, `at most ${maxBatch} items per batch`);
        const parsed: DepositItemFrame[] = [];
        for (const it of items as unknown[]) {
          need(isRecord(it), 'each item must be an object');
          need(isB64url32(it.mailbox), 'item.mailbox must be 32 bytes base64url');
          need(isB64url32(it.cap), 'item.cap must be 32 bytes base64url');
          parsed.push({ mailbox: it.mailbox, cap: it.cap, blob: blobField(it.blob, 'item.blob must be base64') });
        }
        return { ok: true, request: { op, id, items: parsed } };
      }
      case 'fetch-many': {
        const list = raw.mailboxes;
        need(Array.isArray(list) && list.length >= 1, 'mailboxes must be a non-empty array');
        need(list.length <= maxBatch, `at most ${maxBatch} mailboxes per batch`);
        need(raw.limit === undefined || (isSeq(raw.limit) && raw.limit >= 1), 'limit must be a positive integer');
        const mailboxes: FetchManyEntry[] = [];
        for (const e of list as unknown[]) {
          need(isRecord(e), 'each entry must be an object');
          need(isB64url32(e.mailbox), 'entry.mailbox must be 32 bytes base64url');
          need(isB64url64(e.sig), 'entry.sig must be 64 bytes base64url');
          need(e.after === undefined || isSeq(e.after), 'entry.after must be a non-negative integer');
          mailboxes.push({ mailbox: e.mailbox, sig: e.sig, after: e.after });
        }
        return { ok: true, request: { op, id, mailboxes, limit: raw.limit } };
      }
      case 'ack-many': {
        const list = raw.items;
        need(Array.isArray(list) && list.length >= 1, 'items must be a non-empty array');
        const items: AckManyEntry[] = [];
        let total = 0;
        for (const e of list as unknown[]) {
          need(isRecord(e), 'each item must be an object');
          need(isB64url32(e.mailbox), 'item.mailbox must be 32 bytes base64url');
          need(isB64url64(e.sig), 'item.sig must be 64 bytes base64url');
          const seqs = e.seqs;
          need(Array.isArray(seqs) && seqs.length >= 1, 'item.seqs must be a non-empty array');
          need((seqs as unknown[]).every(isSeq), 'seqs must be non-negative integers');
          total += seqs.length;
          need(total <= maxBatch, `at most ${maxBatch} seqs per batch, over all items`);
          items.push({ mailbox: e.mailbox, sig: e.sig, seqs: seqs as number[] });
        }
        return { ok: true, request: { op, id, items } };
      }
      case 'peek':
        need(isB64url32(raw.mailbox), 'mailbox must be 32 bytes base64url');
        need(isB64url32(raw.cap), 'cap must be 32 bytes base64url');
        return { ok: true, request: { op, id, mailbox: raw.mailbox, cap: raw.cap } };
      case 'fetch':
      case 'ack':
      case 'subscribe':
      case 'unsubscribe':
      case 'delete':
      case 'put-bundle': {
        need(isB64url32(raw.mailbox), 'mailbox must be 32 bytes base64url');
        need(isB64url64(raw.sig), 'sig must be 64 bytes base64url');
        const mailbox = raw.mailbox;
        const sig = raw.sig;
        if (op === 'fetch') {
          need(raw.limit === undefined || (isSeq(raw.limit) && raw.limit >= 1), 'limit must be a positive integer');
          need(raw.after === undefined || isSeq(raw.after), 'after must be a non-negative integer');
          return { ok: true, request: { op, id, mailbox, sig, limit: raw.limit, after: raw.after } };
        }
        if (op === 'ack') {
          const seqs = raw.seqs;
          need(Array.isArray(seqs) && seqs.length >= 1, 'seqs must be a non-empty array');
          need(seqs.length <= maxBatch, `at most ${maxBatch} seqs per batch`);
          need((seqs as unknown[]).every(isSeq), 'seqs must be non-negative integers');
          return { ok: true, request: { op, id, mailbox, sig, seqs: seqs as number[] } };
        }
        if (op === 'put-bundle') {
          return { ok: true, request: { op, id, mailbox, sig, blob: blobField(raw.blob, 'blob must be base64') } };
        }
        return { ok: true, request: { op, id, mailbox, sig } };
      }
      default:
        return { ok: false, id, message: `unknown op ${JSON.stringify(op)?.slice(0, 40) ?? 'undefined'}` };
    }
  } catch (e) {
    if (e instanceof Bad) return { ok: false, id, message: e.message };
    throw e;
  }
}
