/**
 * Our own Autocrypt key for one address (the spec's `accounts[addr]`), and the OpenPGP operations
 * that use it. Kept in the adapter's state store, namespace `autocrypt`, key: the lowercased address,
 * value: the binary transferable secret key.
 *
 * Interoperability choices (Delta Chat / rPGP, GnuPG, Thunderbird must read our mail):
 * - OpenPGP v4 keys, Ed25519 (EdDSA "legacy") signing primary + Curve25519 ECDH encryption subkey:
 *   the Autocrypt Level 1 key, understood by every deployed implementation. No v6 keys.
 * - Our key does not advertise SEIPDv2, and openpgp.js picks SEIPDv2 only when every encryption key
 *   (ours included: we always encrypt to ourselves) advertises it, so our messages are SEIPDv1
 *   (AES-256 CFB + MDC), which older peers decrypt.
 */
import {
  createMessage,
  decrypt,
  encrypt,
  generateKey,
  readKey,
  readMessage,
  readPrivateKey,
  type Key,
  type KeyID,
  type PartialConfig,
  type PrivateKey,
  type PublicKey,
} from 'openpgp';
import type { AdapterStateStore } from '../../contract.ts';
import { formatAutocryptHeader } from './header.ts';
import { canonicalAddress } from './peers.ts';

export const ACCOUNT_NS = 'autocrypt';

/** Pinned rather than relying on library defaults, which may move towards v6/AEAD. */
const CONFIG: PartialConfig = {
  v6Keys: false,
  aeadProtect: false,
  // A compressed packet could expand without bound; mail bodies are far below this.
  maxDecompressedMessageSize: 256 * 1024 * 1024,
};

/** What a decryption yields; `signerFingerprint`: the `verifyWith` key that made a valid signature. */
export interface Decrypted {
  mime: Uint8Array;
  signed: boolean;
  signerFingerprint: string | null;
}

/** One account's Autocrypt identity: key, header, encrypt and decrypt. */
export class AutocryptAccount {
  readonly preferEncrypt = 'mutual' as const;

  private constructor(
    readonly address: string,
    private readonly privateKey: PrivateKey,
    /** The binary transferable public key, as sent in our Autocrypt header. */
    readonly publicKey: Uint8Array,
  ) {}

