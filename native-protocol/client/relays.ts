/**
 * The client's connections to relays: one per relay URL, reconnecting with backoff, re-subscribing
 * the profile's mailboxes on each connection, and coalescing deposits made in the same event-loop
 * turn into one frame (SPEC §3: a burst costs one round trip).
 */
import { RelayConnection, RelayError, type DepositResult, type ReceiveKey } from '../relay/connection.ts';

export interface PoolLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

/** A mailbox this profile reads. */
export interface OwnedMailbox {
  relay: string;
  id: string;
  key: ReceiveKey;
}

interface Link {
  url: string;
  conn: RelayConnection | null;
  connecting: Promise<RelayConnection> | null;
  attempt: number;
  retryTimer: NodeJS.Timeout | null;
  waiters: { resolve: (c: RelayConnection) => void; reject: (e: Error) => void }[];
  queue: { mailbox: string; cap: string; blob: Uint8Array; resolve: (r: DepositResult) => void; reject: (e: Error) => void }[];
  flushScheduled: boolean;
}

export interface PoolOptions {
  log: PoolLog;
  /** The mailboxes to subscribe on a relay (asked on every (re)connect). */
  mailboxesOn(relay: string): OwnedMailbox[];
  /** Something may wait in this mailbox: fetch it. */
  onWaiting(mb: OwnedMailbox): void;
  /** A relay's connection came up or went down. */
  onLinkChange(relay: string, up: boolean): void;
  backoffMs?: { first: number; max: number };
}

const MAX_DEPOSIT_BATCH = 1000;

export class RelayPool {
  private readonly links = new Map<string, Link>();
  private stopped = false;

  constructor(private readonly opts: PoolOptions) {}

  /** Starts (or keeps) a connection to each relay. */
  ensure(urls: Iterable<string>): void {
    for (const url of urls) void this.connection(url).catch(() => undefined);
  }

  isUp(url: string): boolean {
    return this.links.get(url)?.conn !== null && this.links.get(url)?.conn !== undefined;
  }

  /** The live connection to a relay, connecting if needed; rejects after `timeoutMs`. */
  connection(url: string, timeoutMs = 10_000): Promise<RelayConnection> {
    if (this.stopped) return Promise.reject(new RelayError('closed', 'client stopped'));
    const link = this.link(url);
    if (link.conn) return Promise.resolve(link.conn);
    this.dial(link);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        link.waiters = link.waiters.filter((w) => w.resolve !== res);
        reject(new RelayError('timeout', `relay ${url} is not reachable`));
      }, timeoutMs);
      const res = (c: RelayConnection): void => {
        clearTimeout(timer);
        resolve(c);
      };
      link.waiters.push({
        resolve: res,
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Deposits one blob; items deposited in the same turn to the same relay share one frame. */
  deposit(relay: string, mailbox: string, cap: string, blob: Uint8Array): Promise<DepositResult> {
    const link = this.link(relay);
    return new Promise((resolve, reject) => {
      link.queue.push({ mailbox, cap, blob, resolve, reject });
      if (!link.flushScheduled) {
        link.flushScheduled = true;
        setImmediate(() => void this.flush(link));
      }
    });
  }

  /** Subscribes a mailbox now if its relay is connected (otherwise the next connect does). */
  async subscribe(mb: OwnedMailbox): Promise<void> {
    const conn = this.links.get(mb.relay)?.conn;
    if (!conn) return;
    await conn.subscribe(mb.key, mb.id);
    this.opts.onWaiting(mb);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      [...this.links.values()].map(async (l) => {
        if (l.retryTimer) clearTimeout(l.retryTimer);
        for (const w of l.waiters) w.reject(new RelayError('closed', 'client stopped'));
        l.waiters = [];
        for (const q of l.queue) q.reject(new RelayError('closed', 'client stopped'));
        l.queue = [];
        await l.conn?.close();
      }),
    );
  }

  private link(url: string): Link {
    let l = this.links.get(url);
    if (!l) {
      l = { url, conn: null, connecting: null, attempt: 0, retryTimer: null, waiters: [], queue: [], flushScheduled: false };
      this.links.set(url, l);
    }
    return l;
  }

  private async flush(link: Link): Promise<void> {
    link.flushScheduled = false;
    const batch = link.queue.splice(0, MAX_DEPOSIT_BATCH);
    if (link.queue.length > 0) {
      link.flushScheduled = true;
      setImmediate(() => void this.flush(link));
    }
    if (batch.length === 0) return;
    try {
      const conn = await this.connection(link.url);
      const results = await conn.deposit(batch.map((b) => ({ mailbox: b.mailbox, cap: b.cap, blob: b.blob })));
      batch.forEach((b, i) => b.resolve(results[i]!));
    } catch (e) {
      for (const b of batch) b.reject(e as Error);
    }
  }

  private dial(link: Link): void {
    if (link.connecting || link.conn || this.stopped || link.retryTimer) return;
    link.connecting = RelayConnection.connect(link.url, { queueBeyondInFlight: true });
    link.connecting.then(
      (conn) => void this.up(link, conn),
      (e: unknown) => {
        link.connecting = null;
        this.opts.log.warn('relay connect failed', { relay: link.url, error: (e as Error).message });
        this.retry(link);
      },
    );
  }

  private async up(link: Link, conn: RelayConnection): Promise<void> {
    link.connecting = null;
    if (this.stopped) {
      await conn.close();
      return;
    }
    link.conn = conn;
    link.attempt = 0;
    conn.onClose(() => {
      if (link.conn !== conn) return;
      link.conn = null;
      this.opts.onLinkChange(link.url, false);
      if (!this.stopped) {
        this.opts.log.warn('relay connection lost; reconnecting', { relay: link.url });
        this.retry(link);
      }
    });
    const mine = new Map<string, OwnedMailbox>();
    for (const mb of this.opts.mailboxesOn(link.url)) mine.set(mb.id, mb);
    conn.onWaiting((id) => {
      const mb = mine.get(id) ?? this.opts.mailboxesOn(link.url).find((m) => m.id === id);
      if (mb) this.opts.onWaiting(mb);
    });
    for (const w of link.waiters) w.resolve(conn);
    link.waiters = [];
    this.opts.onLinkChange(link.url, true);
    // Subscribe every mailbox, then pull each once: what arrived while offline is fetched now.
    await Promise.all(
      [...mine.values()].map(async (mb) => {
        try {
          await conn.subscribe(mb.key, mb.id);
        } catch (e) {
          this.opts.log.warn('subscribe failed', { relay: link.url, error: (e as Error).message });
        }
        this.opts.onWaiting(mb);
      }),
    );
  }

  private retry(link: Link): void {
    if (this.stopped || link.retryTimer) return;
    const { first, max } = this.opts.backoffMs ?? { first: 250, max: 30_000 };
    const base = Math.min(max, first * 2 ** link.attempt);
    link.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    link.retryTimer = setTimeout(() => {
      link.retryTimer = null;
      this.dial(link);
    }, delay);
  }
}
