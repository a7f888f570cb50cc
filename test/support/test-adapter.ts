/**
 * TEST DOUBLE — used only by tests, benchmarks and the demo host, never shipped.
 * An in-memory "network" of fake accounts: tests deliver messages to them, watch what they send,
 * make sends fail and take accounts on- and offline. It speaks the real adapter contract, so core
 * cannot tell it from a protocol adapter.
 */
import {
  AdapterActionError,
  AdapterSendError,
  type AccountConfig,
  type AccountStatus,
  type Adapter,
  type AdapterEvent,
  type AdapterEventType,
  type AdapterServices,
  type AdapterStateStore,
  type AttachmentData,
  type MessageContent,
  type OutgoingMessage,
  type RemotePerson,
  type Protocol,
  type RemoteConversationRef,
  type RouteRef,
  type SecurityFacts,
  type SendErrorClass,
  type SendReceipt,
} from '../../adapters/contract.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import { TestGroups, type TestRoom } from './test-groups.ts';
import { TestInvites, TestVerification, type InviteTarget } from './test-native.ts';

/** The adapter kind the test double registers under. */
export const TEST_KIND = 'test-double';

/** Typical facts per protocol, as the real adapters will report them. */
export const TYPICAL_FACTS: Record<Protocol, SecurityFacts> = {
  email: { transport: 'tls-verified', endToEnd: 'none', forwardSecrecy: false, identity: 'none', metadataProtection: false, postQuantum: false, downgradeResistant: false },
  xmpp: { transport: 'tls-verified', endToEnd: 'none', forwardSecrecy: false, identity: 'none', metadataProtection: false, postQuantum: false, downgradeResistant: false },
  matrix: { transport: 'tls-verified', endToEnd: 'all', forwardSecrecy: true, identity: 'tofu', metadataProtection: false, postQuantum: false, downgradeResistant: true },
  native: { transport: 'tls-verified', endToEnd: 'all', forwardSecrecy: true, identity: 'tofu', metadataProtection: true, postQuantum: true, downgradeResistant: true },
};

export interface SentRecord {
  accountId: string;
  out: OutgoingMessage;
  attempt: number;
}

type Listener = (e: AdapterEvent) => void;

export class TestAdapter implements Adapter {
  readonly protocol: Protocol;
  readonly accountId: string;
  private readonly listeners = new Map<AdapterEventType, Set<Listener>>();
  status: AccountStatus = 'offline';
  /** Facts per target; falls back to the protocol's typical facts. */
  readonly facts = new Map<string, SecurityFacts>();
  private readonly receipts = new Map<string, SendReceipt>();
  /** Native accounts only: invites and the accept quarantine (see test-native.ts). */
  readonly invites: TestInvites | undefined;
  /** Native accounts only: safety numbers. */
  readonly verification: TestVerification | undefined;
  /** Native accounts only: group chats (see test-groups.ts). */
  readonly groups: TestGroups | undefined;
  /** Peer addresses this account has exchanged messages or invites with (safety numbers need one). */
  readonly knownPeers = new Set<string>();

  /** The durable store core handed over (absent when a test builds the adapter by hand). */
  readonly state: AdapterStateStore | undefined;

  /**
   * Sets a conversation's disappearing timer (recorded in `network.timers`); absent on protocols
   * listed in `network.noDisappearing` (email by default), as on a protocol without such a thing.
   */
  readonly setDisappearing: ((conversation: RemoteConversationRef, seconds: number) => Promise<void>) | undefined;

  /**
   * An attachment's bytes from `network.attachments` (recorded in `network.attachmentFetches`);
   * absent on protocols listed in `network.noAttachments`.
   */
  readonly fetchAttachment: ((remoteId: string, attachmentId: string) => Promise<AttachmentData>) | undefined;

  constructor(
    readonly account: AccountConfig,
    private readonly network: TestNetwork,
    services?: AdapterServices,
  ) {
    this.state = services?.state;
    this.protocol = account.protocol;
    this.accountId = account.id;
    this.invites = account.protocol === 'native' ? new TestInvites(this, network) : undefined;
    this.verification = account.protocol === 'native' ? new TestVerification(this, network) : undefined;
    this.groups = account.protocol === 'native' ? new TestGroups(this, network) : undefined;
    this.setDisappearing = network.noDisappearing.has(account.protocol)
      ? undefined
      : async (conversation, seconds) => {
          const failure = network.timerFailure;
          if (failure) {
            network.timerFailure = null;
            throw failure;
          }
          network.timers.push({ accountId: this.accountId, conversation, seconds });
        };
    this.fetchAttachment = network.noAttachments.has(account.protocol)
      ? undefined
      : async (remoteId, attachmentId) => {
          network.attachmentFetches.push({ accountId: this.accountId, remoteId, attachmentId });
          const data = network.attachments.get(`${remoteId}/${attachmentId}`);
          if (!data) throw new AdapterActionError('not-found', 'The server no longer has this attachment.');
          return data;
        };
  }

