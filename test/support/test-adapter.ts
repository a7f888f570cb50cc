/**
 * TEST DOUBLE — used only by tests, benchmarks and the demo host, never shipped.
 * An in-memory "network" of fake accounts: tests deliver messages to them, watch what they send,
 * make sends fail and take accounts on- and offline. It speaks the real adapter contract, so core
 * cannot tell it from a protocol adapter.
 */
import {
  AdapterSendError,
  type AccountConfig,
  type AccountStatus,
  type Adapter,
  type AdapterEvent,
  type AdapterEventType,
  type OutgoingMessage,
  type Protocol,
  type RemoteConversationRef,
  type RouteRef,
  type SecurityFacts,
  type SendErrorClass,
  type SendReceipt,
} from '../../adapters/contract.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';

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

  constructor(
    readonly account: AccountConfig,
    private readonly network: TestNetwork,
  ) {
    this.protocol = account.protocol;
    this.accountId = account.id;
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
    return this.facts.get(route.target) ?? this.network.factsOverride.get(this.accountId) ?? TYPICAL_FACTS[this.protocol];
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
  /** Read receipts and typing notices the accounts sent. */
  readonly receipts: { accountId: string; conversation: RemoteConversationRef; kind: 'read' | 'typing'; detail: string }[] = [];
  /** Account addresses whose adapter starts offline. */
  readonly startOffline = new Set<string>();
  /** How many of the next sends hang until aborted (a server that stops answering). */
  hangingSends = 0;
  /** Makes `disconnect` slow, to exercise api call timeouts. */
  disconnectDelayMs = 0;
  private readonly failures = new Map<string, { errorClass: SendErrorClass; message: string }[]>();
  private seq = 0;

  registry(): AdapterRegistry {
    return new AdapterRegistry().register(TEST_KIND, (account) => {
      const a = new TestAdapter(account, this);
      this.adapters.set(account.id, a);
      return a;
    });
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
    opts: { remoteId?: string; sentAt?: number; facts?: SecurityFacts; historical?: boolean } = {},
  ): string {
    const remoteId = opts.remoteId ?? `in-${++this.seq}-${Date.now()}`;
    this.adapter(accountId).emitRaw({
      type: 'message',
      accountId,
      remoteId,
      conversation: { kind: 'direct', peer: from },
      sender: from,
      text,
      sentAt: opts.sentAt ?? Date.now(),
      ...(opts.facts ? { facts: opts.facts } : {}),
      ...(opts.historical !== undefined ? { historical: opts.historical } : {}),
    });
    return remoteId;
  }

  /** A message in a group room arrives on an account. */
  receiveInRoom(accountId: string, roomId: string, title: string, from: { address: string; displayName?: string }, text: string, sentAt = Date.now()): void {
    this.adapter(accountId).emitRaw({
      type: 'message',
      accountId,
      remoteId: `room-${++this.seq}-${Date.now()}`,
      conversation: { kind: 'group', roomId, title },
      sender: from,
      text,
      sentAt,
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
