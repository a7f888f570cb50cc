import { enums, generateKey, readKey, readMessage } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_NS, AutocryptAccount } from './account.ts';
import { parseAutocryptHeader } from './header.ts';
import { MemoryStateStore } from './memory-store.ts';

let aliceStore: MemoryStateStore;
let alice: AutocryptAccount;
let bob: AutocryptAccount;
let carol: AutocryptAccount;

beforeAll(async () => {
  aliceStore = new MemoryStateStore();
  [alice, bob, carol] = await Promise.all([
    AutocryptAccount.open(aliceStore, 'Alice@Example.org'),
    AutocryptAccount.open(new MemoryStateStore(), 'bob@example.net'),
    AutocryptAccount.open(new MemoryStateStore(), 'carol@example.com'),
  ]);
});

const mime = new TextEncoder().encode('Content-Type: text/plain; charset=utf-8\r\n\r\nHallo Bob, schön dich zu sehen.\r\n');

describe('AutocryptAccount key', () => {
  it('is a v4 Ed25519 primary with a Curve25519 encryption subkey, five packets, user id <addr>', async () => {
    const key = await readKey({ binaryKey: alice.publicKey });
    expect(key.keyPacket.version).toBe(4);
    expect(key.getAlgorithmInfo()).toEqual({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    expect(key.subkeys).toHaveLength(1);
    expect(key.subkeys[0]?.getAlgorithmInfo()).toEqual({ algorithm: 'ecdh', curve: 'curve25519Legacy' });
    expect(key.getUserIDs()).toEqual(['<Alice@Example.org>']);
    expect(key.toPacketList()).toHaveLength(5);
    // No SEIPDv2 advertised: peers encrypting to us keep to what every implementation reads.
    const { selfCertification } = await key.getPrimaryUser();
    const SEIPDV2_FEATURE = 0x08; // RFC 9580 §5.2.3.32 (openpgp's typings lack enums.features)
    expect((selfCertification.features?.[0] ?? 0) & SEIPDV2_FEATURE).toBe(0);
  });

  it('is stored once per address and loaded again on the next open', async () => {
    expect(aliceStore.list(ACCOUNT_NS).map(([k]) => k)).toEqual(['alice@example.org']);
    const again = await AutocryptAccount.open(aliceStore, 'alice@example.org');
    expect(again.fingerprint).toBe(alice.fingerprint);
  });

  it('keeps one key when two opens race on first use', async () => {
    const store = new MemoryStateStore();
    const [a, b] = await Promise.all([AutocryptAccount.open(store, 'dave@example.org'), AutocryptAccount.open(store, 'dave@example.org')]);
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('announces itself in a mutual Autocrypt header', () => {
    const h = parseAutocryptHeader(alice.header());
    expect(h?.addr).toBe('Alice@Example.org');
    expect(h?.preferEncrypt).toBe('mutual');
    expect(Buffer.from(h?.keydata ?? []).equals(Buffer.from(alice.publicKey))).toBe(true);
  });
});

describe('AutocryptAccount encrypt / decrypt', () => {
  it('encrypts to the recipient and to ourselves as SEIPDv1, signed; both decrypt and verify', async () => {
    const armored = await alice.encrypt(mime, [bob.publicKey]);
    expect(armored).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    const message = await readMessage({ armoredMessage: armored });
    const seipd = message.packets.filterByTag(enums.packet.symEncryptedIntegrityProtectedData)[0] as unknown as { version: number };
    expect(seipd.version).toBe(1);
    const pkesks = message.packets.filterByTag(enums.packet.publicKeyEncryptedSessionKey);
    expect(pkesks).toHaveLength(2);

    const forBob = await bob.decrypt(armored, [alice.publicKey]);
    expect(new TextDecoder().decode(forBob.mime)).toContain('schön dich zu sehen');
    expect(forBob.signed).toBe(true);
    expect(forBob.signerFingerprint).toBe(alice.fingerprint);

    const forAlice = await alice.decrypt(armored, []);
    expect(Buffer.from(forAlice.mime).equals(Buffer.from(mime))).toBe(true);
    expect(forAlice.signed).toBe(false); // no key to check it against
  });

  it('reports unsigned when the signature is not from one of the given keys', async () => {
    const armored = await alice.encrypt(mime, [bob.publicKey]);
    const result = await bob.decrypt(armored, [carol.publicKey, new Uint8Array([1, 2, 3])]);
    expect(result.signed).toBe(false);
    expect(result.signerFingerprint).toBeNull();
  });

  it('refuses a message for someone else, and malformed input, with a clear error', async () => {
    const armored = await alice.encrypt(mime, [bob.publicKey]);
    await expect(carol.decrypt(armored, [alice.publicKey])).rejects.toThrow(/not encrypted to carol@example.com's Autocrypt key/);
    await expect(bob.decrypt('hello', [])).rejects.toThrow(/not a valid OpenPGP message/);
  });

  it('throws naming the problem when a recipient key is unusable', async () => {
    await expect(alice.encrypt(mime, [new Uint8Array([0x99, 0x01])])).rejects.toThrow(/Recipient key 1 is not a valid OpenPGP key/);
    const { publicKey: expired } = await generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: 'old@example.org' }],
      date: new Date(Date.now() - 10 * 24 * 3600 * 1000),
      keyExpirationTime: 24 * 3600,
      format: 'binary',
    });
    await expect(alice.encrypt(mime, [bob.publicKey, expired])).rejects.toThrow(/\(<old@example.org>\) cannot be used for encryption/);
  });
});
