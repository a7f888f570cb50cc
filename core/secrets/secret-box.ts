/**
 * Sealing account secrets (an email password) before they reach the database.
 *
 * Two boxes exist. The desktop app uses the operating system's keychain (electron/secret-box.ts,
 * Electron `safeStorage`). Web mode, tests, and the desktop app where no real keychain exists use
 * the local-key box here: AES-256-GCM with a random key kept in `<profile>/secret.key` (mode 0600).
 * That keeps passwords out of the database file and its backups, not away from someone who has
 * the whole profile folder (the key sits beside the database).
 *
 * A sealed value names its box (`lk1:` / `os1:`), so a profile opened by the other kind of box
 * says which one sealed it instead of failing with a decryption error.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Seals and opens secrets. `open` throws `SecretBoxError` with words for the user. */
export interface SecretBox {
  readonly kind: 'os' | 'local-key';
  seal(plain: string): string;
  open(sealed: string): string;
}

/** A sealed secret that cannot be opened: damaged, sealed by another box, or its key is gone. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

export const KEY_FILE = 'secret.key';
/** Prefix of values sealed by the local-key box (version 1). */
export const LOCAL_KEY_PREFIX = 'lk1:';
/** Prefix of values sealed by the operating system's keychain (version 1). */
export const OS_PREFIX = 'os1:';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a sealed value to its purpose: the same key used for something else cannot be swapped in. */
const AAD = Buffer.from('switchboard account secrets v1');

/**
 * Reads the profile's key, creating it on first use. Created with O_EXCL, so two processes racing
 * to create it cannot each write a different key (the loser reads the winner's).
 */
function loadOrCreateKey(profileDir: string): Buffer {
  const path = join(profileDir, KEY_FILE);
  try {
    return checkKey(readFileSync(path), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(profileDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return checkKey(readFileSync(path), path);
    throw e;
  }
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  return key;
}

function checkKey(key: Buffer, path: string): Buffer {
  if (key.length !== KEY_BYTES) {
    throw new SecretBoxError(`The key file ${path} is damaged (${key.length} bytes instead of ${KEY_BYTES}).`);
  }
  return key;
}

/**
 * The local-key box. The key file is read (or made) on first use, not at construction, so a
 * profile without secrets never gets one.
 */
export function localKeySecretBox(profileDir: string): SecretBox {
  let key: Buffer | null = null;
  const getKey = (): Buffer => (key ??= loadOrCreateKey(profileDir));
  return {
    kind: 'local-key',
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', getKey(), iv);
      cipher.setAAD(AAD);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return LOCAL_KEY_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      if (!sealed.startsWith(LOCAL_KEY_PREFIX)) throw foreign(sealed);
      const raw = Buffer.from(sealed.slice(LOCAL_KEY_PREFIX.length), 'base64');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('The saved password is damaged.');
      try {
        const decipher = createDecipheriv('aes-256-gcm', getKey(), raw.subarray(0, IV_BYTES));
        decipher.setAAD(AAD);
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch (e) {
        if (e instanceof SecretBoxError) throw e;
        // GCM's tag check failed: the value or the key file changed since it was sealed.
        throw new SecretBoxError(`The saved password cannot be decrypted: it is damaged, or ${KEY_FILE} in the profile folder was replaced.`);
      }
    },
  };
}

/** The error for a value this box did not seal, naming the box that did. */
export function foreign(sealed: string): SecretBoxError {
  if (sealed.startsWith(OS_PREFIX)) {
    return new SecretBoxError("The saved password was locked with the desktop app's system keychain, which is not available here (web mode cannot use it).");
  }
  if (sealed.startsWith(LOCAL_KEY_PREFIX)) return new SecretBoxError('The saved password was sealed with a key this Switchboard does not have.');
  return new SecretBoxError('The saved password is damaged.');
}

/** Seals an account's secrets as one value ('' when there are none, so nothing is written). */
export function sealSecrets(box: SecretBox, secrets: Readonly<Record<string, string>>): string {
  return Object.keys(secrets).length === 0 ? '' : box.seal(JSON.stringify(secrets));
}

/** Opens what `sealSecrets` made. Throws `SecretBoxError`. */
export function openSecrets(box: SecretBox, sealed: string): Record<string, string> {
  if (sealed === '') return {};
  const text = box.open(sealed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SecretBoxError('The saved password is damaged.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SecretBoxError('The saved password is damaged.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  return out;
}
