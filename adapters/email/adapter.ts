/**
 * The email adapter: mail as chats. IMAP (imapflow) brings mail in through `MailboxWatcher`,
 * `handleIncoming` turns each mail into a message event, `sendMail` sends over SMTP (nodemailer)
 * with Autocrypt encryption where the peer supports it, and the watcher stores it in Sent.
 */
import { ImapFlow } from 'imapflow';
import {
  AdapterActionError,
  AdapterSendError,
  type AccountConfig,
  type AccountStatus,
  type Adapter,
  type AdapterEvent,
  type AdapterEventType,
  type AdapterServices,
  type AttachmentData,
  type OutgoingMessage,
  type RemoteConversationRef,
  type RouteRef,
  type SecurityFacts,
  type SendReceipt,
  type Unsubscribe,
} from '../contract.ts';
import { AdapterListeners } from '../listeners.ts';
import { AutocryptAccount } from './autocrypt/account.ts';
import { AutocryptPeers } from './autocrypt/peers.ts';
import { bothEncrypted, imapOptions } from './connection.ts';
import { emailFacts } from './facts.ts';
import { handleIncoming, type FetchedMail, type IncomingContext } from './incoming.ts';
import { MailState } from './mail-state.ts';
import { parseMail } from './mime/parse.ts';
import { recipientsOf, sendMail, shouldEncrypt } from './outgoing.ts';
import { emailSettings, type EmailSettings } from './settings.ts';
import { downloadPart, PART_PREFIX } from './imap/large.ts';
import { MailboxWatcher } from './imap/watcher.ts';
import { boundedSummary, syntheticMessageId } from './threading.ts';

/** Messages over this size are listed with their headers, not downloaded. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** The largest attachment Switchboard fetches. */
const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;
/** How long a batch waits for core to confirm it stored it before the cursor stays put. */
const STORE_WAIT_MS = 60_000;

export class EmailAdapter implements Adapter {
  readonly protocol = 'email' as const;
  readonly accountId: string;
  private readonly settings: EmailSettings;
  private readonly self: { address: string; name: string };
  private readonly password: string;
  private readonly state: MailState;
  private readonly peers: AutocryptPeers;
  private readonly autocrypt: Promise<AutocryptAccount>;
  private readonly listeners = new AdapterListeners();
  private readonly watcher: MailboxWatcher;
  private status: AccountStatus = 'offline';
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  /** Remote ids handed to core and not yet confirmed stored, with who waits for them. */
  private readonly awaitingStore = new Map<string, (stored?: boolean) => void>();
  /** The last encryption state announced per peer, so `route-facts` goes out only on a change. */
  private readonly announced = new Map<string, boolean>();
  private readonly now = (): number => Date.now();
  /** When the current connection logged in; null while not connected. */
  private onlineSince: number | null = null;

  constructor(account: AccountConfig, services: AdapterServices) {
    this.accountId = account.id;
    this.settings = emailSettings(account.settings, account.address);
    this.self = { address: account.address.trim().toLowerCase(), name: account.displayName === account.address ? '' : account.displayName };
    this.password = services.secrets.password ?? '';
    this.state = new MailState(services.state);
    this.peers = new AutocryptPeers(services.state, { selfAddress: this.self.address, sink: this.state });
    this.autocrypt = AutocryptAccount.open(services.state, this.self.address);
    // A failure here surfaces where the key is needed (sync, send); never as an unhandled rejection.
    this.autocrypt.catch(() => undefined);
    this.watcher = new MailboxWatcher({
      settings: this.settings,
      password: this.password,
      state: this.state,
      maxDownloadBytes: MAX_DOWNLOAD_BYTES,
      deliver: (batch, mode) => this.deliver(batch, mode),
      progress: (done, total) => this.emit({ type: 'sync', accountId: this.accountId, done, total }),
      online: () => {
        this.onlineSince = Date.now();
        this.setStatus('online');
      },
      pendingAppends: () => this.state.pendingSent(),
      now: this.now,
    });
  }

  connect(signal: AbortSignal): Promise<void> {
    if (this.loop) return Promise.resolve();
    if (!this.password) {
      this.setStatus('error', 'No password is stored for this account: add it in the account settings.');
      return Promise.resolve();
    }
    const abort = new AbortController();
    this.abort = abort;
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    this.loop = this.run(abort.signal);
    return Promise.resolve();
  }

  async disconnect(): Promise<void> {
    this.abort?.abort();
    // Core stops listening before it disconnects: confirmations still awaited will not come.
    for (const give of [...this.awaitingStore.values()]) give(false);
    this.awaitingStore.clear();
    this.watcher.close();
    await this.loop;
    this.loop = null;
    this.setStatus('offline');
  }

