import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, signedBytes, type ErrorCode, type SignedOp } from './wire.ts';

/** A refusal or failure reported by the relay (or by this client: `timeout`, `closed`, `bad-reply`). */
export class RelayError extends Error {
  constructor(
    readonly code: ErrorCode | 'timeout' | 'closed' | 'bad-reply',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'RelayError';
  }
}

/** An Ed25519 receive key: the private half signs, `publicKey` is the raw 32 bytes in base64url. */
export interface ReceiveKey {
  privateKey: KeyObject;
  publicKey: string;
}

/** A fresh random receive key. */
export function generateReceiveKey(): ReceiveKey {
  return receiveKeyFromPrivate(generateKeyPairSync('ed25519').privateKey);
}

/** The receive key of an existing Ed25519 private key (a KeyObject, or the raw 32-byte seed). */
export function receiveKeyFromPrivate(privateKey: KeyObject | Uint8Array): ReceiveKey {
  const key =
    privateKey instanceof Uint8Array
      ? createPrivateKey({
          // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
          key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(privateKey)]),
          format: 'der',
          type: 'pkcs8',
        })
      : privateKey;
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return { privateKey: key, publicKey: jwk.x };
}

/** The relay's answer to `create`. */
export interface CreatedMailbox {
  mailbox: string;
  cap: string;
}

/** One message to deposit. */
export interface DepositItem {
  mailbox: string;
  cap: string;
  blob: Uint8Array;
}

/** Per-item deposit result, in batch order. */
export type DepositResult = { ok: true } | { ok: false; code: string; message: string };

/** A fetched message. */
export interface FetchedMessage {
  seq: number;
  blob: Buffer;
  receivedAt: number;
}

/** One mailbox's answer in a `fetchMany`: its messages, or why it was refused (`forbidden`). */
export type FetchManyResult = { ok: true; messages: FetchedMessage[]; more: boolean } | { ok: false; code: string; message: string };

/** One mailbox's answer in an `ackMany`. */
export type AckManyResult = { ok: true; deleted: number } | { ok: false; code: string; message: string };

/** Limits the relay announced in `hello`. */
export type AnnouncedLimits = Record<string, number>;

/** How a connection ended: the WebSocket close code (1006 when the socket simply dropped) and reason. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Options of `RelayConnection.connect`. */
export interface ConnectOptions {
  /** How long to wait for `hello`, and for each reply (default 10 s). */
  timeoutMs?: number;
  /**
   * Ping the relay this often and drop the connection when a ping goes unanswered for as long
   * (default 30 s; 0 turns it off). Catches a half-open socket (the relay's machine vanished,
   * a NAT forgot the flow) that would otherwise only show up as request timeouts.
   */
  pingIntervalMs?: number;
  /**
   * Keep at most the relay's announced `maxInFlight` requests (default 64) unanswered and queue the
   * rest here, instead of letting the relay refuse them as `rate-limited` (default false: tests of
   * the relay's own limit send past it on purpose).
   */
  queueBeyondInFlight?: boolean;
}

type Frame = Record<string, unknown>;

/** The text of a ws message, whichever of its buffer shapes it arrived in. */
function textOf(data: WebSocket.RawData): string {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return buf.toString('utf8');
}

