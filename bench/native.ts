/**
 * Native-protocol benchmark (PERFORMANCE.md):
 * - libsignal encrypt+decrypt messages/s through Switchboard's client vs raw libsignal-client calls
 *   with in-memory stores that serialise records on every call (the same work a DB-backed store does);
 * - PQXDH session setup per second, raw and through the client's invite/accept code path;
 * - backlog ingest: decrypt + store in core + index, messages/s (client state in the profile database).
 *
 * A real relay is started only to set up the two profiles; the timed parts run without the network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  PublicKey} from '@signalapp/libsignal-client';
import {
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  type Direction,
  IdentityChange,
} from '@signalapp/libsignal-client';
import { AdapterRegistry } from '../adapters/registry.ts';
import { createNativeAdapter, type NativeAdapter } from '../adapters/native/adapter.ts';
import { createCore } from '../core/create-core.ts';
import { connectPair, makeParty, until } from '../native-protocol/client/test-helpers.ts';
import { startRelay } from '../test/servers/relay.ts';

export interface NativeBenchResult {
  messages: number;
  raw: { encryptPerSecond: number; decryptPerSecond: number; roundPerSecond: number };
  client: { encryptPerSecond: number; decryptPerSecond: number; roundPerSecond: number };
  pqxdh: { rawPerSecond: number; clientPerSecond: number; n: number };
  backlog: { perSecond: number; messages: number };
}

const TEXT = 'x'.repeat(100);

class MemSessions extends SessionStore {
  m = new Map<string, Uint8Array<ArrayBuffer>>();
  override async saveSession(a: ProtocolAddress, r: SessionRecord): Promise<void> {
    this.m.set(a.toString(), r.serialize());
  }
  override async getSession(a: ProtocolAddress): Promise<SessionRecord | null> {
    const b = this.m.get(a.toString());
    return b ? SessionRecord.deserialize(b) : null;
  }
  override async getExistingSessions(): Promise<SessionRecord[]> {
    return [];
  }
}
class MemIdentity extends IdentityKeyStore {
  constructor(
    readonly pair: IdentityKeyPair,
    readonly reg: number,
  ) {
    super();
  }
  override async getIdentityKey(): Promise<PrivateKey> {
    return this.pair.privateKey;
  }
  override async getLocalRegistrationId(): Promise<number> {
    return this.reg;
  }
  override async saveIdentity(): Promise<IdentityChange> {
    return IdentityChange.NewOrUnchanged;
  }
  override async isTrustedIdentity(_a: ProtocolAddress, _k: PublicKey, _d: Direction): Promise<boolean> {
    return true;
  }
  override async getIdentity(): Promise<PublicKey | null> {
    return null;
  }
}
class MemPre extends PreKeyStore {
  m = new Map<number, Uint8Array<ArrayBuffer>>();
  override async savePreKey(id: number, r: PreKeyRecord): Promise<void> {
    this.m.set(id, r.serialize());
  }
  override async getPreKey(id: number): Promise<PreKeyRecord> {
    return PreKeyRecord.deserialize(this.m.get(id)!);
  }
  override async removePreKey(id: number): Promise<void> {
    this.m.delete(id);
  }
}
class MemSigned extends SignedPreKeyStore {
  m = new Map<number, Uint8Array<ArrayBuffer>>();
  override async saveSignedPreKey(id: number, r: SignedPreKeyRecord): Promise<void> {
    this.m.set(id, r.serialize());
  }
  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return SignedPreKeyRecord.deserialize(this.m.get(id)!);
  }
}
class MemKyber extends KyberPreKeyStore {
  m = new Map<number, Uint8Array<ArrayBuffer>>();
  override async saveKyberPreKey(id: number, r: KyberPreKeyRecord): Promise<void> {
    this.m.set(id, r.serialize());
  }
  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    return KyberPreKeyRecord.deserialize(this.m.get(id)!);
  }
  override async markKyberPreKeyUsed(): Promise<void> {}
}

interface RawParty {
  addr: ProtocolAddress;
  id: MemIdentity;
  sessions: MemSessions;
  pre: MemPre;
  signed: MemSigned;
  kyber: MemKyber;
}

function rawParty(name: string): RawParty {
  return {
    addr: ProtocolAddress.new(name, 1),
    id: new MemIdentity(IdentityKeyPair.generate(), 1 + Math.floor(Math.random() * 16_000)),
    sessions: new MemSessions(),
    pre: new MemPre(),
    signed: new MemSigned(),
    kyber: new MemKyber(),
  };
}

/** A raw PQXDH: Bob publishes a bundle, Alice processes it and sends one message, Bob decrypts it. */
async function rawSetup(alice: RawParty, bob: RawParty, n: number): Promise<void> {
  const spk = PrivateKey.generate();
  const spkSig = bob.id.pair.privateKey.sign(spk.getPublicKey().serialize());
  await bob.signed.saveSignedPreKey(n, SignedPreKeyRecord.new(n, Date.now(), spk.getPublicKey(), spk, spkSig));
  const kem = KEMKeyPair.generate();
  const kSig = bob.id.pair.privateKey.sign(kem.getPublicKey().serialize());
  await bob.kyber.saveKyberPreKey(n, KyberPreKeyRecord.new(n, Date.now(), kem, kSig));
  const opk = PrivateKey.generate();
  await bob.pre.savePreKey(n, PreKeyRecord.new(n, opk.getPublicKey(), opk));
  const bundle = PreKeyBundle.new(bob.id.reg, 1, n, opk.getPublicKey(), n, spk.getPublicKey(), spkSig, bob.id.pair.publicKey, n, kem.getPublicKey(), kSig);
  await processPreKeyBundle(bundle, bob.addr, alice.addr, alice.sessions, alice.id);
  const c = await signalEncrypt(new TextEncoder().encode('hello'), bob.addr, alice.addr, alice.sessions, alice.id);
  await signalDecryptPreKey(PreKeySignalMessage.deserialize(c.serialize()), alice.addr, bob.addr, bob.sessions, bob.id, bob.pre, bob.signed, bob.kyber);
}

