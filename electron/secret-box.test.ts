import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/log/logger.ts';
import { localKeySecretBox } from '../core/secrets/secret-box.ts';
import { keychainProblem, keychainSecretBox, type SafeStorageLike } from './secret-box.ts';

type Backend = ReturnType<SafeStorageLike['getSelectedStorageBackend']>;

/** A stand-in for Electron's safeStorage: "encrypts" by reversing and tagging, so a test can tell. */
function fakeSafeStorage(available = true, backend: Backend = 'gnome_libsecret'): SafeStorageLike & { available: boolean } {
  const fake = {
    available,
    isEncryptionAvailable: () => fake.available,
    getSelectedStorageBackend: () => backend,
    encryptString: (plain: string) => Buffer.from('KC' + [...plain].reverse().join(''), 'utf8'),
    decryptString: (sealed: Buffer) => {
      const text = sealed.toString('utf8');
      if (!text.startsWith('KC')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return [...text.slice(2)].reverse().join('');
    },
  };
  return fake;
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const line = (level: string) => (msg: string, meta?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(meta ?? {})}`);
  return { lines, debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

const dirs: string[] = [];
function profile(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-keychain-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('keychainProblem', () => {
  it('accepts a real keychain on every platform', () => {
    expect(keychainProblem(fakeSafeStorage(), 'linux')).toBeNull();
    expect(keychainProblem(fakeSafeStorage(true, 'kwallet6'), 'linux')).toBeNull();
    expect(keychainProblem(fakeSafeStorage(true, 'unknown'), 'darwin')).toBeNull();
    expect(keychainProblem(fakeSafeStorage(true, 'unknown'), 'win32')).toBeNull();
  });

  it("refuses Linux's basic_text (a built-in key), a missing keychain, and an early call", () => {
    expect(keychainProblem(fakeSafeStorage(true, 'basic_text'), 'linux')).toMatch(/protects nothing/);
    expect(keychainProblem(fakeSafeStorage(false), 'darwin')).toMatch(/not available/);
    expect(keychainProblem(fakeSafeStorage(true, 'unknown'), 'linux')).toMatch(/before the app was ready/);
  });
});

describe('keychainSecretBox', () => {
  it('seals with the keychain when there is a real one, and says so', () => {
    const log = recordingLog();
    const box = keychainSecretBox(fakeSafeStorage(), localKeySecretBox(profile()), 'linux', log);
    expect(box.kind).toBe('os');
    const sealed = box.seal('hunter2');
    expect(sealed.startsWith('os1:')).toBe(true);
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toBe('hunter2');
    expect(log.lines.join('\n')).toMatch(/info passwords are sealed with the system keychain .*gnome_libsecret/);
  });

  it('falls back to the profile key on basic_text, and logs why (never the password)', () => {
    const log = recordingLog();
    const box = keychainSecretBox(fakeSafeStorage(true, 'basic_text'), localKeySecretBox(profile()), 'linux', log);
    expect(box.kind).toBe('local-key');
    const sealed = box.seal('hunter2');
    expect(sealed.startsWith('lk1:')).toBe(true);
    expect(box.open(sealed)).toBe('hunter2');
    expect(log.lines.join('\n')).toMatch(/warn passwords are sealed with the profile key.*protects nothing/);
    expect(log.lines.join('\n')).not.toContain('hunter2');
  });

  it('opens what either box sealed, whichever is in use now', () => {
    const dir = profile();
    const storage = fakeSafeStorage();
    const withKeychain = keychainSecretBox(storage, localKeySecretBox(dir), 'darwin', recordingLog());
    const fromWeb = localKeySecretBox(dir).seal('from web mode');
    const fromKeychain = withKeychain.seal('from the keychain');
    expect(withKeychain.open(fromWeb)).toBe('from web mode');

    // The keychain went away (not unlocked this session): values sealed with it cannot be opened, in words.
    storage.available = false;
    const without = keychainSecretBox(storage, localKeySecretBox(dir), 'darwin', recordingLog());
    expect(without.open(fromWeb)).toBe('from web mode');
    expect(() => without.open(fromKeychain)).toThrow(/system keychain, which is not available here/);
  });

  it('a keychain that cannot decrypt a value says so in words', () => {
    const box = keychainSecretBox(fakeSafeStorage(), localKeySecretBox(profile()), 'win32', recordingLog());
    expect(() => box.open('os1:' + Buffer.from('nonsense').toString('base64'))).toThrow(/system keychain could not unlock/);
    expect(() => box.open('plain text')).toThrow('The saved password is damaged.');
  });
});