  /** Loads the account's key from the store, generating and storing it on first use. */
  static async open(store: AdapterStateStore, address: string): Promise<AutocryptAccount> {
    const key = canonicalAddress(address);
    const stored = store.get(ACCOUNT_NS, key);
    if (stored) return AutocryptAccount.load(address, stored);
    const generated = await generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy', // primary becomes ed25519Legacy (EdDSA), the subkey ECDH Curve25519
      userIDs: [userIdFor(address)],
      format: 'binary',
      config: CONFIG,
    });
    // Generation is asynchronous: if another open() stored a key meanwhile, that key wins, so one
    // address never ends up with two keys announced to different peers.
    const raced = store.get(ACCOUNT_NS, key);
    if (raced) return AutocryptAccount.load(address, raced);
    store.write([{ ns: ACCOUNT_NS, key, value: generated.privateKey }]);
    return AutocryptAccount.load(address, generated.privateKey);
  }

  private static async load(address: string, secret: Uint8Array): Promise<AutocryptAccount> {
    let privateKey: PrivateKey;
    try {
      privateKey = await readPrivateKey({ binaryKey: secret, config: CONFIG });
    } catch (e) {
      throw new Error(`The stored Autocrypt key for ${address} cannot be read: ${reason(e)}`);
    }
    if (!privateKey.isDecrypted()) throw new Error(`The stored Autocrypt key for ${address} is passphrase-protected, which Autocrypt does not use.`);
    return new AutocryptAccount(address, privateKey, privateKey.toPublic().write());
  }

  /** Our key's fingerprint (hex, lowercase). */
  get fingerprint(): string {
    return this.privateKey.getFingerprint();
  }

  /** The Autocrypt header value for outgoing mail. */
  header(): string {
    return formatAutocryptHeader({ addr: this.address, preferEncrypt: this.preferEncrypt, keydata: this.publicKey });
  }

  /**
   * Encrypts (and signs) MIME bytes to these peers' keys (from AutocryptPeers, key or gossip key)
   * and to ourselves; throws if a recipient key cannot be read or used. Returns ASCII armor.
   */
  async encrypt(mime: Uint8Array, recipientKeys: readonly Uint8Array[]): Promise<string> {
    const keys: PublicKey[] = [];
    for (const [i, keydata] of recipientKeys.entries()) {
      const key = await readPublicKey(keydata, `Recipient key ${i + 1}`);
      try {
        await key.getEncryptionKey();
      } catch (e) {
        throw new Error(`The key ${key.getFingerprint()} (${describeUsers(key)}) cannot be used for encryption: ${reason(e)}`);
      }
      keys.push(key);
    }
    const message = await createMessage({ binary: mime, format: 'binary' });
    const armored: unknown = await encrypt({
      message,
      encryptionKeys: [...keys, this.privateKey.toPublic()],
      signingKeys: this.privateKey,
      format: 'armored',
      config: CONFIG,
    });
    return asString(armored);
  }

  /**
   * Decrypts an armored PGP message (throws a clear Error if it is not for us or is malformed);
   * reports whether a valid signature came from one of the given keys.
   */
  async decrypt(armored: string, verifyWith: readonly Uint8Array[]): Promise<Decrypted> {
    let message: Awaited<ReturnType<typeof readMessage<string>>>;
    try {
      message = await readMessage({ armoredMessage: armored, config: CONFIG });
    } catch (e) {
      throw new Error(`The encrypted part is not a valid OpenPGP message: ${reason(e)}`);
    }
    const ours = this.privateKey.getKeyIDs();
    const recipients = message.getEncryptionKeyIDs();
    // `true` matches a wildcard (hidden) recipient id, which might be us.
    if (!recipients.some((id) => ours.some((mine) => mine.equals(id, true)))) {
      throw new Error(`The message is not encrypted to ${this.address}'s Autocrypt key (it is for key ids ${recipients.map((id) => id.toHex()).join(', ') || 'none'}).`);
    }
    const verificationKeys: PublicKey[] = [];
    for (const keydata of verifyWith) {
      // A peer's unreadable key only means its signature cannot be checked, not that the mail is unreadable.
      try {
        verificationKeys.push(await readPublicKey(keydata, 'A verification key'));
      } catch {
        continue;
      }
    }
    let result: DecryptResult;
    try {
      const decrypted: unknown = await decrypt({ message, decryptionKeys: this.privateKey, verificationKeys, format: 'binary', config: CONFIG });
      result = decrypted as DecryptResult;
    } catch (e) {
      throw new Error(`The message for ${this.address} could not be decrypted: ${reason(e)}`);
    }
    let signerFingerprint: string | null = null;
    for (const sig of result.signatures) {
      try {
        await sig.verified;
      } catch {
        continue;
      }
      const signer = verificationKeys.find((k) => k.getKeyIDs().some((id) => id.equals(sig.keyID)));
      signerFingerprint = signer?.getFingerprint() ?? null;
      if (signerFingerprint) break;
    }
    if (!(result.data instanceof Uint8Array)) throw new Error('openpgp.js returned no binary data for a binary decryption.');
    return { mime: result.data, signed: signerFingerprint !== null, signerFingerprint };
  }
}

async function readPublicKey(keydata: Uint8Array, what: string): Promise<PublicKey> {
  let key: Key;
  try {
    key = await readKey({ binaryKey: keydata, config: CONFIG });
  } catch (e) {
    throw new Error(`${what} is not a valid OpenPGP key: ${reason(e)}`);
  }
  // A secret key handed in as a peer key is still only used for its public half.
  return key.isPrivate() ? key.toPublic() : key;
}

/**
 * openpgp.js's typings resolve its stream types through `@openpgp/web-stream-tools`, which is not
 * installed, so `encrypt`/`decrypt` results type as `any`; these pin what non-streamed input yields.
 */
interface DecryptResult {
  data: unknown;
  signatures: { keyID: KeyID; verified: Promise<unknown> }[];
}

function asString(value: unknown): string {
  if (typeof value !== 'string') throw new Error('openpgp.js returned no armored text for an armored encryption.');
  return value;
}

/**
 * The user ID is decorative (spec) and by convention `<addr>`. openpgp.js refuses some deliverable
 * addresses as `email` (it wants no control characters, spaces, angle brackets or backslashes, and no
 * punctuation at the end), so those go in as a name that reads the same.
 */
function userIdFor(address: string): { email: string } | { name: string } {
  return /^[^\p{C}\p{Z}@<>\\]+@[^\p{C}\p{Z}@<>\\]+[^\p{C}\p{Z}\p{P}]$/u.test(address) ? { email: address } : { name: `<${address}>` };
}

function describeUsers(key: Key): string {
  return key.getUserIDs().join(', ') || 'no user id';
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