  /** Connects, syncs and watches; after a failure waits (doubling up to the maximum) and starts again. */
  private async run(signal: AbortSignal): Promise<void> {
    let delay = this.settings.backoffMs.first;
    while (!signal.aborted) {
      if (this.status !== 'error') this.setStatus('connecting');
      try {
        await this.autocrypt;
        await this.watcher.run(signal);
      } catch (e) {
        if (signal.aborted) break;
        const { auth, text } = describeImapError(e, this.settings);
        if (auth) this.setStatus('error', text);
        else this.setStatus('connecting');
        this.emit({ type: 'error', accountId: this.accountId, error: text });
      }
      if (signal.aborted) break;
      // A connection that lived a while was healthy: try again soon, not after the last long wait.
      if (this.onlineSince !== null && Date.now() - this.onlineSince > 5_000) delay = this.settings.backoffMs.first;
      this.onlineSince = null;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.settings.backoffMs.max);
    }
  }

  /**
   * Turns a fetched batch into events, emits them, and waits until core has stored them all.
   * `body`: the messages were stored from their headers before; these fill them in.
   */
  private async deliver(batch: FetchedMail[], mode: 'message' | 'body'): Promise<boolean> {
    const account = await this.autocrypt;
    const ctx: IncomingContext = {
      accountId: this.accountId,
      self: this.self.address,
      showMailFrom: this.settings.showMailFrom,
      state: this.state,
      peers: this.peers,
      account,
      facts: (encrypted) => emailFacts(bothEncrypted(this.settings), encrypted),
      now: this.now,
    };
    const events: Extract<AdapterEvent, { type: 'message' }>[] = [];
    const senders = new Set<string>();
    for (const m of batch) {
      let result;
      try {
        result = await handleIncoming(m, ctx);
      } catch (e) {
        // A bug on one hostile mail must not stop the account: file it as undisplayable.
        result = fallback(m, ctx, e);
      }
      const id = result.event.remoteId;
      this.state.setWhere(id, { mailbox: m.mailbox, uidValidity: m.uidValidity, uid: m.uid });
      if (result.autocryptFrom) senders.add(result.autocryptFrom);
      if (result.problem) this.emit({ type: 'error', accountId: this.accountId, error: `A message from ${m.headers.from?.address ?? 'an unknown sender'} could not be displayed: ${result.problem}` });
      events.push(result.event);
    }
    this.state.flush();
    const stored = this.waitStored(events.map((e) => e.remoteId));
    for (const e of events) {
      if (mode === 'message') this.emit(e);
      else this.emit({ type: 'message-body', accountId: this.accountId, remoteId: e.remoteId, text: e.text, content: e.content, facts: e.facts });
    }
    for (const addr of senders) this.announceFacts(addr);
    return stored;
  }

  private waitStored(ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let left = new Set(ids).size;
      const timer = setTimeout(() => {
        for (const id of ids) this.awaitingStore.delete(id);
        resolve(false);
      }, STORE_WAIT_MS);
      for (const id of new Set(ids)) {
        this.awaitingStore.set(id, (stored = true) => {
          if (!stored) {
            clearTimeout(timer);
            resolve(false);
          } else if (--left === 0) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      }
    });
  }

  messagesStored(remoteIds: readonly string[]): void {
    for (const id of remoteIds) {
      const done = this.awaitingStore.get(id);
      if (done) {
        this.awaitingStore.delete(id);
        done();
      }
    }
  }

  async send(out: OutgoingMessage, signal?: AbortSignal): Promise<SendReceipt> {
    let account: AutocryptAccount;
    try {
      account = await this.autocrypt;
    } catch (e) {
      throw new AdapterSendError('permanent', `The account's encryption key could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
    const receipt = await sendMail(
      out,
      { self: this.self, settings: this.settings, password: this.password, state: this.state, peers: this.peers, account, storeInSent: () => this.watcher.wake('append'), now: this.now },
      signal,
    );
    return receipt;
  }

  securityFacts(route: RouteRef): SecurityFacts {
    const tls = bothEncrypted(this.settings);
    const target = route.target;
    const room = this.state.room(target);
    const conversation: RemoteConversationRef = room ? { kind: 'group', roomId: target } : { kind: 'direct', peer: { address: target } };
    try {
      const { to, thread } = recipientsOf({ conversation }, this.state);
      return emailFacts(tls, shouldEncrypt(to, thread, this.peers));
    } catch {
      return emailFacts(tls, false);
    }
  }

  peerAccepted(conversation: RemoteConversationRef): void {
    if (conversation.kind === 'direct') this.state.addKnown(conversation.peer.address);
    else for (const p of this.state.room(conversation.roomId)?.participants ?? []) this.state.addKnown(p);
    this.state.flush();
  }

  async fetchAttachment(remoteId: string, attachmentId: string): Promise<AttachmentData> {
    const where = this.state.where(remoteId);
    if (!where) throw new AdapterActionError('not-found', 'Switchboard does not know where this message is on the server.');
    const client = new ImapFlow(imapOptions(this.settings, this.password, { disableAutoIdle: true }));
    client.on('error', () => undefined);
    try {
      await client.connect();
      const lock = await client.getMailboxLock(where.mailbox);
      let source: Buffer | undefined;
      try {
        if (String(client.mailbox && client.mailbox.uidValidity) !== where.uidValidity) throw new AdapterActionError('not-found', 'The message is no longer on the server.');
        if (attachmentId.startsWith(PART_PREFIX)) {
          // A part of a message too large to download whole: fetch just that part.
          const part = await downloadPart(client, where.uid, attachmentId.slice(PART_PREFIX.length), MAX_ATTACHMENT_BYTES);
          if (!part) throw new AdapterActionError('not-found', 'That attachment is not in the message.');
          return { filename: part.filename ?? 'attachment', mimeType: part.mimeType ?? 'application/octet-stream', bytes: part.bytes };
        }
        const [m] = await client.fetchAll(String(where.uid), { uid: true, source: true }, { uid: true });
        source = m?.source;
      } finally {
        lock.release();
      }
      if (!source) throw new AdapterActionError('not-found', 'The message is no longer on the server.');
      let parsed = await parseMail(source);
      if (parsed.ok && parsed.mail.pgpEncrypted) {
        const { mime } = await (await this.autocrypt).decrypt(parsed.mail.pgpEncrypted, []);
        parsed = await parseMail(mime);
      }
      if (!parsed.ok) throw new AdapterActionError('invalid', `The message could not be read: ${parsed.reason}`);
      const a = parsed.mail.attachments.find((x) => x.id === attachmentId);
      if (!a) throw new AdapterActionError('not-found', 'That attachment is not in the message.');
      return { filename: a.filename, mimeType: a.mimeType, bytes: a.content };
    } catch (e) {
      if (e instanceof AdapterActionError) throw e;
      throw new AdapterActionError('unavailable', `Could not fetch the attachment: ${describeImapError(e, this.settings).text}`);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  on<E extends AdapterEventType>(type: E, fn: (e: Extract<AdapterEvent, { type: E }>) => void): Unsubscribe {
    return this.listeners.on(type, fn);
  }

  private emit(e: AdapterEvent): void {
    this.listeners.emit(e);
  }

  private announceFacts(addr: string): void {
    const facts = this.securityFacts({ accountId: this.accountId, target: addr });
    const enc = facts.endToEnd === 'all';
    if (this.announced.get(addr) === enc) return;
    this.announced.set(addr, enc);
    this.emit({ type: 'route-facts', accountId: this.accountId, target: addr, facts });
  }

  private setStatus(status: AccountStatus, error?: string): void {
    if (status === this.status && status !== 'error') return;
    this.status = status;
    this.emit({ type: 'status', accountId: this.accountId, status, error });
  }
}

/** A mail whose handling threw: shown as undisplayable under its sender, with the reason. */
function fallback(m: FetchedMail, ctx: IncomingContext, e: unknown): Awaited<ReturnType<typeof handleIncoming>> {
  const reason = `Switchboard could not process it (${e instanceof Error ? e.message : String(e)}).`;
  const h = boundedSummary(m.headers);
  const from = h.from?.address ?? 'unknown@invalid';
  // Only Sent vouches for "from this account" without a signature (see handleIncoming).
  const self = from === ctx.self && m.mailbox !== 'INBOX';
  return {
    problem: reason,
    autocryptFrom: null,
    event: {
      type: 'message',
      accountId: ctx.accountId,
      remoteId: h.messageId ?? syntheticMessageId(h, m.internalDate, m.size),
      conversation: { kind: 'direct', peer: { address: self ? (h.to[0]?.address ?? from) : from } },
      sender: self ? 'self' : { address: from, displayName: h.from?.name || undefined },
      text: `Could not display this message: ${reason}`,
      sentAt: Math.max(0, Math.min(h.date ?? m.internalDate, Date.now())),
      facts: ctx.facts(false),
      request: !self && ctx.showMailFrom === 'accepted' && !ctx.state.isKnown(from) ? true : undefined,
      content: { subject: h.subject || undefined, problem: reason },
    },
  };
}

interface ImapErrorLike {
  authenticationFailed?: boolean;
  responseText?: string;
  code?: string;
  message?: string;
}

/** An IMAP failure in words, and whether it is the login (no point retrying fast). */
export function describeImapError(e: unknown, s: EmailSettings): { auth: boolean; text: string } {
  const x = (e ?? {}) as ImapErrorLike;
  const where = `${s.imap.host}:${s.imap.port}`;
  if (x.authenticationFailed) return { auth: true, text: `The mail server rejected the login for ${s.username}${x.responseText ? ` (${x.responseText})` : ''}. Check the password in the account settings.` };
  if (x.code === 'ECONNREFUSED') return { auth: false, text: `Could not reach the mail server ${where}: connection refused.` };
  if (x.code === 'ENOTFOUND') return { auth: false, text: `The mail server ${s.imap.host} was not found.` };
  if (x.code === 'ETIMEDOUT' || x.code === 'CONNECT_TIMEOUT' || x.code === 'GREETING_TIMEOUT') return { auth: false, text: `The mail server ${where} did not answer in time.` };
  return { auth: false, text: `Lost the connection to the mail server ${where}: ${x.message ?? String(e)}` };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const t = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** The factory core's registry uses. */
export function createEmailAdapter(account: AccountConfig, services: AdapterServices): Adapter {
  return new EmailAdapter(account, services);
}