  /** The user accepted a message request (recorded in `network.accepted`; throws when `failPeerAccepted`). */
  peerAccepted(conversation: RemoteConversationRef): void {
    if (this.network.failPeerAccepted) throw new Error('peerAccepted failed (test)');
    this.network.accepted.push({ accountId: this.accountId, conversation });
  }

  async connect(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.setStatus('offline'));
    this.setStatus(this.network.startOffline.has(this.account.address) ? 'offline' : 'online');
  }

  async disconnect(): Promise<void> {
    if (this.network.disconnectDelayMs > 0) await new Promise((r) => setTimeout(r, this.network.disconnectDelayMs));
    this.setStatus('offline');
  }

  async send(out: OutgoingMessage, signal?: AbortSignal): Promise<SendReceipt> {
    const previous = this.receipts.get(out.clientId);
    const attempt = this.network.sent.filter((s) => s.out.clientId === out.clientId).length + 1;
    this.network.sent.push({ accountId: this.accountId, out, attempt });
    if (this.network.hangingSends > 0) {
      // A server that never answers: only core's deadline (the abort) ends the wait.
      this.network.hangingSends--;
      await new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    if (out.conversation.kind === 'direct') this.knownPeers.add(out.conversation.peer.address);
    const failure = this.network.takeFailure(this.accountId);
    if (failure) throw new AdapterSendError(failure.errorClass, failure.message);
    if (this.status !== 'online') throw new AdapterSendError('network', 'offline');
    if (previous) return previous; // idempotent on clientId: never delivered twice
    const receipt = { remoteId: `sent-${out.clientId}`, sentAt: Date.now() };
    this.receipts.set(out.clientId, receipt);
    this.network.delivered.push({ accountId: this.accountId, out, attempt });
    return receipt;
  }

  async sendReadReceipt(conversation: RemoteConversationRef, upToRemoteId: string): Promise<void> {
    this.network.receipts.push({ accountId: this.accountId, conversation, kind: 'read', detail: upToRemoteId });
  }

  async sendTyping(conversation: RemoteConversationRef, typing: boolean): Promise<void> {
    this.network.receipts.push({ accountId: this.accountId, conversation, kind: 'typing', detail: String(typing) });
  }

  securityFacts(route: RouteRef): SecurityFacts {
    const facts = this.facts.get(route.target) ?? this.network.factsOverride.get(this.accountId) ?? TYPICAL_FACTS[this.protocol];
    const identity = this.verification?.identityFact(route.target);
    return identity ? { ...facts, identity } : facts;
  }

  /** Core stored these messages; recorded (or made to throw) for tests. */
  messagesStored(remoteIds: readonly string[]): void {
    if (this.network.failMessagesStored) throw new Error('messagesStored failed (test)');
    this.network.stored.push({ accountId: this.accountId, remoteIds: [...remoteIds] });
  }

  /** Reports the current facts of a route, as an adapter does when they change. */
  announceFacts(target: string): void {
    this.emitRaw({ type: 'route-facts', accountId: this.accountId, target, facts: this.securityFacts({ accountId: this.accountId, target }) });
  }

  on<E extends AdapterEventType>(type: E, fn: (e: Extract<AdapterEvent, { type: E }>) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn as Listener);
    return () => set.delete(fn as Listener);
  }

  /** Emits anything, even malformed events, as a hostile or buggy adapter might. */
  emitRaw(e: unknown): void {
    const type = (e as { type?: AdapterEventType }).type;
    for (const l of this.listeners.get(type ?? 'error') ?? []) l(e as AdapterEvent);
  }

  setStatus(status: AccountStatus): void {
    this.status = status;
    this.emitRaw({ type: 'status', accountId: this.accountId, status });
  }
}

