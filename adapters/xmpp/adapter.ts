/**
 * The XMPP adapter (issue 6, first part): one account on an XMPP server through xmpp.js — TLS
 * required and verified (STARTTLS or direct TLS; trust of the account's own certificate when set),
 * stream management (XEP-0198) with resumption, message carbons (XEP-0280) so messages of the
 * account's other clients show, 1:1 chat both ways with stanza ids for dedupe, offline messages on
 * reconnect. Bad stanzas are reported as `error` events and skipped; the account stays online.
 * Not yet: roster, presence as availability, MUC, MAM catch-up, receipts, chat states.
 */
import { randomUUID } from 'node:crypto';
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import {
  AdapterSendError,
  type AccountConfig,
  type Adapter,
  type AdapterEvent,
  type AdapterEventType,
  type AdapterServices,
  type AccountStatus,
  type AdapterStateStore,
  type OutgoingMessage,
  type RemoteConversationRef,
  type SecurityFacts,
  type SendReceipt,
  type Unsubscribe,
} from '../contract.ts';
import { AdapterListeners } from '../listeners.ts';
import { createAdapterLogger } from '../log.ts';
import { xmppFacts } from './facts.ts';
import { bareJid, readArchived, readMessage, type ReadResult } from './incoming.ts';
import { catchUp, fetchPage, type ArchivedMessage } from './mam.ts';
import { parseAccountJid, xmppSettings, type XmppSettings } from './settings.ts';
import { tlsOptionsFor } from './tls-trust.ts';
import { fixStreamManagementCount } from './sm-count.ts';

const log = createAdapterLogger('xmpp.adapter');
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_SID = 'urn:xmpp:sid:0';
const NS_DELAY = 'urn:xmpp:delay';
/** adapter_state namespaces: the resource name, and receipts of sent messages by client id. */
const NS_STATE = 'xmpp';
const NS_SENT = 'xmpp-sent';
/**
 * Messages core has stored (by remote id): the server may deliver one again — a stanza left
 * unacknowledged when a stream ended goes to offline storage and comes back — and it must not be
 * reported twice. Kept bounded (the oldest go first).
 */
const NS_SEEN = 'xmpp-seen';
const SEEN_KEEP = 5_000;

const enc = new TextEncoder();
const dec = new TextDecoder();

export class XmppAdapter implements Adapter {
  readonly protocol = 'xmpp' as const;
  readonly accountId: string;
  private readonly listeners = new AdapterListeners();
  private readonly self: string;
  private readonly local: string;
  private readonly domain: string;
  private readonly settings: XmppSettings;
  private readonly state: AdapterStateStore;
  private readonly password: string | undefined;
  private client: Client | null = null;
  /** Remote ids reported in this run (live and archive may bring the same message before core confirms it). */
  private readonly reported = new Set<string>();
  private status: AccountStatus = 'offline';
  private stopped = false;
  private stopping: Promise<void> | null = null;

  constructor(account: AccountConfig, services: AdapterServices) {
    this.accountId = account.id;
    const jid = parseAccountJid(account.address);
    this.local = jid.local;
    this.domain = jid.domain;
    this.self = `${jid.local.toLowerCase()}@${jid.domain}`;
    this.settings = xmppSettings(account.settings, jid.domain);
    this.state = services.state;
    this.password = services.secrets.password;
  }

  on<E extends AdapterEventType>(type: E, fn: (e: Extract<AdapterEvent, { type: E }>) => void): Unsubscribe {
    return this.listeners.on(type, fn);
  }

  private emit(e: AdapterEvent): void {
    this.listeners.emit(e);
  }

  private setStatus(status: AccountStatus, error?: string): void {
    if (status === this.status && error === undefined) return;
    this.status = status;
    this.emit(error === undefined ? { type: 'status', accountId: this.accountId, status } : { type: 'status', accountId: this.accountId, status, error });
  }

