/**
 * The native-protocol client (SPEC §4–§10): one profile's identity, invites, relationships,
 * mailboxes and groups, over libsignal sessions and dumb relays. It knows nothing of Switchboard's
 * core: it reports what arrives through `ClientEvents` and keeps its own state in `ClientStorage`.
 *
 * Crypto and storage run one operation at a time (`serial`), so a decrypt batch and a send never
 * interleave their session updates.
 */
import { randomBytes } from 'node:crypto';
import { ProtocolAddress, ScannableFingerprint, processPreKeyBundle } from '@signalapp/libsignal-client';
import type { RelayConnection} from '../relay/connection.ts';
import { RelayError } from '../relay/connection.ts';
import type { ErrorCode } from '../relay/wire.ts';
import { b64u, fromB64u, fromUtf8 } from './codec.ts';
import { encodePayload, type GroupMember, type MailboxAddress, type Payload } from './envelope.ts';
import {
  decodeInviteLink,
  decodeShortInvite,
  encodeInviteLink,
  encodeShortInvite,
  InviteFormatError,
  LINK_PREFIX,
  openBundleBlob,
  SHORT_PREFIX,
  sealBundleBlob,
  type InvitePayload,
  type InviteKindCode,
} from './invite-codec.ts';
import { deleteBundleKeys, DEVICE_ID, loadOrCreateProfile, makeBundle, replaceIdentity, toPreKeyBundle, type Profile } from './keys.ts';
import {
  all,
  load,
  localId,
  mailboxKey,
  newSeed,
  receiveKeyOf,
  RNS,
  save,
  unreceiptedNs,
  type GroupRecord,
  type InviteRecord,
  type MailboxRecord,
  type QuarantineRecord,
  type RelRecord,
} from './records.ts';
import { createClientLogger, type ClientLogger } from './log.ts';
import { RelayPool, type OwnedMailbox } from './relays.ts';
import { Receiver } from './receive.ts';
import { safetyNumber } from './safety.ts';
import { readPeerKey, storesFor, writePeerKey, type Trust } from './signal-stores.ts';
import { Tx, type ClientStorage } from './storage.ts';
import { encryptTo } from './session.ts';
import { SerialQueue } from './serial.ts';

/** A text that arrived (1:1 or in a group). */
export interface IncomingText {
  remoteId: string;
  msgId: string;
  /** The relationship it came through (for a forwarded group message: the admin's). */
  rid: string;
  sender: { rid: string | null; name: string; ik: string };
  group: { gid: string; name: string } | null;
  text: string;
  sentAt: number;
  /** Disappearing timer, seconds (0 = off). */
  timer: number;
  request: boolean;
}

/** What the client tells its user (the adapter). */
export interface ClientEvents {
  message(m: IncomingText): void;
  delivery(msgId: string, state: 'delivered' | 'read'): void;
  /** A relationship appeared or changed (name, state, trust). */
  peer(rid: string): void;
  /** A group appeared or changed (name, members, our removal). */
  group(gid: string): void;
  /** The disappearing timer of a 1:1 or group conversation changed. */
  timer(ref: { rid: string } | { gid: string }, seconds: number): void;
  connection(up: boolean): void;
  changed(topic: 'invites' | 'quarantine' | 'identity'): void;
  /** Something went wrong that the user may need to know; never carries message text or keys. */
  problem(text: string): void;
}

export interface ClientOptions {
  storage: ClientStorage;
  displayName: string;
  /** The relays this profile makes mailboxes on (the first is used for new mailboxes). */
  relays: string[];
  events: Partial<ClientEvents>;
  log?: ClientLogger;
  now?: () => number;
  /** Accepts of one invite per minute beyond which they are quarantined (SPEC §9). */
  floodPerMinute?: number;
  backoffMs?: { first: number; max: number };
}

/** A refused operation, with a message for the user. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: 'invalid' | 'expired' | 'revoked' | 'used-up' | 'not-found' | 'unavailable' | 'untrusted' | 'quota' | 'pending' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

export interface InviteOptions {
  kind: InviteKindCode;
  uses?: number | undefined;
  expiresInSeconds?: number | undefined;
  label?: string | undefined;
}

export interface PeerView {
  rid: string;
  name: string;
  state: RelRecord['state'];
  trust: Trust;
  request: boolean;
  timer: number;
  relay: string | null;
  /** The invite of ours they accepted, when they came that way. */
  inviteId: string | null;
}

const DEFAULT_EXPIRY_S: Record<InviteKindCode, number | null> = {
  'one-use': 14 * 86_400,
  'multi-use': 7 * 86_400,
  timed: 86_400,
  address: null,
};

const noop = (): void => undefined;

/** "Bob’s", or a fallback when the name is empty. */
function whose(name: string, fallback = 'Their'): string {
  return name ? `${name}’s` : fallback;
}

