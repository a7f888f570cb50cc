/**
 * One IMAP connection's life: log in, find Sent, store pending sent mail there, sync Sent and
 * INBOX, then IDLE on INBOX (imapflow re-issues IDLE every `idleRestartMs`, well before the
 * 29-minute limit, and polls with NOOP where the server has no IDLE) until new mail wakes it or the
 * connection drops. Returns when the connection closes; the adapter reconnects.
 */
import { ImapFlow, type ListResponse } from 'imapflow';
import { imapOptions } from '../connection.ts';
import type { FetchedMail } from '../incoming.ts';
import type { MailState } from '../mail-state.ts';
import type { EmailSettings } from '../settings.ts';
import { syncMailbox } from './sync.ts';

/** How often Sent is checked for mail other clients sent (INBOX needs no polling: IDLE). */
const SENT_CHECK_MS = 60_000;
/** Names servers without SPECIAL-USE give their Sent folder. */
const SENT_NAMES = ['sent', 'sent items', 'sent messages', 'sent mail', 'inbox.sent', 'gesendet', 'envoyés'];

export interface WatcherDeps {
  settings: EmailSettings;
  password: string;
  state: MailState;
  maxDownloadBytes: number;
  deliver(batch: FetchedMail[], mode: 'message' | 'body'): Promise<boolean>;
  progress(done: number, total: number): void;
  /** Logged in: the account is online. */
  online(): void;
  /** Client ids of sent mail not yet stored in Sent. */
  pendingAppends(): string[];
  now(): number;
}

export class MailboxWatcher {
  private wakeUp: (() => void) | null = null;
  private inboxDirty = true;
  private sentDirty = true;
  private sentCheckDue = false;
  private client: ImapFlow | null = null;

  constructor(private readonly deps: WatcherDeps) {}

  /** Something to do (new mail, a sent mail to store): run the loop now. */
  wake(what: 'inbox' | 'sent' | 'append'): void {
    if (what === 'inbox') this.inboxDirty = true;
    if (what === 'sent') this.sentDirty = true;
    this.wakeUp?.();
  }

  /** Closes the connection (the running `run` returns). */
  close(): void {
    this.client?.close();
  }

  async run(signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const client = new ImapFlow(
      imapOptions(deps.settings, deps.password, { qresync: true, maxIdleTime: deps.settings.idleRestartMs, autoIdleDelay: 250, missingIdleCommand: 'NOOP' }),
    );
    this.client = client;
    let closed = false;
    let lastError: unknown = null;
    client.on('error', (e: unknown) => {
      lastError = e;
    });
    client.on('close', () => {
      closed = true;
      this.wakeUp?.();
    });
    client.on('exists', (d: { path: string }) => {
      if (d.path === 'INBOX') this.wake('inbox');
    });
    const onAbort = (): void => client.close();
    signal.addEventListener('abort', onAbort, { once: true });
    const sentTimer = setInterval(() => {
      this.sentCheckDue = true;
      this.wakeUp?.();
    }, SENT_CHECK_MS);
    try {
      await client.connect();
      deps.online();
      const sent = await findSent(client);
      /** Mailboxes synced on this connection (the first sync of each follows a fresh SELECT). */
      const synced = new Set<string>();
      this.inboxDirty = true;
      this.sentDirty = true;
      while (!closed && !signal.aborted) {
        await this.storePending(client, sent);
        if (this.sentCheckDue) {
          this.sentCheckDue = false;
          if (await this.sentChanged(client, sent)) this.sentDirty = true;
        }
        // New mail first, once Sent's first sync is done (until then Sent goes first: it says whom
        // the user writes to, which decides what in INBOX is a request).
        if (this.inboxDirty && this.sentSynced(sent)) {
          this.inboxDirty = false;
          await this.syncPath(client, 'INBOX', signal, synced);
        }
        if (this.sentDirty) {
          this.sentDirty = false;
          await this.syncPath(client, sent, signal, synced);
          this.inboxDirty = true; // re-select INBOX so IDLE watches it again
        }
        if (this.inboxDirty) {
          this.inboxDirty = false;
          await this.syncPath(client, 'INBOX', signal, synced);
        }
        if (this.inboxDirty || this.sentDirty || this.sentCheckDue || this.deps.pendingAppends().length > 0) continue;
        // The connection may have closed (or the adapter stopped) during the work above: its wake-up
        // already happened, so waiting now would last until the next Sent check.
        if (closed || signal.aborted) break;
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = null;
      }
      if (closed && !signal.aborted) throw lastError instanceof Error ? lastError : new Error('The mail server closed the connection.');
    } finally {
      clearInterval(sentTimer);
      signal.removeEventListener('abort', onAbort);
      this.client = null;
      if (!closed) await client.logout().catch(() => client.close());
    }
  }

