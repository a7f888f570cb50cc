/**
 * Email accounts on the test mail servers (test/servers/mail.ts), as adapter configs and as
 * running adapters with their events recorded: the email tests' common ground.
 */
import { ImapFlow } from 'imapflow';
import type { AccountConfig, Adapter, AdapterEvent } from '../../adapters/contract.ts';
import { createEmailAdapter } from '../../adapters/email/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import type { MailAccount, MailServers } from '../servers/mail.ts';
import { until as waitUntil } from './harness.ts';

type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;

/** Settings that reach the test servers (plain TCP on loopback), with short backoff. */
export function emailTestSettings(servers: MailServers, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    imap: { ...servers.imap, security: 'none' },
    smtp: { ...servers.submission, security: 'none' },
    backoffMs: { first: 50, max: 500 },
    ...extra,
  };
}

export function emailAccountConfig(servers: MailServers, user: MailAccount, extra: Record<string, unknown> = {}): AccountConfig {
  return { id: `acct-${user.name}`, protocol: 'email', address: user.address, displayName: user.name, settings: emailTestSettings(servers, extra) };
}

/** An email adapter with durable (in-memory) state that survives `restart`, recording what it says. */
export class EmailParty {
  readonly state = new MemoryStorage();
  readonly events: AdapterEvent[] = [];
  adapter: Adapter;
  private abort = new AbortController();
  private off: (() => void)[] = [];

  constructor(
    readonly servers: MailServers,
    readonly user: MailAccount,
    private readonly extra: Record<string, unknown> = {},
  ) {
    this.adapter = this.make();
  }

  private make(): Adapter {
    const a = createEmailAdapter(emailAccountConfig(this.servers, this.user, this.extra), { state: this.state, secrets: { password: this.user.password } });
    for (const type of ['message', 'message-body', 'delivery', 'status', 'route-facts', 'error', 'sync'] as const) {
      this.off.push(
        a.on(type, (e) => {
          this.events.push(e);
          // Confirm storage as core would, after the event is recorded.
          if (e.type === 'message' || e.type === 'message-body') queueMicrotask(() => a.messagesStored?.([e.remoteId]));
        }),
      );
    }
    return a;
  }

  async start(): Promise<void> {
    this.abort = new AbortController();
    await this.adapter.connect(this.abort.signal);
    await until(() => this.online(), `${this.user.name} to come online`);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.adapter.disconnect();
  }

  /** Stops, and starts a new adapter on the same state. */
  async restart(): Promise<void> {
    await this.stop();
    for (const f of this.off.splice(0)) f();
    this.adapter = this.make();
    await this.start();
  }

  online(): boolean {
    const last = [...this.events].reverse().find((e) => e.type === 'status');
    return last?.type === 'status' && last.status === 'online';
  }

  /** Message events as core would hold them: a later `message-body` fills in its message. */
  messages(): MessageEvent[] {
    const bodies = new Map<string, Extract<AdapterEvent, { type: 'message-body' }>>();
    for (const e of this.events) if (e.type === 'message-body') bodies.set(e.remoteId, e);
    return this.events
      .filter((e): e is MessageEvent => e.type === 'message')
      .map((m) => {
        const b = bodies.get(m.remoteId);
        return b ? { ...m, text: b.text, content: b.content, facts: b.facts ?? m.facts } : m;
      });
  }

  /** Texts received from others (not this account's own mail seen in Sent). */
  received(): string[] {
    return this.messages()
      .filter((m) => m.sender !== 'self')
      .map((m) => m.text);
  }

  errors(): string[] {
    return this.events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
  }

  async sendTo(peer: string, text: string, clientId = newClientId()): Promise<string> {
    const r = await this.adapter.send({ clientId, accountId: this.adapter.accountId, conversation: { kind: 'direct', peer: { address: peer } }, text });
    return r.remoteId;
  }
}

let n = 0;
export function newClientId(): string {
  return `01JEMAIL${String(++n).padStart(8, '0')}${Date.now().toString(36)}`;
}

/** Waits for a condition; mail round trips get 20 s by default. */
export function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  return waitUntil(cond, what, ms);
}

/** The raw sources of every message in a user's mailbox, oldest first, as the server holds them. */
export async function rawMailbox(servers: MailServers, user: MailAccount, mailbox = 'INBOX'): Promise<string[]> {
  const c = new ImapFlow({ ...servers.imap, secure: false, auth: { user: user.name, pass: user.password }, logger: false, disableAutoIdle: true });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const lock = await c.getMailboxLock(mailbox);
    try {
      return (await c.fetchAll('1:*', { source: true })).map((m) => m.source?.toString('utf8') ?? '');
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
}