export class NativeClient {
  readonly storage: ClientStorage;
  profile!: Profile;
  readonly now: () => number;
  readonly log: ClientLogger;
  readonly events: ClientEvents;
  readonly serial = new SerialQueue();
  readonly pool: RelayPool;
  readonly floodPerMinute: number;
  private readonly receiver: Receiver;
  private readonly relays: string[];
  private readonly keyCache = new Map<string, OwnedMailbox>();
  private started = false;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(opts: ClientOptions) {
    if (opts.relays.length === 0) throw new ClientError('invalid', 'Add at least one relay for encrypted chat.');
    this.storage = opts.storage;
    this.relays = opts.relays;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? createClientLogger('client');
    this.floodPerMinute = opts.floodPerMinute ?? 5;
    this.events = {
      message: noop,
      delivery: noop,
      peer: noop,
      group: noop,
      timer: noop,
      connection: noop,
      changed: noop,
      problem: noop,
      ...opts.events,
    };
    this.profile = loadOrCreateProfile(this.storage, opts.displayName);
    this.pool = new RelayPool({
      log: this.log,
      mailboxesOn: (relay) => this.mailboxesOn(relay),
      onWaiting: (mb) => this.receiver.pull(mb),
      onLinkChange: (relay, up) => this.linkChanged(relay, up),
      backoffMs: opts.backoffMs,
    });
    this.receiver = new Receiver(this);
  }

  private identityCache: { key: Uint8Array; local: ProtocolAddress; of: Profile } | null = null;

  /** Our identity key (serialised). */
  get identityKey(): Uint8Array {
    return this.identity().key;
  }

  private identity(): { key: Uint8Array; local: ProtocolAddress } {
    if (this.identityCache?.of !== this.profile) {
      const key = this.profile.pair.publicKey.serialize();
      this.identityCache = { key, local: ProtocolAddress.new(`self-${b64u(key).slice(0, 16)}`, DEVICE_ID), of: this.profile };
    }
    return this.identityCache;
  }

  /** Connects to the relays, re-emits what was decrypted but not yet confirmed stored, resumes handshakes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.receiver.replayJournal();
    const relays = new Set(this.relays);
    for (const m of all<MailboxRecord>(this.storage, RNS.mailbox)) relays.add(m.relay);
    this.pool.ensure(relays);
    for (const rel of all<RelRecord>(this.storage, RNS.rel)) if (rel.state === 'needs-ack') void this.finishHandshake(rel.rid);
    this.expiryTimer = setInterval(() => void this.expireInvites(), 60_000);
    this.expiryTimer.unref();
    void this.expireInvites();
  }

  async stop(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    await this.pool.stop();
    await this.serial.idle();
  }

  /** Whether at least one of the profile's own relays is connected. */
  get online(): boolean {
    return this.relays.some((r) => this.pool.isUp(r));
  }

  /**
   * The relay a new mailbox goes on: a random one of the profile's relays, so that one relay sees
   * only part of a profile's relationships (SPEC §11).
   */
  private pickRelay(): string {
    const connected = this.relays.filter((r) => this.pool.isUp(r));
    const from = connected.length > 0 ? connected : this.relays;
    return from[Math.floor(Math.random() * from.length)]!;
  }

  // ---- invites ----------------------------------------------------------------------------

  async createInvite(opts: InviteOptions): Promise<InviteRecord> {
    const relay = this.pickRelay();
    const now = this.now();
    const expiresIn = opts.expiresInSeconds ?? DEFAULT_EXPIRY_S[opts.kind];
    if (opts.kind === 'multi-use' && (!opts.uses || opts.uses < 2)) throw new ClientError('invalid', 'Say how many people may use this invite (2 or more).');
    const seed = newSeed();
    const key = receiveKeyOf({ seed } as MailboxRecord);
    const created = await this.withMailboxRetry(relay, (c) => c.create(key));
    const conn = await this.connectionOrFail(relay);
    const shortKey = new Uint8Array(randomBytes(32));
    return this.serial.run(async () => {
      const tx = new Tx(this.storage);
      const bundle = makeBundle(tx, this.profile, opts.kind === 'one-use', now);
      const payload: InvitePayload = {
        v: 1,
        kind: opts.kind,
        exp: expiresIn === null ? undefined : Math.floor(now / 1000) + expiresIn,
        uses: opts.kind === 'multi-use' ? opts.uses : opts.kind === 'one-use' ? 1 : undefined,
        relay,
        mb: created.mailbox,
        cap: created.cap,
        name: this.profile.displayName,
        bundle: bundle.fields,
      };
      let shortLink: string | null = null;
      try {
        await conn.putBundle(key, created.mailbox, sealBundleBlob(shortKey, payload));
        shortLink = encodeShortInvite({ relay, mb: created.mailbox, cap: created.cap, key: shortKey });
      } catch (e) {
        this.log.warn('relay keeps no invite bundle; only the long link works', { error: (e as Error).message });
      }
      const invite: InviteRecord = {
        id: localId('inv_'),
        kind: opts.kind,
        label: opts.label ?? '',
        createdAt: now,
        expiresAt: payload.exp === undefined ? null : payload.exp * 1000,
        maxUses: payload.uses ?? null,
        uses: 0,
        state: 'active',
        relay,
        mailbox: created.mailbox,
        cap: created.cap,
        link: encodeInviteLink(payload),
        shortLink,
        keys: bundle.ids,
        recentAccepts: [],
      };
      save(tx, RNS.invite, invite.id, invite);
      const mb: MailboxRecord = { relay, id: created.mailbox, seed, owner: { kind: 'invite', inviteId: invite.id }, processedSeq: 0 };
      save(tx, RNS.mailbox, mailboxKey(relay, mb.id), mb);
      tx.commit();
      await this.pool.subscribe(this.owned(mb)).catch((e: unknown) => this.log.warn('subscribe failed', { error: (e as Error).message }));
      this.events.changed('invites');
      return invite;
    });
  }

