import { generateKey } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAutocryptHeader, isTransferablePublicKey, MAX_HEADER_BYTES, parseAutocryptHeader } from './header.ts';

let keydata: Uint8Array;
let b64: string;

beforeAll(async () => {
  const { publicKey } = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: 'alice@example.org' }], format: 'binary' });
  keydata = publicKey;
  b64 = Buffer.from(keydata).toString('base64');
});

describe('parseAutocryptHeader', () => {
  it('round-trips a formatted header, folded to 78 columns with CRLF + space', () => {
    const value = formatAutocryptHeader({ addr: 'alice@example.org', preferEncrypt: 'mutual', keydata });
    const lines = `Autocrypt: ${value}`.split('\r\n');
    expect(lines[0]).toBe('Autocrypt: addr=alice@example.org; prefer-encrypt=mutual; keydata=');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    for (const line of lines.slice(1)) expect(line.startsWith(' ')).toBe(true);
    expect(lines.slice(1).join('').replace(/ /g, '')).toBe(b64);

    const parsed = parseAutocryptHeader(value);
    expect(parsed?.addr).toBe('alice@example.org');
    expect(parsed?.preferEncrypt).toBe('mutual');
    expect(Buffer.from(parsed?.keydata ?? []).equals(Buffer.from(keydata))).toBe(true);
  });

  it('leaves prefer-encrypt out for nopreference and folds a long address before keydata', () => {
    const addr = `${'a'.repeat(40)}@example.org`; // "addr=…;" fills the first line
    const value = formatAutocryptHeader({ addr, preferEncrypt: 'nopreference', keydata }, 'Autocrypt-Gossip');
    expect(value).not.toContain('prefer-encrypt');
    const lines = `Autocrypt-Gossip: ${value}`.split('\r\n');
    expect(lines[1]).toBe(' keydata=');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    expect(parseAutocryptHeader(value)).toMatchObject({ addr, preferEncrypt: 'nopreference' });
  });

  it('reads an unfolded header with whitespace inside keydata and any prefer-encrypt other than mutual as nopreference', () => {
    const spaced = b64.replace(/(.{20})/g, '$1 \t');
    expect(parseAutocryptHeader(`addr=bob@example.net; prefer-encrypt=maybe; keydata=${spaced}`)).toMatchObject({
      addr: 'bob@example.net',
      preferEncrypt: 'nopreference',
    });
    expect(parseAutocryptHeader(`addr=bob@example.net;keydata=${b64};`)?.preferEncrypt).toBe('nopreference');
  });

  it('requires addr and keydata', () => {
    expect(parseAutocryptHeader(`prefer-encrypt=mutual; keydata=${b64}`)).toBeNull();
    expect(parseAutocryptHeader('addr=alice@example.org; prefer-encrypt=mutual')).toBeNull();
    expect(parseAutocryptHeader('addr=alice@example.org; keydata=')).toBeNull();
    expect(parseAutocryptHeader(`addr=not-an-address; keydata=${b64}`)).toBeNull();
  });

  it('voids the header on an unknown critical attribute, ignores unknown _non-critical ones', () => {
    expect(parseAutocryptHeader(`addr=alice@example.org; future=1; keydata=${b64}`)).toBeNull();
    expect(parseAutocryptHeader(`addr=alice@example.org; _future=1; keydata=${b64}`)?.addr).toBe('alice@example.org');
  });

  it('rejects duplicate attributes, keydata that is not base64 or not a public key, and oversized headers', () => {
    expect(parseAutocryptHeader(`addr=a@example.org; addr=b@example.org; keydata=${b64}`)).toBeNull();
    expect(parseAutocryptHeader('addr=alice@example.org; keydata=!!notbase64!!')).toBeNull();
    expect(parseAutocryptHeader(`addr=alice@example.org; keydata=${Buffer.from('hello world').toString('base64')}`)).toBeNull();
    expect(parseAutocryptHeader(`addr=alice@example.org; _pad=${'x'.repeat(MAX_HEADER_BYTES)}; keydata=${b64}`)).toBeNull();
  });
});

describe('isTransferablePublicKey', () => {
  it('accepts a generated public key and refuses secret keys and truncated data', async () => {
    const { privateKey } = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: 'x@example.org' }], format: 'binary' });
    expect(isTransferablePublicKey(keydata)).toBe(true);
    expect(isTransferablePublicKey(privateKey)).toBe(false);
    expect(isTransferablePublicKey(keydata.slice(0, keydata.length - 3))).toBe(false);
    expect(isTransferablePublicKey(new Uint8Array())).toBe(false);
  });
});