  /** This installation's resource: the same across restarts, so the server sees one client. */
  private resource(): string {
    const stored = this.state.get(NS_STATE, 'resource');
    if (stored) return dec.decode(stored);
    const r = `switchboard-${randomUUID().slice(0, 8)}`;
    this.state.write([{ ns: NS_STATE, key: 'resource', value: enc.encode(r) }]);
    return r;
  }

  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    if (!this.password) {
      this.setStatus('error', 'This XMPP account has no password: enter it in the account settings.');
      return;
    }
    this.stopped = false;
    this.stopping = null;
    this.pruneSeen();
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    const c = xmppClient({ service: this.settings.service, domain: this.domain, username: this.local, password: this.password, resource: this.resource() });
    tlsOptionsFor(c as never, { servername: this.domain, ...(this.settings.trustedCertificate ? { ca: [this.settings.trustedCertificate] } : {}) });
    c.reconnect.delay = this.settings.reconnectMs;
    fixStreamManagementCount(c);
    this.client = c;
    c.on('error', (e: Error) => this.onError(e));
    c.on('offline', () => this.setStatus('offline'));
    c.on('disconnect', () => {
      if (!this.stopped) this.setStatus('connecting');
    });
    c.on('online', () => void this.onOnline(c));
    // A resumed session emits no 'online': nothing was lost, and the account is up again.
    (c.streamManagement as unknown as { on(event: 'resumed', fn: () => void): void }).on('resumed', () => this.setStatus('online'));
    c.on('stanza', (stanza: Element) => this.onStanza(stanza));
    this.setStatus('connecting');
    void this.startWithRetry(c);
  }

  /** The first connection: until it works (the reconnect module takes over once online) or the account stops. */
  private async startWithRetry(c: Client): Promise<void> {
    while (!this.stopped && this.client === c) {
      try {
        await c.start();
        return;
      } catch (e) {
        log.warn('connecting failed; trying again', { accountId: this.accountId, error: (e as Error).message });
        if (/not-authorized/.test((e as Error).message)) {
          this.setStatus('error', 'The XMPP server refused the password for this account.');
          return;
        }
        await new Promise((r) => setTimeout(r, this.settings.reconnectMs));
      }
    }
  }

  /** A new session: available, carbons on, then what the archive holds since last time. */
  private async onOnline(c: Client): Promise<void> {
    this.setStatus('online');
    try {
      await c.send(xml('presence'));
      await c.iqCaller.set(xml('enable', { xmlns: NS_CARBONS }));
      await this.syncArchive(c);
    } catch (e) {
      log.warn('setting up the session failed', { accountId: this.accountId, error: (e as Error).message });
    }
  }

  /**
   * Catch-up from the archive after the last archive id fetched; the very first time, the newest
   * page as history. The position moves after each page is reported.
   */
  private async syncArchive(c: Client): Promise<void> {
    const stored = this.state.get(NS_STATE, 'mam-last');
    const remember = (last: string | null): void => {
      if (last !== null) this.state.write([{ ns: NS_STATE, key: 'mam-last', value: enc.encode(last) }]);
    };
    if (!stored) {
      const page = await fetchPage(c, { newest: true });
      for (const m of page.messages) this.reportArchived(m, true);
      remember(page.last);
      return;
    }
    for await (const page of catchUp(c, dec.decode(stored))) {
      for (const m of page.messages) this.reportArchived(m, false);
      remember(page.last);
    }
  }

  private reportArchived(m: ArchivedMessage, historical: boolean): void {
    this.report(readArchived(m.message, this.self, m.id), m.sentAt, historical);
  }

  private onError(e: Error): void {
    log.warn('connection error', { accountId: this.accountId, error: e.message });
  }

  private onStanza(stanza: Element): void {
    if (!stanza.is('message') || stanza.getChild('result', 'urn:xmpp:mam:2')) return;
    try {
      this.report(readMessage(stanza, this.self, true), sentAt(stanza), false);
    } catch (err) {
      log.error('reading a message failed', { accountId: this.accountId, error: (err as Error).message });
      this.emit({ type: 'error', accountId: this.accountId, error: `Skipped a message that could not be read: ${(err as Error).message}` });
    }
  }

  /** Reports a read message once (live, carbon or archive), or says why it was skipped. */
  private report(read: ReadResult, at: number, historical: boolean): void {
    if (read.kind === 'ignored') return;
    if (read.kind === 'refused') {
      log.warn('message skipped', { accountId: this.accountId, reason: read.reason });
      this.emit({ type: 'error', accountId: this.accountId, error: `Skipped ${read.reason}.` });
      return;
    }
    const m = read.message;
    if (this.reported.has(m.remoteId) || this.state.get(NS_SEEN, m.remoteId)) return;
    // Our own message, sent from this installation: core has it under its client id already.
    if (m.direction === 'out' && m.originId !== null && this.state.get(NS_SENT, m.originId)) return;
    this.reported.add(m.remoteId);
    const conversation: RemoteConversationRef = { kind: 'direct', peer: { address: m.peer } };
    const e: Extract<AdapterEvent, { type: 'message' }> = {
      type: 'message',
      accountId: this.accountId,
      remoteId: m.remoteId,
      conversation,
      sender: m.direction === 'out' ? 'self' : { address: m.peer },
      text: m.text,
      sentAt: at,
    };
    if (m.direction === 'out' && m.originId) e.clientId = m.originId;
    if (historical) e.historical = true;
    this.emit(e);
  }

  messagesStored(remoteIds: readonly string[]): void {
    const at = enc.encode(String(Date.now()));
    this.state.write(remoteIds.map((key) => ({ ns: NS_SEEN, key, value: at })));
  }

  /** Forgets the oldest seen ids beyond the bound (once per connect). */
  private pruneSeen(): void {
    const all = this.state.list(NS_SEEN);
    if (all.length <= SEEN_KEEP) return;
    const oldest = all.map(([key, v]) => ({ key, at: Number(dec.decode(v)) })).sort((a, b) => a.at - b.at);
    this.state.write(oldest.slice(0, all.length - SEEN_KEEP).map(({ key }) => ({ ns: NS_SEEN, key, value: null })));
  }

  /** Stops the connection; a second call (the abort signal, then core) waits for the same stop. */
  disconnect(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    const c = this.client;
    this.client = null;
    if (c) {
      c.reconnect.stop();
      // Messages that arrive until the stream is closed are still reported: the server counts them as delivered.
      await c.stop().catch(() => undefined);
    }
    this.setStatus('offline');
  }

  async send(out: OutgoingMessage): Promise<SendReceipt> {
    const done = this.state.get(NS_SENT, out.clientId);
    if (done) return JSON.parse(dec.decode(done)) as SendReceipt;
    if (out.conversation.kind !== 'direct') throw new AdapterSendError('permanent', 'Group chats on XMPP are not supported yet.');
    const to = bareJid(out.conversation.peer.address);
    if (!to) throw new AdapterSendError('permanent', `"${out.conversation.peer.address.slice(0, 80)}" is not an XMPP address.`);
    const c = this.client;
    if (!c || this.status !== 'online') throw new AdapterSendError('network', 'Not connected to the XMPP server.');
    const stanza = xml('message', { type: 'chat', to, id: out.clientId }, xml('body', {}, out.text), xml('origin-id', { xmlns: NS_SID, id: out.clientId }));
    await c.send(stanza);
    const receipt: SendReceipt = { remoteId: `${this.self}/${out.clientId}`, sentAt: Date.now() };
    this.state.write([{ ns: NS_SENT, key: out.clientId, value: enc.encode(JSON.stringify(receipt)) }]);
    return receipt;
  }

  securityFacts(): SecurityFacts {
    return xmppFacts();
  }
}

/** When the sender sent it: a delay stamp (offline storage, XEP-0203) when there is a valid one, else now. */
function sentAt(stanza: Element): number {
  const stamp = stanza.getChild('delay', NS_DELAY)?.attrs.stamp as string | undefined;
  const t = stamp ? Date.parse(stamp) : NaN;
  return Number.isFinite(t) && t > 0 ? t : Date.now();
}

export function createXmppAdapter(account: AccountConfig, services: AdapterServices): Adapter {
  return new XmppAdapter(account, services);
}
