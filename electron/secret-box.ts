/**
 * The desktop app's secret box: Electron `safeStorage`, which locks secrets with the operating
 * system's keychain (macOS Keychain, Windows DPAPI, GNOME libsecret or KWallet on Linux).
 *
 * Where there is no real keychain, the local-key box of core/secrets is used instead, and the
 * log says why: on Linux `safeStorage` then falls back to `basic_text`, a key hard-coded in
 * Chromium, which protects nothing. Secrets sealed by either box stay readable after the keychain
 * appears or goes (each sealed value names the box that sealed it).
 */
import type { SafeStorage } from 'electron';
import { foreign, LOCAL_KEY_PREFIX, OS_PREFIX, SecretBoxError, type SecretBox } from '../core/secrets/secret-box.ts';
import type { Logger } from '../core/log/logger.ts';

/** The part of Electron's `safeStorage` used here (a fake in tests). */
export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

/** Why the keychain cannot be used on this machine, or null when it can. Call after app 'ready'. */
export function keychainProblem(safeStorage: SafeStorageLike, platform: NodeJS.Platform): string | null {
  if (!safeStorage.isEncryptionAvailable()) return 'the system keychain is not available';
  if (platform !== 'linux') return null;
  const backend = safeStorage.getSelectedStorageBackend();
  if (backend === 'basic_text') return 'no keychain (GNOME Keyring, KWallet) was found, and Electron would use a built-in key that protects nothing';
  if (backend === 'unknown') return 'the keychain was asked before the app was ready';
  return null;
}

/**
 * The keychain box, or the local-key `fallback` when the keychain is missing or not real
 * protection. `fallback` also opens values it sealed earlier (web mode, an older start).
 */
export function keychainSecretBox(safeStorage: SafeStorageLike, fallback: SecretBox, platform: NodeJS.Platform, log: Logger): SecretBox {
  const problem = keychainProblem(safeStorage, platform);
  const openWithKeychain = (sealed: string): string => {
    try {
      return safeStorage.decryptString(Buffer.from(sealed.slice(OS_PREFIX.length), 'base64'));
    } catch {
      throw new SecretBoxError('The system keychain could not unlock the saved password (it may have been reset, or the profile comes from another computer).');
    }
  };
  if (problem !== null) {
    log.warn('passwords are sealed with the profile key, not the system keychain', { reason: problem });
    return {
      kind: fallback.kind,
      seal: (plain) => fallback.seal(plain),
      // Sealed while a keychain was there: it may still open it (a Linux keyring not unlocked yet will not).
      open: (sealed) => (sealed.startsWith(OS_PREFIX) && safeStorage.isEncryptionAvailable() ? openWithKeychain(sealed) : fallback.open(sealed)),
    };
  }
  log.info('passwords are sealed with the system keychain', platform === 'linux' ? { backend: safeStorage.getSelectedStorageBackend() } : undefined);
  return {
    kind: 'os',
    seal: (plain) => OS_PREFIX + safeStorage.encryptString(plain).toString('base64'),
    open(sealed) {
      if (sealed.startsWith(OS_PREFIX)) return openWithKeychain(sealed);
      if (sealed.startsWith(LOCAL_KEY_PREFIX)) return fallback.open(sealed);
      throw foreign(sealed);
    },
  };
}