/** The fake world the test accounts live in. */
export class TestNetwork {
  readonly adapters = new Map<string, TestAdapter>();
  /** Every send attempt, in order. */
  readonly sent: SentRecord[] = [];
  /** Sends that succeeded (what a peer would have received). */
  readonly delivered: SentRecord[] = [];
  readonly factsOverride = new Map<string, SecurityFacts>();
  /** Disappearing timers the accounts set (what the peers were told). */
  readonly timers: { accountId: string; conversation: RemoteConversationRef; seconds: number }[] = [];
  /** The next `setDisappearing` throws this. */
  timerFailure: Error | null = null;
  /** Protocols whose test adapter has no `setDisappearing` (read when an adapter is built). */
  readonly noDisappearing = new Set<Protocol>(['email']);
  /** Message requests the accounts were told the user accepted. */
  readonly accepted: { accountId: string; conversation: RemoteConversationRef }[] = [];
  /** Makes `peerAccepted` throw, as a buggy adapter might. */
  failPeerAccepted = false;
  /** Read receipts and typing notices the accounts sent. */
  readonly receipts: { accountId: string; conversation: RemoteConversationRef; kind: 'read' | 'typing'; detail: string }[] = [];
  /** Account addresses whose adapter starts offline. */
  readonly startOffline = new Set<string>();
  /** How many of the next sends hang until aborted (a server that stops answering). */
  hangingSends = 0;
  /** Makes `disconnect` slow, to exercise api call timeouts. */
  disconnectDelayMs = 0;
  /** What each account's `messagesStored` was told, in order. */
  readonly stored: { accountId: string; remoteIds: string[] }[] = [];
  /** Makes `messagesStored` throw, as a buggy adapter might. */
  failMessagesStored = false;
  /** Attachment bytes the accounts' servers hold, by `<remoteId>/<attachmentId>`. */
  readonly attachments = new Map<string, AttachmentData>();
  /** Every `fetchAttachment` call, in order. */
  readonly attachmentFetches: { accountId: string; remoteId: string; attachmentId: string }[] = [];
  /** Protocols whose test adapter has no `fetchAttachment` (read when an adapter is built). */
  readonly noAttachments = new Set<Protocol>();
  /** Invite links (long and short) made by test accounts, and the invite each leads to. */
  readonly inviteLinks = new Map<string, InviteTarget>();
  /** Invite links made outside the test network (by someone not modelled), and who made them. */
  readonly outsideInvites = new Map<string, RemotePerson>();
  /** Hold every accept of an invite in the inviter's quarantine (as a flood would). */
  quarantineAccepts = false;
  /** Group rooms made by test accounts (or placed by `outsideGroup`), by room id. */
  readonly rooms = new Map<string, TestRoom>();
  /** The clock invites expire by. */
  now: () => number = Date.now;
  private readonly keyVersions = new Map<string, number>();
  private readonly failures = new Map<string, { errorClass: SendErrorClass; message: string }[]>();
  private seq = 0;

  registry(): AdapterRegistry {
    return new AdapterRegistry().register(TEST_KIND, (account, services) => {
      const a = new TestAdapter(account, this, services);
      this.adapters.set(account.id, a);
      return a;
    });
  }

  /** A fresh number for ids made on the network. */
  nextSeq(): number {
    return ++this.seq;
  }

  /** The native test account with this address, if it is on the network. */
  accountByAddress(address: string): TestAdapter | undefined {
    for (const a of this.adapters.values()) if (a.protocol === 'native' && a.account.address === address) return a;
    return undefined;
  }

  /** Every test account in the room hears it appeared or changed; those in `removed` hear they left it. */
  announceRoom(room: TestRoom, removed: readonly RemotePerson[]): void {
    const tell = (address: string, left: boolean) => {
      const a = this.accountByAddress(address);
      a?.emitRaw({ type: 'group', accountId: a.accountId, roomId: room.roomId, title: room.title, left });
    };
    for (const m of room.members) tell(m.address, false);
    for (const m of removed) tell(m.address, true);
  }

  /**
   * Someone not modelled on the network made a group with this account in it (they are its admin):
   * the account hears about it and has a chat with the admin; `others` are members it may not know.
   */
  outsideGroup(accountId: string, title: string, admin: RemotePerson, others: RemotePerson[] = []): TestRoom {
    const a = this.adapter(accountId);
    const room: TestRoom = {
      roomId: `outside-group-${this.nextSeq()}`,
      title,
      admin: admin.address,
      members: [admin, { address: a.account.address, displayName: a.account.displayName }, ...others],
    };
    this.rooms.set(room.roomId, room);
    a.knownPeers.add(admin.address);
    this.announceRoom(room, []);
    return room;
  }