  listInvites(): InviteRecord[] {
    return all<InviteRecord>(this.storage, RNS.invite).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Revokes an invite: its mailbox is deleted at the relay, so later accepts fail there (SPEC §4). */
  async revokeInvite(inviteId: string): Promise<InviteRecord> {
    const inv = load<InviteRecord>(this.storage, RNS.invite, inviteId);
    if (!inv) throw new ClientError('not-found', 'That invite does not exist.');
    if (inv.state === 'active') await this.closeInvite(inv, 'revoked');
    return load<InviteRecord>(this.storage, RNS.invite, inviteId)!;
  }

  /** Ends an invite (revoked, used up or expired): deletes its mailbox and keys. */
  async closeInvite(inv: InviteRecord, state: InviteRecord['state']): Promise<void> {
    const mbKey = mailboxKey(inv.relay, inv.mailbox);
    const mb = load<MailboxRecord>(this.storage, RNS.mailbox, mbKey);
    if (mb) {
      const conn = await this.connectionOrFail(inv.relay);
      try {
        await conn.deleteMailbox(this.owned(mb).key, mb.id);
      } catch (e) {
        if (!(e instanceof RelayError && e.code === 'forbidden')) throw e;
      }
    }
    await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      const cur = load<InviteRecord>(tx, RNS.invite, inv.id) ?? inv;
      save(tx, RNS.invite, inv.id, { ...cur, state });
      tx.put(RNS.mailbox, mbKey, null);
      deleteBundleKeys(tx, inv.keys);
      tx.commit();
    });
    this.keyCache.delete(mbKey);
    this.events.changed('invites');
  }

  private async expireInvites(): Promise<void> {
    const now = this.now();
    for (const inv of this.listInvites()) {
      if (inv.state === 'active' && inv.expiresAt !== null && inv.expiresAt <= now) {
        await this.closeInvite(inv, 'expired').catch((e: unknown) => this.log.warn('could not expire invite', { error: (e as Error).message }));
      }
    }
  }

  /** Reads an invite in either form (the short form is fetched from its relay). */
  async readInvite(text: string): Promise<InvitePayload> {
    const t = text.trim();
    if (t.startsWith(LINK_PREFIX)) return decodeInviteLink(t);
    if (t.startsWith(SHORT_PREFIX)) {
      const s = decodeShortInvite(t);
      const conn = await this.connectionOrFail(s.relay);
      let blob: Uint8Array;
      try {
        blob = await conn.peek(s.mb, s.cap);
      } catch (e) {
        if (e instanceof RelayError && e.code === 'forbidden') throw new ClientError('revoked', 'This invite is no longer valid: it was used, revoked or has expired.');
        throw e;
      }
      const p = openBundleBlob(s.key, blob);
      if (p.mb !== s.mb || p.cap !== s.cap || p.relay !== s.relay) throw new InviteFormatError('The invite waiting at the relay does not match this code.');
      return p;
    }
    throw new InviteFormatError('That is not a Switchboard invite. It should start with switchboard://');
  }

  /**
   * Accepts an invite (SPEC §5): PQXDH with the inviter's bundle, a fresh pairwise mailbox for
   * their replies, and a `hello` into the invite mailbox. The relationship is `pending` until their
   * `hello-ack` arrives.
   */
  async acceptInvite(text: string): Promise<PeerView> {
    let invite: InvitePayload;
    try {
      invite = await this.readInvite(text);
    } catch (e) {
      if (e instanceof InviteFormatError) throw new ClientError('invalid', e.message);
      throw e;
    }
    if (invite.exp !== undefined && invite.exp * 1000 <= this.now()) {
      throw new ClientError('expired', `This invite expired on ${new Date(invite.exp * 1000).toUTCString()}. Ask ${invite.name || 'them'} for a new one.`);
    }
    if (Buffer.from(invite.bundle.ik).equals(this.identityKey)) throw new ClientError('invalid', 'This is your own invite. Send it to the person you want to talk to.');
    const home = this.pickRelay();
    const seed = newSeed();
    const created = await this.withMailboxRetry(home, (c) => c.create(receiveKeyOf({ seed } as MailboxRecord)));
    const rid = localId('n_');
    const rel = await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      const stores = storesFor(tx, this.profile.pair, this.profile.registrationId, this.now);
      const address = ProtocolAddress.new(rid, DEVICE_ID);
      try {
        await processPreKeyBundle(toPreKeyBundle(invite.bundle), address, this.localAddress(), stores.session, stores.identity, new Date(this.now()));
      } catch (e) {
        throw new ClientError('invalid', `This invite's keys are not valid (${(e as Error).message}).`);
      }
      const renew = makeBundle(tx, this.profile, false, this.now());
      const r: RelRecord = {
        rid,
        name: invite.name,
        state: 'pending',
        origin: { by: 'me' },
        request: false,
        mine: { relay: home, id: created.mailbox },
        theirs: { relay: invite.relay, id: invite.mb, cap: invite.cap },
        renew: null,
        timer: 0,
        createdAt: this.now(),
      };
      save(tx, RNS.rel, rid, r);
      const mb: MailboxRecord = { relay: home, id: created.mailbox, seed, owner: { kind: 'pair', rid }, processedSeq: 0 };
      save(tx, RNS.mailbox, mailboxKey(home, mb.id), mb);
      const hello: Payload = {
        k: 'hello',
        id: localId('h_'),
        t: this.now(),
        name: this.profile.displayName,
        mbox: { relay: home, id: created.mailbox, cap: created.cap },
        renew: renew.fields,
      };
      const blob = await encryptTo(stores, rid, this.localAddress(), encodePayload(hello), this.now());
      tx.commit();
      return { r, blob, mb };
    });
    const result = await this.pool.deposit(invite.relay, invite.mb, invite.cap, rel.blob);
    if (!result.ok) {
      await this.forget(rid);
      if (result.code === 'forbidden') throw new ClientError('revoked', `This invite is no longer valid: it was used, revoked or has expired. Ask ${invite.name || 'them'} for a new one.`);
      if (result.code === 'quota-exceeded') throw new ClientError('quota', `${whose(invite.name)} invite mailbox is full. Try again later.`);
      throw new ClientError('unavailable', `The relay refused the invite (${result.code}).`);
    }
    await this.pool.subscribe(this.owned(rel.mb)).catch(() => undefined);
    this.events.peer(rid);
    return this.peer(rid)!;
  }

  /** Removes a relationship that never got going (our accept was refused). */
  private async forget(rid: string): Promise<void> {
    await this.serial.run(async () => {
      const rel = load<RelRecord>(this.storage, RNS.rel, rid);
      const tx = new Tx(this.storage);
      tx.put(RNS.rel, rid, null);
      tx.put('session', rid, null);
      tx.put('peer-key', rid, null);
      if (rel?.mine) tx.put(RNS.mailbox, mailboxKey(rel.mine.relay, rel.mine.id), null);
      tx.commit();
    });
  }

  /** Creates our pairwise mailbox for a peer who accepted our invite and answers with `hello-ack`. */
  async finishHandshake(rid: string): Promise<void> {
    try {
      const rel0 = load<RelRecord>(this.storage, RNS.rel, rid);
      if (!rel0 || rel0.state !== 'needs-ack' || !rel0.theirs) return;
      const home = this.pickRelay();
      let mine = rel0.mine;
      let cap: string | null = null;
      if (!mine) {
        const seed = newSeed();
        const created = await this.withMailboxRetry(home, (c) => c.create(receiveKeyOf({ seed } as MailboxRecord)));
        mine = { relay: home, id: created.mailbox };
        cap = created.cap;
        const mb: MailboxRecord = { relay: home, id: created.mailbox, seed, owner: { kind: 'pair', rid }, processedSeq: 0 };
        await this.serial.run(async () => {
          const tx = new Tx(this.storage);
          save(tx, RNS.mailbox, mailboxKey(home, mb.id), mb);
          save(tx, RNS.rel, rid, { ...load<RelRecord>(tx, RNS.rel, rid)!, mine, pendingCap: cap });
          tx.commit();
        });
        await this.pool.subscribe(this.owned(mb)).catch(() => undefined);
      } else {
        cap = (rel0 as RelRecord & { pendingCap?: string }).pendingCap ?? null;
      }
      if (!cap) throw new Error('pairwise mailbox capability lost');
      const sendCap = cap;
      const { blob, theirs } = await this.serial.run(async () => {
        const tx = new Tx(this.storage);
        const rel = load<RelRecord>(tx, RNS.rel, rid)!;
        const stores = storesFor(tx, this.profile.pair, this.profile.registrationId, this.now);
        const renew = makeBundle(tx, this.profile, false, this.now());
        const ack: Payload = { k: 'hello-ack', id: localId('h_'), t: this.now(), name: this.profile.displayName, mbox: { relay: mine.relay, id: mine.id, cap: sendCap }, renew: renew.fields };
        const b = await encryptTo(stores, rid, this.localAddress(), encodePayload(ack), this.now());
        const next: RelRecord & { pendingCap?: string } = { ...rel, state: 'active' };
        delete next.pendingCap;
        save(tx, RNS.rel, rid, next);
        tx.commit();
        return { blob: b, theirs: rel.theirs! };
      });
      const r = await this.pool.deposit(theirs.relay, theirs.id, theirs.cap, blob);
      if (!r.ok) this.log.warn('hello-ack refused by relay', { code: r.code });
      this.events.peer(rid);
    } catch (e) {
      this.log.warn('handshake not finished; will retry on next start', { error: (e as Error).message });
    }
  }

  // ---- quarantine --------------------------------------------------------------------------

  quarantine(): QuarantineRecord[] {
    return all<QuarantineRecord>(this.storage, RNS.quarantine).sort((a, b) => a.arrivedAt - b.arrivedAt);
  }

  async decideQuarantine(ids: readonly string[] | 'all', accept: boolean): Promise<void> {
    const chosen = this.quarantine().filter((q) => ids === 'all' || ids.includes(q.id));
    if (ids !== 'all' && chosen.length !== ids.length) throw new ClientError('not-found', 'Some of those accepts are no longer waiting for review.');
    for (const q of chosen) {
      await this.serial.run(async () => {
        const tx = new Tx(this.storage);
        tx.put(RNS.quarantine, q.id, null);
        const rel = load<RelRecord>(tx, RNS.rel, q.rid);
        if (rel) {
          if (accept) save(tx, RNS.rel, q.rid, { ...rel, state: 'needs-ack' });
          else {
            tx.put(RNS.rel, q.rid, null);
            tx.put('session', q.rid, null);
            tx.put('peer-key', q.rid, null);
          }
        }
        tx.commit();
      });
      if (accept) {
        await this.finishHandshake(q.rid);
        this.events.peer(q.rid);
      }
    }
    this.events.changed('quarantine');
  }

  // ---- peers, trust ------------------------------------------------------------------------

  peer(rid: string): PeerView | null {
    const rel = load<RelRecord>(this.storage, RNS.rel, rid);
    if (!rel) return null;
    return {
      rid,
      name: rel.name,
      state: rel.state,
      trust: readPeerKey(this.storage, rid)?.trust ?? 'tofu',
      request: rel.request,
      timer: rel.timer,
      relay: rel.theirs?.relay ?? null,
      inviteId: rel.origin.by === 'them' ? rel.origin.inviteId : null,
    };
  }

  peers(): PeerView[] {
    return all<RelRecord>(this.storage, RNS.rel).map((r) => this.peer(r.rid)!);
  }

  safetyNumber(rid: string): { digits: string; qrPayload: string; verified: boolean; changed: boolean } {
    const pk = readPeerKey(this.storage, rid);
    if (!pk) throw new ClientError('not-found', 'There is no encrypted session with this contact yet.');
    return { ...safetyNumber(this.identityKey, pk.key), verified: pk.trust === 'verified', changed: pk.trust === 'changed' };
  }

  compareScanned(rid: string, qrPayload: string): boolean {
    const mine = this.safetyNumber(rid).qrPayload;
    try {
      return ScannableFingerprint._fromBuffer(fromB64u(mine)).compare(ScannableFingerprint._fromBuffer(fromB64u(qrPayload)));
    } catch {
      return false;
    }
  }

  setVerified(rid: string, verified: boolean): void {
    const tx = new Tx(this.storage);
    const pk = readPeerKey(tx, rid);
    if (!pk) throw new ClientError('not-found', 'There is no encrypted session with this contact yet.');
    writePeerKey(tx, rid, verified ? { key: pk.key, trust: 'verified', trustedKey: pk.key } : { ...pk, trust: pk.trust === 'changed' ? 'changed' : 'tofu' });
    tx.commit();
    this.events.peer(rid);
  }

  acknowledgeChange(rid: string): void {
    const tx = new Tx(this.storage);
    const pk = readPeerKey(tx, rid);
    if (!pk) throw new ClientError('not-found', 'There is no encrypted session with this contact yet.');
    if (pk.trust === 'changed') writePeerKey(tx, rid, { key: pk.key, trust: 'tofu', trustedKey: pk.key });
    tx.commit();
    this.events.peer(rid);
  }

  /**
   * Replaces this profile's identity key (what a reinstall without a backup of keys amounts to) and
   * re-establishes every active session with the peer's renewal bundle, announcing the new key with
   * `rekey`. Peers see the change (SPEC §7).
   */
  async replaceIdentityKey(): Promise<void> {
    const deposits = await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      this.profile = replaceIdentity(tx, this.profile);
      const stores = storesFor(tx, this.profile.pair, this.profile.registrationId, this.now);
      const out: { to: MailboxAddress; blob: Uint8Array }[] = [];
      for (const rel of all<RelRecord>(tx, RNS.rel)) {
        if (rel.state !== 'active' || !rel.renew || !rel.theirs) continue;
        tx.put('session', rel.rid, null);
        await processPreKeyBundle(toPreKeyBundle(rel.renew), ProtocolAddress.new(rel.rid, DEVICE_ID), this.localAddress(), stores.session, stores.identity, new Date(this.now()));
        const renew = makeBundle(tx, this.profile, false, this.now());
        const p: Payload = { k: 'rekey', id: localId('r_'), t: this.now(), renew: renew.fields };
        out.push({ to: rel.theirs, blob: await encryptTo(stores, rel.rid, this.localAddress(), encodePayload(p), this.now()) });
      }
      tx.commit();
      return out;
    });
    await Promise.all(deposits.map((d) => this.pool.deposit(d.to.relay, d.to.id, d.to.cap, d.blob)));
  }

  // ---- sending -----------------------------------------------------------------------------

  /**
   * Sends a text to a peer; idempotent on `msgId` (a second call after success deposits nothing).
   * The session advances before the deposit, so a crash in between never reuses a message key.
   */
  async sendText(rid: string, msgId: string, text: string, group?: string): Promise<{ sentAt: number }> {
    const done = load<{ sentAt: number }>(this.storage, RNS.sent, `${rid} ${msgId}`);
    if (done) return done;
    const rel = load<RelRecord>(this.storage, RNS.rel, rid);
    if (!rel) throw new ClientError('not-found', 'There is no encrypted session with this contact.');
    const timer = group ? (this.group(group)?.timer ?? 0) : rel.timer;
    const payload: Payload = { k: 'text', id: msgId, t: this.now(), text, exp: timer || undefined, g: group };
    await this.sendPayload(rel, payload);
    const sent = { sentAt: payload.t };
    await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      save(tx, RNS.sent, `${rid} ${msgId}`, sent);
      const cur = load<RelRecord>(tx, RNS.rel, rid);
      // Replying to a stranger accepts them (as in Signal): receipts may flow from now on.
      if (cur?.request) save(tx, RNS.rel, rid, { ...cur, request: false });
      tx.commit();
    });
    return sent;
  }

  /** Encrypts and deposits one payload to a peer. Throws `ClientError` with a reason the outbox can act on. */
  async sendPayload(rel: RelRecord, payload: Payload): Promise<void> {
    const { blob, to } = await this.seal(rel, payload);
    const r = await this.pool.deposit(to.relay, to.id, to.cap, blob);
    if (!r.ok) {
      if (r.code === 'quota-exceeded') throw new ClientError('quota', `${whose(rel.name)} mailbox at the relay is full (quota exceeded); the message waits and is sent again later.`);
      if (r.code === 'forbidden') throw new ClientError('refused', `The relay no longer accepts messages for ${rel.name || 'this contact'} (their mailbox is gone).`);
      throw new RelayError(r.code as ErrorCode, r.message);
    }
  }

  /**
   * Encrypts one payload for a peer and commits the session step, without sending: the envelope and
   * where it goes. (The send path and the benchmark use it.)
   */
  async seal(rel: RelRecord, payload: Payload): Promise<{ blob: Uint8Array; to: MailboxAddress }> {
    if (rel.state === 'pending') throw new ClientError('pending', `Waiting for ${rel.name || 'them'} to confirm the invite (they need to be online once).`);
    if (rel.state === 'needs-ack' || rel.state === 'quarantined') throw new ClientError('pending', `You have not accepted ${rel.name || 'this person'} yet.`);
    if (rel.state === 'refused' || !rel.theirs) throw new ClientError('refused', `${rel.name || 'They'} refused the invite; there is no encrypted session.`);
    const to = rel.theirs;
    const blob = await this.serial.run(async () => {
      const pk = readPeerKey(this.storage, rel.rid);
      if (pk?.trust === 'changed') {
        throw new ClientError('untrusted', `${whose(rel.name, 'This contact’s')} safety number changed. Check it with them, then send again.`);
      }
      const tx = new Tx(this.storage);
      const stores = storesFor(tx, this.profile.pair, this.profile.registrationId, this.now);
      const b = await encryptTo(stores, rel.rid, this.localAddress(), encodePayload(payload), this.now());
      tx.commit();
      return b;
    });
    return { blob, to };
  }

  /** Processes envelopes as if fetched from one of our mailboxes (the receive path without the network; benchmarks). */
  async receiveBlobs(relay: string, mailboxId: string, blobs: Uint8Array[], firstSeq: number): Promise<void> {
    await this.receiver.processBatch(mailboxKey(relay, mailboxId), blobs.map((blob, i) => ({ seq: firstSeq + i, blob, receivedAt: this.now() })));
  }

  /** A relationship's stored record (benchmarks and tests). */
  relationship(rid: string): RelRecord | null {
    return load<RelRecord>(this.storage, RNS.rel, rid);
  }

  /** Sends receipts for messages from a peer (only called where the receipts policy allows). */
  async sendReceipt(rid: string, ids: string[], state: 'delivered' | 'read'): Promise<void> {
    const rel = load<RelRecord>(this.storage, RNS.rel, rid);
    if (!rel || rel.state !== 'active' || ids.length === 0) return;
    for (let i = 0; i < ids.length; i += 1000) {
      await this.sendPayload(rel, { k: 'receipt', id: localId('rc_'), t: this.now(), state, ids: ids.slice(i, i + 1000) });
    }
  }

  /** Read receipts for everything received from a peer up to and including `msgId`. */
  async sendReadUpTo(rid: string, msgId: string): Promise<void> {
    const ns = unreceiptedNs(rid);
    const list = this.storage.list(ns);
    const at = list.findIndex(([, v]) => fromUtf8(v) === msgId);
    if (at < 0) return;
    const upTo = list.slice(0, at + 1);
    await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      for (const [k] of upTo) tx.put(ns, k, null);
      tx.commit();
    });
    await this.sendReceipt(
      rid,
      upTo.map(([, v]) => fromUtf8(v)),
      'read',
    );
  }
  /** Sets the disappearing timer of a 1:1 conversation and tells the peer. */
  async setTimer(rid: string, seconds: number): Promise<void> {
    const rel = load<RelRecord>(this.storage, RNS.rel, rid);
    if (!rel) throw new ClientError('not-found', 'There is no encrypted session with this contact.');
    await this.sendPayload(rel, { k: 'timer', id: localId('t_'), t: this.now(), seconds });
    await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      save(tx, RNS.rel, rid, { ...load<RelRecord>(tx, RNS.rel, rid)!, timer: seconds });
      tx.commit();
    });
  }

  /** The user accepted this stranger's request: delivery receipts may flow from now on. */
  async acceptRequest(rid: string): Promise<void> {
    await this.serial.run(async () => {
      const rel = load<RelRecord>(this.storage, RNS.rel, rid);
      if (!rel?.request) return;
      const tx = new Tx(this.storage);
      save(tx, RNS.rel, rid, { ...rel, request: false });
      tx.commit();
    });
  }

  /** Sets a group's disappearing timer and tells every member we reach. */
  async setGroupTimer(gid: string, seconds: number): Promise<void> {
    const g = this.group(gid);
    if (!g) throw new ClientError('not-found', 'That group does not exist.');
    if (g.left) throw new ClientError('refused', 'You are no longer in this group.');
    const p: Payload = { k: 'timer', id: localId('t_'), t: this.now(), seconds, g: gid };
    for (const m of g.members) {
      if (Buffer.from(m.ik).equals(this.identityKey)) continue;
      const rel = this.relByKey(m.ik);
      if (rel?.state === 'active') await this.sendPayload(rel, p);
    }
    await this.saveGroup({ ...g, timer: seconds });
  }

  // ---- groups (SPEC §8) ---------------------------------------------------------------------

  group(gid: string): GroupRecord | null {
    return load<GroupRecord>(this.storage, RNS.group, gid);
  }

  /** The relationship whose peer holds this identity key, if any (active first). */
  relByKey(ik: Uint8Array): RelRecord | null {
    let best: RelRecord | null = null;
    for (const rel of all<RelRecord>(this.storage, RNS.rel)) {
      const pk = readPeerKey(this.storage, rel.rid);
      if (!pk || !Buffer.from(pk.key).equals(ik)) continue;
      if (!best || (rel.state === 'active' && best.state !== 'active')) best = rel;
    }
    return best;
  }

  async createGroup(name: string, rids: string[]): Promise<GroupRecord> {
    const members: GroupMember[] = [{ ik: this.identityKey, name: this.profile.displayName }];
    for (const rid of rids) {
      const rel = load<RelRecord>(this.storage, RNS.rel, rid);
      const pk = readPeerKey(this.storage, rid);
      if (!rel || rel.state !== 'active' || !pk) throw new ClientError('not-found', 'Everyone in a group needs an encrypted chat with you first.');
      members.push({ ik: pk.key, name: rel.name });
    }
    const g: GroupRecord = { gid: localId('g_'), name, members, admin: this.identityKey, timer: 0, left: false };
    await this.saveGroup(g);
    await this.announceGroup(g, g.members);
    return g;
  }

  /** Admin only: sets the member list; removed members get nothing more (SPEC §8). */
  async setGroupMembers(gid: string, rids: string[]): Promise<GroupRecord> {
    const g = this.group(gid);
    if (!g) throw new ClientError('not-found', 'That group does not exist.');
    if (!Buffer.from(g.admin).equals(this.identityKey)) throw new ClientError('invalid', 'Only the person who made the group can change who is in it.');
    const members: GroupMember[] = [{ ik: this.identityKey, name: this.profile.displayName }];
    for (const rid of rids) {
      const rel = load<RelRecord>(this.storage, RNS.rel, rid);
      const pk = readPeerKey(this.storage, rid);
      if (!rel || !pk) throw new ClientError('not-found', 'Everyone in a group needs an encrypted chat with you first.');
      members.push({ ik: pk.key, name: rel.name });
    }
    const next = { ...g, members };
    await this.saveGroup(next);
    await this.announceGroup(next, members);
    // Those removed learn only that they are out: an empty member list, nobody named (SPEC §8).
    const removed = g.members.filter((m) => !members.some((k) => Buffer.from(k.ik).equals(m.ik)));
    for (const m of removed) {
      const rel = this.relByKey(m.ik);
      if (rel?.state !== 'active') continue;
      await this.sendPayload(rel, { k: 'group', id: localId('gc_'), t: this.now(), g: gid, name: g.name, members: [], admin: g.admin }).catch((e: unknown) =>
        this.log.warn('removal notice not sent', { error: (e as Error).message }),
      );
    }
    return next;
  }

  private async announceGroup(g: GroupRecord, to: GroupMember[]): Promise<void> {
    const p: Payload = { k: 'group', id: localId('gc_'), t: this.now(), g: g.gid, name: g.name, members: g.members, admin: g.admin };
    for (const m of to) {
      if (Buffer.from(m.ik).equals(this.identityKey)) continue;
      const rel = this.relByKey(m.ik);
      if (rel) await this.sendPayload(rel, p);
    }
  }

  async saveGroup(g: GroupRecord): Promise<void> {
    await this.serial.run(async () => {
      const tx = new Tx(this.storage);
      save(tx, RNS.group, g.gid, g);
      tx.commit();
    });
    this.events.group(g.gid);
  }

  /**
   * Sends a text to a group: one encryption and deposit per member we have a session with; the
   * admin forwards to the members the sender cannot reach (SPEC §8).
   */
  async sendGroupText(gid: string, msgId: string, text: string): Promise<{ sentAt: number }> {
    const g = this.group(gid);
    if (!g) throw new ClientError('not-found', 'That group does not exist.');
    if (g.left) throw new ClientError('refused', 'You are no longer in this group.');
    const at = this.now();
    const failures: Error[] = [];
    for (const m of g.members) {
      if (Buffer.from(m.ik).equals(this.identityKey)) continue;
      const rel = this.relByKey(m.ik);
      if (!rel) continue;
      try {
        await this.sendText(rel.rid, msgId, text, gid);
      } catch (e) {
        failures.push(e as Error);
      }
    }
    if (failures.length > 0) throw failures[0]!;
    return { sentAt: at };
  }

  // ---- receiving, core handshake -------------------------------------------------------------

  /** Core stored these messages: their envelopes may be acknowledged at the relay, receipts sent. */
  async messagesStored(remoteIds: readonly string[]): Promise<void> {
    await this.receiver.stored(remoteIds);
  }

  /** Fetches every mailbox now (after a reconnect, or in tests). */
  pullAll(): void {
    for (const m of all<MailboxRecord>(this.storage, RNS.mailbox)) this.receiver.pull(this.owned(m));
  }

  idle(): Promise<void> {
    return this.receiver.idle();
  }

  /** Our own libsignal address (a name libsignal wants; never sent). */
  localAddress(): ProtocolAddress {
    return this.identity().local;
  }

  owned(m: MailboxRecord): OwnedMailbox {
    const k = mailboxKey(m.relay, m.id);
    let o = this.keyCache.get(k);
    if (!o) {
      o = { relay: m.relay, id: m.id, key: receiveKeyOf(m) };
      this.keyCache.set(k, o);
    }
    return o;
  }

  async connectionOrFail(relay: string): Promise<RelayConnection> {
    try {
      return await this.pool.connection(relay);
    } catch {
      throw new ClientError('unavailable', `The relay ${relay} is not reachable right now. Check the connection and try again.`);
    }
  }

  /** Creates a mailbox; a connection that reached its creation limit is replaced once. */
  private async withMailboxRetry<T>(relay: string, fn: (c: RelayConnection) => Promise<T>): Promise<T> {
    const conn = await this.connectionOrFail(relay);
    try {
      return await fn(conn);
    } catch (e) {
      if (e instanceof RelayError && e.code === 'too-many-mailboxes') {
        await conn.close();
        return fn(await this.connectionOrFail(relay));
      }
      throw e;
    }
  }

  private mailboxesOn(relay: string): OwnedMailbox[] {
    return all<MailboxRecord>(this.storage, RNS.mailbox)
      .filter((m) => m.relay === relay)
      .map((m) => this.owned(m));
  }

  private wasOnline = false;

  private linkChanged(relay: string, up: boolean): void {
    if (this.relays.includes(relay) && this.online !== this.wasOnline) {
      this.wasOnline = this.online;
      this.events.connection(this.wasOnline);
    }
    if (up) {
      // Sessions waiting on a handshake get another try now that a relay is back.
      for (const rel of all<RelRecord>(this.storage, RNS.rel)) if (rel.state === 'needs-ack') void this.finishHandshake(rel.rid);
    }
  }
}

/** The relay's error type, for callers that tell relay refusals from client ones. */
export { RelayError };