const perSecond = (n: number, ms: number): number => (n * 1000) / ms;

export async function runNativeBenchmark(opts: { messages: number; setups: number }): Promise<NativeBenchResult> {
  const N = opts.messages;
  const enc = new TextEncoder();

  // Raw libsignal, one-way burst.
  const ra = rawParty('alice');
  const rb = rawParty('bob');
  await rawSetup(ra, rb, 1);
  // Bob answers once so both directions have a ratchet (as after any real handshake).
  const back = await signalEncrypt(enc.encode('ack'), ra.addr, rb.addr, rb.sessions, rb.id);
  await signalDecrypt(SignalMessage.deserialize(back.serialize()), rb.addr, ra.addr, ra.sessions, ra.id);
  // Warm-up (JIT, allocator) before anything is timed, for both paths alike.
  const WARM = Math.min(500, N);
  for (let i = 0; i < WARM; i++) {
    const c = await signalEncrypt(enc.encode(TEXT), rb.addr, ra.addr, ra.sessions, ra.id);
    await signalDecrypt(SignalMessage.deserialize(c.serialize()), ra.addr, rb.addr, rb.sessions, rb.id);
  }
  let t = 0;
  t = performance.now();
  for (let i = 0; i < opts.setups; i++) await rawSetup(rawParty(`a${i}`), rb, 100 + i);
  const rawSetupMs = performance.now() - t;

  // Through the client: two profiles paired over a real relay, then envelopes sealed and opened offline.
  const relay = await startRelay();
  const profileDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-native-'));
  const registry = new AdapterRegistry().register('native', createNativeAdapter);
  const core = createCore({ profileDir, registry });
  try {
    await core.start();
    const account = await core.call('accounts.add', { protocol: 'native', address: 'Bob', displayName: 'Bob', settings: { relays: [relay.url] } });
    const adapter = core.ctx.accounts.adapter(account.id) as NativeAdapter;
    await until(() => adapter.client.online, 10_000, 'bob online');
    const alice = makeParty('Alice', [relay.url]);
    alice.client.start();
    const bobRec = { client: adapter.client, storage: adapter.client.storage, messages: [], deliveries: [], problems: [], peers: [], autoStore: false };
    const { aliceRid, bobRid } = await connectPair(alice, bobRec);
    const rel = alice.client.relationship(aliceRid)!;
    const bobRel = adapter.client.relationship(bobRid)!;

    const warm: Uint8Array[] = [];
    for (let i = 0; i < WARM; i++) warm.push((await alice.client.seal(rel, { k: 'text', id: `01JWARM${String(i).padStart(10, '0')}`, t: Date.now(), text: TEXT })).blob);
    await adapter.client.receiveBlobs(bobRel.mine!.relay, bobRel.mine!.id, warm, 500_000);
    core.ingest.flush();

    // Raw and client paths run in alternating chunks, so load from anything else on the machine
    // falls on both alike and the ratio stays meaningful.
    const CHUNK = 500;
    let rawEncMs = 0;
    let rawDecMs = 0;
    let cEncMs = 0;
    let cDecMs = 0;
    let storeMs = 0;
    await core.ingest.idle();
    const before = (core.ctx.db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    for (let off = 0; off < N; off += CHUNK) {
      const n = Math.min(CHUNK, N - off);
      t = performance.now();
      const raws: Uint8Array<ArrayBuffer>[] = [];
      for (let i = 0; i < n; i++) raws.push((await signalEncrypt(enc.encode(TEXT), rb.addr, ra.addr, ra.sessions, ra.id)).serialize());
      rawEncMs += performance.now() - t;
      t = performance.now();
      const blobs: Uint8Array[] = [];
      for (let i = off; i < off + n; i++) {
        blobs.push((await alice.client.seal(rel, { k: 'text', id: `01JBENCH${String(i).padStart(10, '0')}`, t: Date.now(), text: TEXT })).blob);
      }
      cEncMs += performance.now() - t;
      t = performance.now();
      for (const m of raws) await signalDecrypt(SignalMessage.deserialize(m), ra.addr, rb.addr, rb.sessions, rb.id);
      rawDecMs += performance.now() - t;
      // Decrypt + journal in the account's own receive path, then core stores and indexes the batch.
      t = performance.now();
      await adapter.client.receiveBlobs(bobRel.mine!.relay, bobRel.mine!.id, blobs, 1_000_000 + off);
      cDecMs += performance.now() - t;
      t = performance.now();
      core.ingest.flush();
      storeMs += performance.now() - t;
    }
    const backlogMs = cDecMs + storeMs;
    const stored = (core.ctx.db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n - before;
    if (stored !== N) throw new Error(`backlog stored ${stored} of ${N} messages`);

    // PQXDH through the client: invite made by Alice, accepted by a fresh profile (keys, session, hello; no relay round trips timed).
    t = performance.now();
    const { makeBundle, toPreKeyBundle } = await import('../native-protocol/client/keys.ts');
    const { Tx, MemoryStorage } = await import('../native-protocol/client/storage.ts');
    const { storesFor } = await import('../native-protocol/client/signal-stores.ts');
    const { encryptTo, decryptFrom } = await import('../native-protocol/client/session.ts');
    const { loadOrCreateProfile } = await import('../native-protocol/client/keys.ts');
    for (let i = 0; i < opts.setups; i++) {
      const aliceTx = new Tx(alice.storage);
      const bundle = makeBundle(aliceTx, alice.client.profile, true, Date.now());
      aliceTx.commit();
      const bobStore = new MemoryStorage();
      const bob = loadOrCreateProfile(bobStore, 'b');
      const btx = new Tx(bobStore);
      const bst = storesFor(btx, bob.pair, bob.registrationId, Date.now);
      const local = ProtocolAddress.new('self', 1);
      await processPreKeyBundle(toPreKeyBundle(bundle.fields), ProtocolAddress.new('a', 1), local, bst.session, bst.identity);
      const blob = await encryptTo(bst, 'a', local, enc.encode('hello'), Date.now());
      btx.commit();
      const atx = new Tx(alice.storage);
      const ast = storesFor(atx, alice.client.profile.pair, alice.client.profile.registrationId, Date.now);
      await decryptFrom(ast, `setup${i}`, alice.client.localAddress(), blob);
      atx.commit();
    }
    const cSetupMs = performance.now() - t;
    await alice.client.stop();

    return {
      messages: N,
      raw: { encryptPerSecond: perSecond(N, rawEncMs), decryptPerSecond: perSecond(N, rawDecMs), roundPerSecond: perSecond(N, rawEncMs + rawDecMs) },
      client: { encryptPerSecond: perSecond(N, cEncMs), decryptPerSecond: perSecond(N, cDecMs), roundPerSecond: perSecond(N, cEncMs + cDecMs) },
      pqxdh: { rawPerSecond: perSecond(opts.setups, rawSetupMs), clientPerSecond: perSecond(opts.setups, cSetupMs), n: opts.setups },
      backlog: { perSecond: perSecond(N, backlogMs), messages: N },
    };
  } finally {
    await core.close();
    rmSync(profileDir, { recursive: true, force: true });
    await relay.cleanup();
  }
}

export function formatNativeReport(r: NativeBenchResult): string {
  const f = (x: number): string => Math.round(x).toLocaleString('en-US');
  const ratio = r.client.roundPerSecond / r.raw.roundPerSecond;
  return [
    `native protocol (${r.messages.toLocaleString('en-US')} messages of 100 B, one-way burst)`,
    `  encrypt+decrypt through the client   ${f(r.client.roundPerSecond)} msg/s  (encrypt ${f(r.client.encryptPerSecond)}/s, decrypt+journal ${f(r.client.decryptPerSecond)}/s)`,
    `  raw libsignal-client calls           ${f(r.raw.roundPerSecond)} msg/s  (encrypt ${f(r.raw.encryptPerSecond)}/s, decrypt ${f(r.raw.decryptPerSecond)}/s)`,
    `  ratio client / raw                   ${(ratio * 100).toFixed(0)} %   (target ≥ 50 %) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`,
    `  PQXDH session setup (n=${r.pqxdh.n})          client ${f(r.pqxdh.clientPerSecond)}/s, raw ${f(r.pqxdh.rawPerSecond)}/s`,
    `  backlog: decrypt + store + index     ${f(r.backlog.perSecond)} msg/s  (target ≥ 2 000) ${r.backlog.perSecond >= 2000 ? 'OK' : 'MISSED'}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.SWITCHBOARD_LOG ??= 'warn';
  const quick = process.argv.includes('--quick');
  runNativeBenchmark({ messages: quick ? 1000 : 5000, setups: quick ? 50 : 200 })
    .then((r) => console.log(formatNativeReport(r)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
