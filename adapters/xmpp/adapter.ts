/**
 * The XMPP adapter (issue 6): one account on an XMPP server through xmpp.js — TLS required and
 * verified (STARTTLS or direct TLS; trust of the account's own certificate when set), stream
 * management (XEP-0198) with resumption, the roster as contacts and presence as whether a contact
 * is online, subscription requests and messages from strangers as requests, message carbons
 * (XEP-0280), history from the archive (XEP-0313), 1:1 chat with stanza ids for dedupe, delivery
 * receipts (XEP-0184), displayed markers (XEP-0333) and chat states (XEP-0085), and group chat in
 * MUC rooms (`muc.ts`). Bad stanzas are reported as `error` events and skipped; the account stays online.
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
  type GroupActions,
  type OutgoingMessage,
  type PresenceState,
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
import { MucRooms } from './muc.ts';
import { dropSocket, startClient } from './start.ts';
import { fetchRoster, NS_ROSTER, PresenceBook, readPresence, readRosterItems, Roster, type RosterItem } from './roster.ts';
import { chatState, readAnswer, readSignals, receiptRequests } from './signals.ts';

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
/** Roster items already reported as contacts (by JID → name), so a reconnect reports only what changed. */
const NS_ROSTER_SEEN = 'xmpp-roster';
/** Received messages that asked for a receipt or marker (remote id → who and which id), until answered. */
const NS_ACK = 'xmpp-ack';
const ACK_KEEP = 2_000;

