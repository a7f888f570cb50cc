/** Byte encodings shared by the client: CBOR (deterministic), base64url, text. */
import { decode, encode } from 'cborg';

/** Deterministic CBOR (cborg sorts map keys canonically by default). */
export function toCbor(value: unknown): Uint8Array {
  return encode(value, { ignoreUndefinedProperties: true });
}

/** Decodes CBOR; throws on trailing bytes, indefinite lengths or undefined values. */
export function fromCbor(bytes: Uint8Array): unknown {
  return decode(bytes, { rejectDuplicateMapKeys: true, strict: true, useMaps: false });
}

export function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function fromB64u(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** A copy whose buffer is a plain `ArrayBuffer` of exactly its length, as libsignal's types want. */
export function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);
