import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE, localKeySecretBox, openSecrets, OS_PREFIX, sealSecrets, SecretBoxError } from './secret-box.ts';

const dirs: string[] = [];
function profile(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-secrets-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('localKeySecretBox', () => {
  it('seals and opens, with a fresh nonce each time, and never shows the plain text', () => {
    const box = localKeySecretBox(profile());
    const a = box.seal('correct horse battery staple');
    const b = box.seal('correct horse battery staple');
    expect(a).not.toBe(b);
    expect(a).not.toContain('horse');
    expect(box.open(a)).toBe('correct horse battery staple');
    expect(box.open(b)).toBe('correct horse battery staple');
    expect(box.kind).toBe('local-key');
  });

  it('makes the key file only when something is sealed, 32 random bytes, readable by the owner only', () => {
    const dir = profile();
    const box = localKeySecretBox(dir);
    expect(existsSync(join(dir, KEY_FILE))).toBe(false);
    box.seal('x');
    const key = join(dir, KEY_FILE);
    expect(readFileSync(key)).toHaveLength(32);
    expect(statSync(key).mode & 0o777).toBe(0o600);
  });

  it('a second box on the same profile (a restart) opens what the first sealed', () => {
    const dir = profile();
    const sealed = localKeySecretBox(dir).seal('pässwörd ✓');
    expect(localKeySecretBox(dir).open(sealed)).toBe('pässwörd ✓');
  });

  it('refuses a tampered value, a replaced key and a value from another box, with words', () => {
    const dir = profile();
    const box = localKeySecretBox(dir);
    const sealed = box.seal('secret');
    const bytes = Buffer.from(sealed.slice(4), 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => box.open('lk1:' + bytes.toString('base64'))).toThrow(/cannot be decrypted/);
    expect(() => box.open('lk1:AAAA')).toThrow(SecretBoxError);
    expect(() => box.open('garbage')).toThrow('The saved password is damaged.');
    expect(() => box.open(`${OS_PREFIX}abcd`)).toThrow(/system keychain/);

    writeFileSync(join(dir, KEY_FILE), Buffer.alloc(32, 7));
    expect(() => localKeySecretBox(dir).open(sealed)).toThrow(/secret.key in the profile folder was replaced/);
    writeFileSync(join(dir, KEY_FILE), Buffer.alloc(5));
    expect(() => localKeySecretBox(dir).open(sealed)).toThrow(/damaged \(5 bytes/);
  });
});

describe('sealSecrets / openSecrets', () => {
  it('round-trips a record and stores nothing for none', () => {
    const box = localKeySecretBox(profile());
    expect(sealSecrets(box, {})).toBe('');
    expect(openSecrets(box, '')).toEqual({});
    expect(openSecrets(box, sealSecrets(box, { password: 'p', other: 'q' }))).toEqual({ password: 'p', other: 'q' });
  });

  it('a sealed value that is not a record is damaged', () => {
    const box = localKeySecretBox(profile());
    expect(() => openSecrets(box, box.seal('[1]'))).toThrow('The saved password is damaged.');
    expect(() => openSecrets(box, box.seal('{'))).toThrow('The saved password is damaged.');
  });
});