  /** A group event on an account, as its adapter would report it (renamed, removed, ...). */
  groupEvent(accountId: string, roomId: string, title: string, left: boolean): void {
    this.adapter(accountId).emitRaw({ type: 'group', accountId, roomId, title, left });
  }

  adapter(accountId: string): TestAdapter {
    const a = this.adapters.get(accountId);
    if (!a) throw new Error(`no test adapter for ${accountId}`);
    return a;
  }

  /** A message from a peer arrives on an account. */
  receive(
    accountId: string,
    from: { address: string; displayName?: string },
    text: string,
    opts: {
      remoteId?: string;
      sentAt?: number;
      facts?: SecurityFacts;
      historical?: boolean;
      request?: boolean;
      /** The sender's disappearing timer, in seconds. */
      disappearAfterSeconds?: number;
      /** Subject, original, HTML, attachments or a problem, as an email adapter reports them. */
      content?: MessageContent;
    } = {},
  ): string {
    const remoteId = opts.remoteId ?? `in-${++this.seq}-${Date.now()}`;
    const adapter = this.adapter(accountId);
    adapter.knownPeers.add(from.address);
    adapter.emitRaw({
      type: 'message',
      accountId,
      remoteId,
      conversation: { kind: 'direct', peer: from },
      sender: from,
      text,
      sentAt: opts.sentAt ?? Date.now(),
      ...(opts.facts ? { facts: opts.facts } : {}),
      ...(opts.historical !== undefined ? { historical: opts.historical } : {}),
      ...(opts.request !== undefined ? { request: opts.request } : {}),
      ...(opts.disappearAfterSeconds !== undefined ? { disappearAfterSeconds: opts.disappearAfterSeconds } : {}),
      ...(opts.content ? { content: opts.content } : {}),
    });
    return remoteId;
  }

  /** The peer (or a group member) changes a conversation's disappearing timer. */
  changeTimer(accountId: string, conversation: RemoteConversationRef, seconds: number): void {
    this.adapter(accountId).emitRaw({ type: 'disappearing', accountId, conversation, seconds });
  }

  /** Someone becomes reachable on an account (an invite accepted, a session confirmed). */
  peerReachable(accountId: string, peer: RemotePerson, request?: boolean): void {
    this.adapter(accountId).emitRaw({ type: 'peer', accountId, peer, ...(request !== undefined ? { request } : {}) });
  }

  /** An invite link someone outside the test network made; accepting it leads to `inviter`. */
  outsideInvite(inviter: RemotePerson): string {
    const link = `switchboard://invite/1/outside-${++this.seq}`;
    this.outsideInvites.set(link, inviter);
    return link;
  }

  /** A key's version: the test network's stand-in for a public key. */
  keyVersion(address: string): number {
    return this.keyVersions.get(address) ?? 1;
  }

  /**
   * Someone's key changes (a new device, or someone in the middle): every native account that knew
   * them sees the change, says its identities changed and reports the route's new facts.
   */
  changeKey(address: string): void {
    this.keyVersions.set(address, this.keyVersion(address) + 1);
    for (const a of this.adapters.values()) {
      if (!a.verification?.keyChanged(address)) continue;
      a.emitRaw({ type: 'changed', accountId: a.accountId, topic: 'identity' });
      a.announceFacts(address);
    }
  }

  /** A message in a group room arrives on an account. */
  receiveInRoom(
    accountId: string,
    roomId: string,
    title: string,
    from: { address: string; displayName?: string },
    text: string,
    sentAt = Date.now(),
    opts: { request?: boolean; disappearAfterSeconds?: number } = {},
  ): void {
    this.adapter(accountId).emitRaw({
      type: 'message',
      accountId,
      remoteId: `room-${++this.seq}-${Date.now()}`,
      conversation: { kind: 'group', roomId, title },
      sender: from,
      text,
      sentAt,
      ...(opts.request !== undefined ? { request: opts.request } : {}),
      ...(opts.disappearAfterSeconds !== undefined ? { disappearAfterSeconds: opts.disappearAfterSeconds } : {}),
    });
  }

  /** The next send on an account fails with this error class. */
  failNextSend(accountId: string, errorClass: SendErrorClass, message: string): void {
    const list = this.failures.get(accountId) ?? [];
    list.push({ errorClass, message });
    this.failures.set(accountId, list);
  }

  takeFailure(accountId: string): { errorClass: SendErrorClass; message: string } | undefined {
    return this.failures.get(accountId)?.shift();
  }
}