  private async syncPath(client: ImapFlow, path: string, signal: AbortSignal, synced: Set<string>): Promise<void> {
    const justSelected = !synced.has(path);
    synced.add(path);
    const lock = await client.getMailboxLock(path);
    try {
      await syncMailbox(path, {
        client,
        state: this.deps.state,
        syncDays: this.deps.settings.syncDays,
        maxDownloadBytes: this.deps.maxDownloadBytes,
        deliver: (b, mode) => this.deps.deliver(b, mode),
        progress: (d, t) => this.deps.progress(d, t),
        now: () => this.deps.now(),
        signal,
        justSelected,
      });
    } finally {
      lock.release();
    }
  }

  /** Sent's first sync is complete. */
  private sentSynced(sent: string): boolean {
    const c = this.deps.state.cursor(sent);
    return !!c && c.initialBelow === 0 && !c.bodiesBelow;
  }

  private async sentChanged(client: ImapFlow, sent: string): Promise<boolean> {
    const cur = this.deps.state.cursor(sent);
    const st = await client.status(sent, { uidNext: true, uidValidity: true });
    if (!st || !cur) return true;
    return String(st.uidValidity) !== cur.uidValidity || (st.uidNext ?? 0) - 1 > cur.lastUid;
  }

  /** APPENDs sent mail to Sent unless a copy with its Message-ID is already there (a retry, or a server that saves it). */
  private async storePending(client: ImapFlow, sent: string): Promise<void> {
    for (const clientId of this.deps.pendingAppends()) {
      const rec = this.deps.state.sent(clientId);
      const raw = this.deps.state.rawOf(clientId);
      if (!rec || rec.stage !== 'sent') continue;
      if (raw) {
        const lock = await client.getMailboxLock(sent);
        try {
          const there = await client.search({ header: { 'message-id': `<${rec.messageId}>` } }, { uid: true });
          // `false`: the search failed; storing a second copy would be worse than trying again later.
          if (there === false || there === undefined) throw new Error('The mail server did not answer a search in Sent.');
          if (there.length === 0) {
            // imapflow answers an APPEND on a closed connection with nothing: that is not stored.
            const stored = await client.append(sent, Buffer.from(raw), ['\\Seen'], new Date(rec.sentAt));
            if (!stored) throw new Error('The mail server did not store the sent mail in Sent.');
          }
        } finally {
          lock.release();
        }
        this.sentDirty = true;
      }
      this.deps.state.advanceSent(clientId, { ...rec, stage: 'stored' });
    }
  }
}

/** The Sent folder: by SPECIAL-USE, else by a usual name, else a new "Sent". */
async function findSent(client: ImapFlow): Promise<string> {
  const list: ListResponse[] = await client.list();
  const byUse = list.find((b) => b.specialUse === '\\Sent');
  if (byUse) return byUse.path;
  const byName = list.find((b) => SENT_NAMES.includes(b.path.toLowerCase()) || SENT_NAMES.includes(b.name.toLowerCase()));
  if (byName) return byName.path;
  await client.mailboxCreate('Sent');
  return 'Sent';
}