function isRecord(x: unknown): x is Frame {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function toFetched(m: unknown): FetchedMessage {
  if (!isRecord(m) || typeof m.seq !== 'number' || typeof m.blob !== 'string' || typeof m.receivedAt !== 'number') {
    throw new RelayError('bad-reply', 'malformed message in fetch reply');
  }
  return { seq: m.seq, blob: Buffer.from(m.blob, 'base64'), receivedAt: m.receivedAt };
}

interface Pending {
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_PING_INTERVAL_MS = 30_000;

/**
 * A connection to one relay: waits for `hello`, signs owner operations with the connection's
 * challenge, correlates replies by id. Reconnection is the caller's business (a new connection has
 * a new challenge): watch `closed` / `onClose`, then connect again and re-subscribe. When the
 * connection ends, every request still waiting for its reply rejects with `RelayError('closed')`:
 * its outcome is unknown (a deposit may or may not have been stored; clients dedupe).
 */
export class RelayConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests waiting for a free in-flight slot (only with `queueBeyondInFlight`). */
  private readonly queued: (() => void)[] = [];
  private inFlightCap = Infinity;
  private readonly waitingListeners = new Set<(mailbox: string) => void>();
  private readonly errorListeners = new Set<(e: RelayError) => void>();
  private readonly closeListeners = new Set<() => void>();
  private readonly signatures = new WeakMap<KeyObject, Map<string, string>>();
  private closeInfo: CloseInfo | null = null;
  private readonly heartbeat: NodeJS.Timeout | null = null;
  /** Resolves once the connection has closed, by either side or by a dropped socket. Never rejects. */
  readonly closed: Promise<CloseInfo>;

  private constructor(
    private readonly ws: WebSocket,
    readonly challenge: string,
    readonly limits: AnnouncedLimits,
    private readonly timeoutMs: number,
    pingIntervalMs: number,
  ) {
    let resolveClosed: (info: CloseInfo) => void = () => undefined;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    ws.on('message', (data) => this.receive(textOf(data)));
    ws.on('close', (code, reason) => {
      const info = { code, reason: reason.toString('utf8') };
      this.closeInfo = info;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.failAll(new RelayError('closed', 'connection closed'));
      resolveClosed(info);
      for (const fn of [...this.closeListeners]) fn();
      this.closeListeners.clear();
    });
    ws.on('error', () => undefined);
    if (pingIntervalMs > 0) {
      let answered = true;
      ws.on('pong', () => (answered = true));
      this.heartbeat = setInterval(() => {
        // terminate() drops the socket at once; 'close' follows and fails every pending request.
        if (!answered) return ws.terminate();
        answered = false;
        ws.ping();
      }, pingIntervalMs);
      this.heartbeat.unref();
    }
  }

  /** Connects and waits for the relay's `hello`. */
  static connect(url: string, opts: ConnectOptions = {}): Promise<RelayConnection> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const pingIntervalMs = opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new RelayError('timeout', 'no hello from relay'));
      }, timeoutMs);
      ws.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      ws.once('message', (data) => {
        clearTimeout(timer);
        let hello: unknown;
        try {
          hello = JSON.parse(textOf(data));
        } catch {
          hello = null;
        }
        if (!isRecord(hello) || hello.op !== 'hello' || typeof hello.challenge !== 'string') {
          ws.terminate();
          reject(new RelayError('bad-reply', 'first frame was not hello'));
          return;
        }
        const limits = isRecord(hello.limits) ? (hello.limits as AnnouncedLimits) : {};
        const conn = new RelayConnection(ws, hello.challenge, limits, timeoutMs, pingIntervalMs);
        if (opts.queueBeyondInFlight) conn.inFlightCap = typeof limits.maxInFlight === 'number' && limits.maxInFlight > 0 ? limits.maxInFlight : 64;
        resolve(conn);
      });
    });
  }

  /** Called with the mailbox id whenever the relay says something is waiting in a subscribed mailbox. */
  onWaiting(fn: (mailbox: string) => void): () => void {
    this.waitingListeners.add(fn);
    return () => this.waitingListeners.delete(fn);
  }

  /**
   * Called once when the connection closes (by either side or a dropped socket), after every
   * pending request has been rejected; at once if it already has. Returns an unsubscribe.
   * The close code and reason are in `closed`.
   */
  onClose(fn: () => void): () => void {
    if (this.closeInfo) {
      fn();
      return () => undefined;
    }
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** True until the connection starts closing; requests made after that reject with `closed`. */
  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Called for errors the relay could not tie to a request (e.g. a frame that was not JSON). */
  onUnattributedError(fn: (e: RelayError) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  /**
   * Signature (base64url) of `op` on `target` with this connection's challenge. Ed25519 is
   * deterministic and the signed bytes are fixed per connection, op and target, so each is
   * computed once per connection and key.
   */
  sign(key: ReceiveKey, op: SignedOp, target: string): string {
    let byTarget = this.signatures.get(key.privateKey);
    if (!byTarget) this.signatures.set(key.privateKey, (byTarget = new Map<string, string>()));
    const slot = `${op}\n${target}`;
    let sig = byTarget.get(slot);
    if (sig === undefined) {
      sig = sign(null, signedBytes(this.challenge, op, target), key.privateKey).toString('base64url');
      byTarget.set(slot, sig);
    }
    return sig;
  }

  async create(key: ReceiveKey): Promise<CreatedMailbox> {
    const r = await this.request({ op: 'create', receiveKey: key.publicKey, sig: this.sign(key, 'create', key.publicKey) });
    if (typeof r.mailbox !== 'string' || typeof r.cap !== 'string') throw new RelayError('bad-reply', 'create reply lacks mailbox or cap');
    return { mailbox: r.mailbox, cap: r.cap };
  }

  async deposit(items: DepositItem[]): Promise<DepositResult[]> {
    const r = await this.request({
      op: 'deposit',
      items: items.map((i) => ({ mailbox: i.mailbox, cap: i.cap, blob: Buffer.from(i.blob).toString('base64') })),
    });
    if (!Array.isArray(r.results) || r.results.length !== items.length) throw new RelayError('bad-reply', 'deposit reply has wrong results');
    return (r.results as unknown[]).map((x): DepositResult => {
      if (isRecord(x) && x.ok === true) return { ok: true };
      const err = isRecord(x) && isRecord(x.error) ? x.error : {};
      return { ok: false, code: typeof err.code === 'string' ? err.code : 'bad-reply', message: typeof err.message === 'string' ? err.message : '' };
    });
  }

  async fetch(key: ReceiveKey, mailbox: string, opts: { limit?: number; after?: number } = {}): Promise<{ messages: FetchedMessage[]; more: boolean }> {
    const r = await this.request({ op: 'fetch', mailbox, sig: this.sign(key, 'fetch', mailbox), ...opts });
    if (!Array.isArray(r.messages)) throw new RelayError('bad-reply', 'fetch reply lacks messages');
    return { messages: (r.messages as unknown[]).map(toFetched), more: r.more === true };
  }

  /**
   * Fetches many mailboxes in one round trip (each with its own receive key and `after`);
   * `limit` applies per mailbox. Results come in the same order. A mailbox left out by the
   * frame's byte budget answers `messages: []` with `more: true`: fetch it again.
   */
  async fetchMany(entries: { key: ReceiveKey; mailbox: string; after?: number }[], opts: { limit?: number } = {}): Promise<FetchManyResult[]> {
    const r = await this.request({
      op: 'fetch-many',
      mailboxes: entries.map((e) => ({ mailbox: e.mailbox, sig: this.sign(e.key, 'fetch', e.mailbox), ...(e.after === undefined ? {} : { after: e.after }) })),
      ...opts,
    });
    return this.results(r, entries.length, (x): FetchManyResult => {
      if (!Array.isArray(x.messages)) throw new RelayError('bad-reply', 'fetch-many result lacks messages');
      return { ok: true, messages: (x.messages as unknown[]).map(toFetched), more: x.more === true };
    });
  }

  /** Acks seqs in many mailboxes in one round trip; results in the same order. */
  async ackMany(items: { key: ReceiveKey; mailbox: string; seqs: number[] }[]): Promise<AckManyResult[]> {
    const r = await this.request({
      op: 'ack-many',
      items: items.map((i) => ({ mailbox: i.mailbox, sig: this.sign(i.key, 'ack', i.mailbox), seqs: i.seqs })),
    });
    return this.results(r, items.length, (x): AckManyResult => ({ ok: true, deleted: typeof x.deleted === 'number' ? x.deleted : 0 }));
  }

  /** Per-item results of a batch reply: `ok` ones through `ok`, refusals as codes. */
  private results<T>(r: Frame, n: number, ok: (x: Frame) => T): (T | { ok: false; code: string; message: string })[] {
    if (!Array.isArray(r.results) || r.results.length !== n) throw new RelayError('bad-reply', 'batch reply has wrong results');
    return (r.results as unknown[]).map((x) => {
      if (isRecord(x) && x.ok === true) return ok(x);
      const err = isRecord(x) && isRecord(x.error) ? x.error : {};
      return { ok: false as const, code: typeof err.code === 'string' ? err.code : 'bad-reply', message: typeof err.message === 'string' ? err.message : '' };
    });
  }

  async ack(key: ReceiveKey, mailbox: string, seqs: number[]): Promise<number> {
    const r = await this.request({ op: 'ack', mailbox, sig: this.sign(key, 'ack', mailbox), seqs });
    return typeof r.deleted === 'number' ? r.deleted : 0;
  }

  /** Subscribes; returns how many messages are already waiting. */
  async subscribe(key: ReceiveKey, mailbox: string): Promise<number> {
    const r = await this.request({ op: 'subscribe', mailbox, sig: this.sign(key, 'subscribe', mailbox) });
    return typeof r.pending === 'number' ? r.pending : 0;
  }

  async unsubscribe(key: ReceiveKey, mailbox: string): Promise<void> {
    await this.request({ op: 'unsubscribe', mailbox, sig: this.sign(key, 'unsubscribe', mailbox) });
  }

  async deleteMailbox(key: ReceiveKey, mailbox: string): Promise<void> {
    await this.request({ op: 'delete', mailbox, sig: this.sign(key, 'delete', mailbox) });
  }

  /** Sets or replaces the mailbox's bundle blob (at most `limits.maxBundleBytes`, 16 KiB by default). Owner only. */
  async putBundle(key: ReceiveKey, mailbox: string, blob: Uint8Array): Promise<void> {
    await this.request({ op: 'put-bundle', mailbox, sig: this.sign(key, 'put-bundle', mailbox), blob: Buffer.from(blob).toString('base64') });
  }

  /**
   * The mailbox's bundle blob, for a holder of its send capability. Rejects with `forbidden` for a
   * wrong capability, no such mailbox or no bundle alike.
   */
  async peek(mailbox: string, cap: string): Promise<Buffer> {
    const r = await this.request({ op: 'peek', mailbox, cap });
    if (typeof r.blob !== 'string') throw new RelayError('bad-reply', 'peek reply lacks blob');
    return Buffer.from(r.blob, 'base64');
  }

  /** Sends one request frame (v and id are filled in) and resolves with the ok reply, or rejects with a RelayError. */
  request(body: Frame): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const send = (): void => {
        if (this.ws.readyState !== WebSocket.OPEN) {
          reject(new RelayError('closed', 'connection closed'));
          return;
        }
        const id = this.nextId++;
        const timer = setTimeout(() => {
          this.pending.delete(id);
          this.release();
          reject(new RelayError('timeout', `no reply to ${String(body.op)} in ${this.timeoutMs} ms`));
        }, this.timeoutMs);
        this.pending.set(id, { resolve, reject, timer });
        this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...body, id }));
      };
      if (this.pending.size < this.inFlightCap) send();
      else this.queued.push(send);
    });
  }

  /** A slot came free: the next queued request goes. */
  private release(): void {
    while (this.queued.length > 0 && this.pending.size < this.inFlightCap) this.queued.shift()!();
  }

  /** Sends raw bytes as a text frame — for tests of malformed input. */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  private receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!isRecord(frame)) return;
    if (frame.op === 'waiting' && typeof frame.mailbox === 'string') {
      for (const fn of this.waitingListeners) fn(frame.mailbox);
      return;
    }
    const p = typeof frame.id === 'number' ? this.pending.get(frame.id) : undefined;
    const error = isRecord(frame.error) ? frame.error : null;
    const relayError = error
      ? new RelayError((typeof error.code === 'string' ? error.code : 'bad-reply') as ErrorCode, typeof error.message === 'string' ? error.message : '')
      : null;
    if (!p) {
      // A late reply to a request that timed out is not news; only id-less errors are reported.
      const ours = typeof frame.id === 'number' && frame.id >= 1 && frame.id < this.nextId;
      if (relayError && !ours) for (const fn of this.errorListeners) fn(relayError);
      return;
    }
    this.pending.delete(frame.id as number);
    clearTimeout(p.timer);
    if (frame.ok === true) p.resolve(frame);
    else p.reject(relayError ?? new RelayError('bad-reply', 'reply is neither ok nor error'));
    this.release();
  }

  private failAll(e: RelayError): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    // Queued requests find the socket closed and reject with `closed` too.
    for (const send of this.queued.splice(0)) send();
  }
}