const NO_TLS = 'no TLS on this stream';
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
  /** Client ids being sent right now: a room can pass our message back before `send` has recorded it. */
  private readonly sending = new Set<string>();
  /** People asked for a presence subscription in this session. */
  private readonly befriended = new Set<string>();
  private status: AccountStatus = 'offline';
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private readonly roster = new Roster();
  private readonly presence = new PresenceBook();
  private readonly rooms: MucRooms;
  readonly groups: GroupActions;

  constructor(account: AccountConfig, services: AdapterServices) {
    this.accountId = account.id;
    const jid = parseAccountJid(account.address);
    this.local = jid.local;
    this.domain = jid.domain;
    this.self = `${jid.local.toLowerCase()}@${jid.domain}`;
    this.settings = xmppSettings(account.settings, jid.domain);
    this.state = services.state;
    this.password = services.secrets.password;
    this.rooms = new MucRooms({
      client: () => (this.status === 'online' ? this.client : null),
      state: this.state,
      self: this.self,
      roomChanged: (roomId, title, left) => this.emit({ type: 'group', accountId: this.accountId, roomId, title, left }),
      problem: (error) => {
        log.warn('group chat problem', { accountId: this.accountId, error });
        this.emit({ type: 'error', accountId: this.accountId, error });
      },
    });
    this.groups = {
      create: (name, members) => this.rooms.create(name, members, this.local),
      setMembers: (roomId, members) => this.rooms.setMembers(roomId, members),
      members: (roomId) => this.rooms.members(roomId),
      join: (address, nickname) => this.rooms.join(address, nickname),
      leave: (roomId) => this.rooms.leave(roomId),
      setNickname: (roomId, nickname) => this.rooms.setNickname(roomId, nickname),
    };
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
    this.setStatus('connecting');
    void this.startWithRetry(this.password);
  }

  /** A client for one connection attempt (and, once online, its reconnects). */
  private makeClient(password: string): Client {
    const c = xmppClient({
      service: this.settings.service,
      domain: this.domain,
      username: this.local,
      password,
      resource: this.resource(),
      // xmpp.js would log in over a stream without TLS: refuse before the password is offered.
      credentials: async (authenticate, mechanisms, _fast, entity) => {
        if (!entity.isSecure()) throw new Error(NO_TLS);
        const mechanism = mechanisms[0];
        if (mechanism === undefined) throw new Error('The server offers no login method Switchboard knows.');
        await authenticate({ username: this.local, password }, mechanism, xml('user-agent', { id: this.resource() }));
      },
    });
    tlsOptionsFor(c as never, { servername: this.domain, ...(this.settings.trustedCertificate ? { ca: [this.settings.trustedCertificate] } : {}) });
    c.reconnect.delay = this.settings.reconnectMs;
    fixStreamManagementCount(c);
    c.on('error', (e: Error) => this.onError(e));
    c.on('offline', () => this.setStatus('offline'));
    c.on('disconnect', () => {
      this.sessionEnded();
      if (!this.stopped) this.setStatus('connecting');
    });
    c.iqCallee.set(NS_ROSTER, 'query', (ctx) => this.onRosterPush(ctx.stanza, (ctx as unknown as { element: Element }).element));
    c.on('online', () => void this.onOnline(c));
    // A resumed session emits no 'online': nothing was lost, and the account is up again.
    (c.streamManagement as unknown as { on(event: 'resumed', fn: () => void): void }).on('resumed', () => this.setStatus('online'));
    c.on('stanza', (stanza: Element) => this.onStanza(stanza));
    return c;
  }

  /**
   * The first connection: until it works (the reconnect module takes over once online) or the
   * account stops. Each attempt gets a new client: after a failed start xmpp.js keeps its
   * connection state ("Connection is not offline") and would refuse every later attempt.
   */
  private async startWithRetry(password: string): Promise<void> {
    while (!this.stopped) {
      const c = this.makeClient(password);
      this.client = c;
      try {
        await startClient(c, this.settings.service, this.domain);
        if (this.stopped) await c.stop().catch(() => undefined);
        return;
      } catch (e) {
        dropClient(c);
        if (this.client === c) this.client = null;
        log.warn('connecting failed; trying again', { accountId: this.accountId, error: (e as Error).message });
        if ((e as Error).message === NO_TLS) {
          this.setStatus('error', `The XMPP server ${this.settings.service} does not offer TLS, so Switchboard will not send the password over plain text.`);
          return;
        }
        if (/not-authorized/.test((e as Error).message)) {
          this.setStatus('error', 'The XMPP server refused the password for this account.');
          return;
        }
        await new Promise((r) => setTimeout(r, this.settings.reconnectMs));
      }
    }
  }

  /**
   * A new session: the roster first (so whoever writes is known or a stranger), then available
   * (the server then hands over offline messages and contacts' presence), carbons on, the rooms
   * entered again, then what the archive holds since last time.
   */
  private async onOnline(c: Client): Promise<void> {
    try {
      this.takeRoster(await fetchRoster(c));
    } catch (e) {
      log.warn('reading the roster failed', { accountId: this.accountId, error: (e as Error).message });
    }
    // Online once the roster is known: whose presence can be seen is part of what views show.
    this.setStatus('online');
    try {
      await c.send(xml('presence'));
      await c.iqCaller.set(xml('enable', { xmlns: NS_CARBONS }));
      this.rooms.rejoinAll();
      await this.syncArchive(c);
    } catch (e) {
      log.warn('setting up the session failed', { accountId: this.accountId, error: (e as Error).message });
    }
  }

  /** The session is gone (a resumed one would not be): presence and room occupants are unknown now. */
  private sessionEnded(): void {
    for (const jid of this.presence.online()) this.emit({ type: 'presence', accountId: this.accountId, address: jid, state: 'offline' });
    this.presence.clear();
    this.rooms.offline();
  }

  /** The whole roster: every contact on it is a contact here; only new or renamed ones are reported. */
  private takeRoster(items: readonly RosterItem[]): void {
    this.roster.replace(items);
    const known = new Map(this.state.list(NS_ROSTER_SEEN).map(([k, v]) => [k, dec.decode(v)]));
    const writes: { ns: string; key: string; value: Uint8Array | null }[] = [];
    for (const item of items) {
      if (item.subscription === 'remove' || known.get(item.jid) === (item.name ?? '')) continue;
      this.emit({ type: 'peer', accountId: this.accountId, peer: { address: item.jid, displayName: item.name ?? undefined } });
      writes.push({ ns: NS_ROSTER_SEEN, key: item.jid, value: enc.encode(item.name ?? '') });
    }
    for (const jid of known.keys()) if (!this.roster.knows(jid)) writes.push({ ns: NS_ROSTER_SEEN, key: jid, value: null });
    if (writes.length > 0) this.state.write(writes);
  }

  /** A roster change from the server (another client added someone, a subscription moved). Only our own server may push. */
  private onRosterPush(stanza: Element, query: Element): boolean {
    const from = stanza.attrs.from as string | undefined;
    if (from !== undefined && bareJid(from) !== this.self) {
      log.warn('roster push from someone else ignored', { accountId: this.accountId });
      return true;
    }
    for (const item of readRosterItems(query)) {
      const isNew = !this.roster.knows(item.jid);
      const couldSee = this.roster.subscribedTo(item.jid);
      this.roster.apply(item);
      // They said yes (or no) to sharing their presence: what the account can show of it changed.
      if (couldSee !== this.roster.subscribedTo(item.jid)) {
        this.emit({ type: 'presence', accountId: this.accountId, address: item.jid, state: this.presence.stateOf(item.jid) });
      }
      if (item.subscription === 'remove') {
        this.state.write([{ ns: NS_ROSTER_SEEN, key: item.jid, value: null }]);
      } else if (isNew || dec.decode(this.state.get(NS_ROSTER_SEEN, item.jid) ?? new Uint8Array()) !== (item.name ?? '')) {
        this.emit({ type: 'peer', accountId: this.accountId, peer: { address: item.jid, displayName: item.name ?? undefined } });
        this.state.write([{ ns: NS_ROSTER_SEEN, key: item.jid, value: enc.encode(item.name ?? '') }]);
      }
    }
    return true;
  }

  /** Presence from a contact or a room occupant; subscription requests and answers. */
  private onPresence(stanza: Element): void {
    const from = bareJid(stanza.attrs.from as string | undefined);
    if (from && this.rooms.isRoom(from)) {
      this.rooms.onPresence(stanza);
      return;
    }
    const p = readPresence(stanza);
    switch (p.kind) {
      case 'state': {
        if (bareJid(p.from) === this.self) return; // our own other clients
        const changed = this.presence.update(p.from, p.state);
        if (changed) this.emit({ type: 'presence', accountId: this.accountId, address: changed.jid, state: changed.state });
        return;
      }
      case 'subscribe':
        // Someone the user added or already lets see their presence: yes at once. A stranger: a request.
        if (this.roster.knows(p.jid)) {
          void this.client?.send(xml('presence', { to: p.jid, type: 'subscribed' })).catch(() => undefined);
        } else {
          this.emit({ type: 'peer', accountId: this.accountId, peer: { address: p.jid, displayName: p.name ?? undefined }, request: true });
        }
        return;
      case 'subscribed':
      case 'unsubscribe':
      case 'unsubscribed':
        // The roster push that follows says what changed.
        return;
      case 'ignored':
        return;
    }
  }

  /** Their presence while the account is online and subscribed to it; null when it cannot be seen. */
  presenceOf(address: string): PresenceState | null {
    const jid = bareJid(address);
    if (!jid || this.status !== 'online' || !this.roster.subscribedTo(jid)) return null;
    return this.presence.stateOf(jid);
  }

  /** The user accepted a request: they may see the user's presence, and the user asks to see theirs. */
  peerAccepted(conversation: RemoteConversationRef): void {
    if (conversation.kind !== 'direct') return;
    const jid = bareJid(conversation.peer.address);
    if (jid) void this.befriend(jid);
  }

  /** Puts someone on the roster and exchanges presence subscriptions with them (what "add contact" does in other clients). */
  private async befriend(jid: string): Promise<void> {
    const c = this.client;
    // Once per session: until they answer, the roster cannot show a pre-approval, and every message would repeat it.
    if (!c || this.status !== 'online' || this.befriended.has(jid)) return;
    this.befriended.add(jid);
    try {
      if (!this.roster.approved(jid)) await c.send(xml('presence', { to: jid, type: 'subscribed' }));
      if (!this.roster.subscribedTo(jid) && !this.roster.get(jid)?.pending) await c.send(xml('presence', { to: jid, type: 'subscribe' }));
    } catch (e) {
      log.warn('subscription not sent', { accountId: this.accountId, error: (e as Error).message });
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
    try {
      if (stanza.is('presence')) return this.onPresence(stanza);
      if (!stanza.is('message') || stanza.getChild('result', 'urn:xmpp:mam:2')) return;
      if (stanza.attrs.type === 'groupchat') return this.onRoomMessage(stanza);
      const invitation = this.rooms.readInvitation(stanza);
      if (invitation) return this.onInvitation(invitation.room, invitation.from);
      const read = readMessage(stanza, this.self, true);
      this.onSignals(stanza, read);
      this.report(read, sentAt(stanza), false);
    } catch (err) {
      log.error('reading a stanza failed', { accountId: this.accountId, error: (err as Error).message });
      this.emit({ type: 'error', accountId: this.accountId, error: `Skipped a message that could not be read: ${(err as Error).message}` });
    }
  }

  /**
   * Receipts and markers for our messages, typing, and whether this one asks for an answer. Only
   * from the peer itself (not a carbon): and a receipt counts only from whom the message went to.
   */
  private onSignals(stanza: Element, read: ReadResult): void {
    if (stanza.getChild('received', NS_CARBONS) || stanza.getChild('sent', NS_CARBONS)) return;
    const from = bareJid(stanza.attrs.from as string | undefined);
    if (!from || from === this.self) return;
    const sig = readSignals(stanza);
    for (const [id, state] of [[sig.received, 'delivered'], [sig.displayed, 'read']] as const) {
      if (id === null) continue;
      const sent = this.state.get(NS_SENT, id);
      const to = sent ? (JSON.parse(dec.decode(sent)) as { to?: string }).to : undefined;
      if (to === from) this.emit({ type: 'delivery', accountId: this.accountId, clientId: id, state });
    }
    if (read.kind === 'chat') {
      const id = stanza.attrs.id as string | undefined;
      if ((sig.wantsReceipt || sig.markable) && id && id.length <= 256) {
        const ack = { to: from, id, r: sig.wantsReceipt, m: sig.markable };
        this.state.write([{ ns: NS_ACK, key: read.message.remoteId, value: enc.encode(JSON.stringify(ack)) }]);
      }
    } else if (sig.typing !== null) {
      this.emit({ type: 'typing', accountId: this.accountId, conversation: { kind: 'direct', peer: { address: from } }, sender: { address: from }, typing: sig.typing });
    }
  }

  /** A message in a room: someone's (or ours from another client), typing, or our own echo (delivered). */
  private onRoomMessage(stanza: Element): void {
    const read = this.rooms.readMessage(stanza);
    if (read.kind === 'ignored') return;
    if (read.kind === 'refused') {
      log.warn('room message skipped', { accountId: this.accountId, reason: read.reason });
      this.emit({ type: 'error', accountId: this.accountId, error: `Skipped ${read.reason}.` });
      return;
    }
    if (read.kind === 'typing') {
      const conversation: RemoteConversationRef = { kind: 'group', roomId: read.room };
      const sender = { address: read.senderJid ?? `${read.room}/${read.nick}`, displayName: read.nick };
      this.emit({ type: 'typing', accountId: this.accountId, conversation, sender, typing: read.typing });
      return;
    }
    const m = read.message;
    if (m.self && m.originId !== null && (this.sending.has(m.originId) || this.state.get(NS_SENT, m.originId))) {
      // The room passed on what Switchboard sent: everyone in it has it.
      if (!m.history) this.emit({ type: 'delivery', accountId: this.accountId, clientId: m.originId, state: 'delivered' });
      return;
    }
    if (this.reported.has(m.remoteId) || this.state.get(NS_SEEN, m.remoteId)) return;
    this.reported.add(m.remoteId);
    const e: Extract<AdapterEvent, { type: 'message' }> = {
      type: 'message',
      accountId: this.accountId,
      remoteId: m.remoteId,
      conversation: { kind: 'group', roomId: m.room },
      sender: m.self ? 'self' : { address: m.senderJid ?? `${m.room}/${m.nick}`, displayName: m.nick },
      text: m.text,
      sentAt: m.sentAt,
    };
    if (m.history) e.historical = true;
    this.emit(e);
  }

  /** An invitation to a room: from a contact the user has, it is accepted; from anyone else, ignored (and said so). */
  private onInvitation(room: string, from: string | null): void {
    if (from && this.roster.knows(from)) {
      this.rooms.join(room, this.local).catch((e: unknown) => {
        this.emit({ type: 'error', accountId: this.accountId, error: `Could not join the group chat ${room} that ${from} invited you to: ${(e as Error).message}` });
      });
      return;
    }
    log.info('invitation from someone not in the roster ignored', { accountId: this.accountId });
    this.emit({ type: 'error', accountId: this.accountId, error: `Ignored an invitation to the group chat ${room} from ${from ?? 'an unknown sender'}, who is not one of your contacts.` });
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
    if (m.direction === 'out' && m.originId !== null && (this.sending.has(m.originId) || this.state.get(NS_SENT, m.originId))) return;
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
    // Someone the user never added nor wrote to: a message request, like mail from a stranger.
    if (m.direction === 'in' && !this.roster.knows(m.peer)) e.request = true;
    this.emit(e);
  }

  messagesStored(remoteIds: readonly string[]): void {
    const at = enc.encode(String(Date.now()));
    this.state.write(remoteIds.map((key) => ({ ns: NS_SEEN, key, value: at })));
  }

  /** Forgets the oldest seen ids, and unanswered receipt requests, beyond their bounds (once per connect). */
  private pruneSeen(): void {
    const acks = this.state.list(NS_ACK);
    if (acks.length > ACK_KEEP) this.state.write(acks.slice(0, acks.length - ACK_KEEP).map(([key]) => ({ ns: NS_ACK, key, value: null })));
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
    // Where each room's history stands, for the next join's "since".
    this.rooms.offline();
    this.setStatus('offline');
  }

  async send(out: OutgoingMessage): Promise<SendReceipt> {
    const done = this.state.get(NS_SENT, out.clientId);
    if (done) return JSON.parse(dec.decode(done)) as SendReceipt;
    let stanza: Element;
    let to: string;
    if (out.conversation.kind === 'group') {
      to = out.conversation.roomId;
      if (this.rooms.nickIn(to) === null) throw new AdapterSendError('permanent', 'You are no longer in this group chat.');
      if (this.status === 'online' && !this.rooms.joined(to)) throw new AdapterSendError('network', 'Not in the group chat right now: entering it again.');
      stanza = xml('message', { type: 'groupchat', to, id: out.clientId }, xml('body', {}, out.text), xml('origin-id', { xmlns: NS_SID, id: out.clientId }));
    } else {
      const peer = bareJid(out.conversation.peer.address);
      if (!peer) throw new AdapterSendError('permanent', `"${out.conversation.peer.address.slice(0, 80)}" is not an XMPP address.`);
      to = peer;
      stanza = xml(
        'message',
        { type: 'chat', to, id: out.clientId },
        xml('body', {}, out.text),
        xml('origin-id', { xmlns: NS_SID, id: out.clientId }),
        ...receiptRequests(),
      );
    }
    const c = this.client;
    if (!c || this.status !== 'online') throw new AdapterSendError('network', 'Not connected to the XMPP server.');
    this.sending.add(out.clientId);
    try {
      await c.send(stanza);
    } finally {
      this.sending.delete(out.clientId);
    }
    const receipt: SendReceipt & { to: string } = { remoteId: `${this.self}/${out.clientId}`, sentAt: Date.now(), to };
    this.state.write([{ ns: NS_SENT, key: out.clientId, value: enc.encode(JSON.stringify(receipt)) }]);
    // Writing to someone puts them on the roster and asks to see their presence, as other clients do.
    if (out.conversation.kind === 'direct' && !this.roster.subscribedTo(to)) void this.befriend(to);
    return { remoteId: receipt.remoteId, sentAt: receipt.sentAt };
  }

  /** Answers the peer's receipt request and displayed marker for this message (core calls it only where policy allows). */
  async sendReadReceipt(conversation: RemoteConversationRef, upToRemoteId: string): Promise<void> {
    if (conversation.kind !== 'direct') return;
    const stored = this.state.get(NS_ACK, upToRemoteId);
    const c = this.client;
    if (!stored || !c || this.status !== 'online') return;
    const ack = JSON.parse(dec.decode(stored)) as { to: string; id: string; r: boolean; m: boolean };
    await c.send(xml('message', { type: 'chat', to: ack.to }, ...readAnswer(ack.id, ack.r, ack.m)));
    this.state.write([{ ns: NS_ACK, key: upToRemoteId, value: null }]);
  }

  /** Tells the peer (or the room) the user is typing or stopped (core calls it only where policy allows). */
  async sendTyping(conversation: RemoteConversationRef, typing: boolean): Promise<void> {
    const c = this.client;
    if (!c || this.status !== 'online') return;
    if (conversation.kind === 'group') {
      if (this.rooms.joined(conversation.roomId)) await c.send(xml('message', { type: 'groupchat', to: conversation.roomId }, ...chatState(typing)));
      return;
    }
    const to = bareJid(conversation.peer.address);
    if (to) await c.send(xml('message', { type: 'chat', to }, ...chatState(typing)));
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

/** Drops a client whose start failed: its socket closed, its reconnect module stopped, no more events. */
function dropClient(c: Client): void {
  c.reconnect.stop();
  dropSocket(c);
  c.removeAllListeners('online');
  c.removeAllListeners('stanza');
  c.removeAllListeners('disconnect');
  // Late socket errors of the dropped attempt go nowhere (an 'error' event without a listener would throw).
  c.removeAllListeners('error');
  c.on('error', () => undefined);
}

export function createXmppAdapter(account: AccountConfig, services: AdapterServices): Adapter {
  return new XmppAdapter(account, services);
}
