/**
 * The `Autocrypt` (and `Autocrypt-Gossip`) header value, Autocrypt Level 1 §"The Autocrypt Header":
 * `addr=…; [prefer-encrypt=mutual;] keydata=BASE64`. Parsing is strict where the spec says a header
 * is invalid, because the number of *valid* headers on a mail decides whether any of them counts.
 */

/** One parsed Autocrypt header. `keydata` is the binary OpenPGP transferable public key. */
export interface AutocryptHeader {
  addr: string;
  preferEncrypt: 'mutual' | 'nopreference';
  keydata: Uint8Array;
}

/** The spec's limit: larger headers are bloated key data and every client should reject them alike. */
export const MAX_HEADER_BYTES = 10 * 1024;

/** Continuation lines carry 76 base64 characters: with the leading space that is 77 of the 78 allowed. */
const KEYDATA_LINE = 76;
const MAX_LINE = 78;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A deliberately plain address check: one `@`, something on each side, nothing that breaks a header. */
const ADDRESS = /^[^\s@;<>"]+@[^\s@;<>"]+$/;

/** Parses a header value (folded or not); null when the spec says the header is invalid. */
export function parseAutocryptHeader(value: string): AutocryptHeader | null {
  if (value.length > MAX_HEADER_BYTES) return null;
  const attributes = new Map<string, string>();
  for (const segment of value.split(';')) {
    const trimmed = segment.trim();
    if (trimmed === '') continue; // a trailing `;` is common and harmless
    const eq = trimmed.indexOf('=');
    if (eq <= 0) return null;
    const name = trimmed.slice(0, eq).trim().toLowerCase();
    // Only the first `=` separates: base64 padding lives in the value.
    const attrValue = trimmed.slice(eq + 1).trim();
    if (attributes.has(name)) return null;
    attributes.set(name, attrValue);
  }
  for (const name of attributes.keys()) {
    // Unknown non-critical (`_`) attributes are skipped; an unknown critical one voids the header,
    // which is how future versions hide incompatible headers from Level 1 clients.
    if (!name.startsWith('_') && name !== 'addr' && name !== 'prefer-encrypt' && name !== 'keydata') return null;
  }
  const addr = attributes.get('addr');
  const keydataText = attributes.get('keydata')?.replace(/\s+/g, '');
  if (addr === undefined || !ADDRESS.test(addr) || !keydataText || !BASE64.test(keydataText)) return null;
  const keydata = new Uint8Array(Buffer.from(keydataText, 'base64'));
  if (!isTransferablePublicKey(keydata)) return null;
  return {
    addr,
    // Any value other than `mutual` (or none) reads as `nopreference`, per the spec.
    preferEncrypt: attributes.get('prefer-encrypt') === 'mutual' ? 'mutual' : 'nopreference',
    keydata,
  };
}

/**
 * The header value, folded with CRLF + space so that no line of `<headerName>: <value>` exceeds 78
 * columns (the key data goes on continuation lines, which whitespace-stripping parsers rejoin).
 * Only an address too long for the first line on its own overruns it: it cannot be split.
 */
export function formatAutocryptHeader(h: AutocryptHeader, headerName = 'Autocrypt'): string {
  if (!ADDRESS.test(h.addr)) throw new Error(`Autocrypt: "${h.addr}" is not an email address that fits in a header.`);
  const tokens = [`addr=${h.addr};`];
  if (h.preferEncrypt === 'mutual') tokens.push('prefer-encrypt=mutual;');
  tokens.push('keydata=');
  let out = '';
  let column = headerName.length + 2; // "Name: "
  for (const token of tokens) {
    if (out === '') {
      out = token;
      column += token.length;
    } else if (column + 1 + token.length > MAX_LINE) {
      out += `\r\n ${token}`;
      column = 1 + token.length;
    } else {
      out += ` ${token}`;
      column += 1 + token.length;
    }
  }
  const base64 = Buffer.from(h.keydata).toString('base64');
  for (let i = 0; i < base64.length; i += KEYDATA_LINE) out += `\r\n ${base64.slice(i, i + KEYDATA_LINE)}`;
  return out;
}

/**
 * A structural check of an OpenPGP transferable public key (RFC 9580 §10.1): well-formed packet
 * framing, a public-key packet first, a user ID, and no secret-key packets. Cryptographic checks
 * (signatures, expiry, revocation) need openpgp.js, which is asynchronous; `AutocryptAccount.encrypt`
 * does them before a key is used, so garbage and secret keys are kept out of peer state here.
 */
export function isTransferablePublicKey(bytes: Uint8Array): boolean {
  const tags: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i++];
    if (first === undefined || (first & 0x80) === 0) return false;
    let tag: number;
    let length: number;
    if (first & 0x40) {
      tag = first & 0x3f;
      const l1 = bytes[i++];
      if (l1 === undefined) return false;
      if (l1 < 192) length = l1;
      else if (l1 < 224) {
        const l2 = bytes[i++];
        if (l2 === undefined) return false;
        length = ((l1 - 192) << 8) + l2 + 192;
      } else if (l1 === 255) {
        if (i + 4 > bytes.length) return false;
        length = new DataView(bytes.buffer, bytes.byteOffset + i, 4).getUint32(0);
        i += 4;
      } else return false; // partial body lengths are not allowed in keys
    } else {
      tag = (first >> 2) & 0x0f;
      const lengthType = first & 0x03;
      if (lengthType === 3) return false; // indeterminate length
      const size = 1 << lengthType;
      if (i + size > bytes.length) return false;
      length = 0;
      for (let k = 0; k < size; k++) length = length * 256 + (bytes[i + k] ?? 0);
      i += size;
    }
    if (i + length > bytes.length) return false;
    i += length;
    tags.push(tag);
  }
  const PUBLIC_KEY = 6;
  const SECRET_KEY = 5;
  const SECRET_SUBKEY = 7;
  const USER_ID = 13;
  return tags[0] === PUBLIC_KEY && tags.includes(USER_ID) && !tags.includes(SECRET_KEY) && !tags.includes(SECRET_SUBKEY);
}
