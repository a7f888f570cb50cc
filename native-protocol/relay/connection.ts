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

/** Limits the relay announced in `hello`. */
export type AnnouncedLimits = Record<string, number>;

type Frame = Record<string, unknown>;

/** The text of a ws message, whichever of its buffer shapes it arrived in. */
function textOf(data: WebSocket.RawData): string {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return buf.toString('utf8');
}

function isRecord(x: unknown): x is Frame {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

interface Pending {
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A connection to one relay: waits for `hello`, signs owner operations with the connection's
 * challenge, correlates replies by id. Reconnection is the caller's business (a new connection has
 * a new challenge).
 */
export class RelayConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waitingListeners = new Set<(mailbox: string) => void>();
  private readonly errorListeners = new Set<(e: RelayError) => void>();

  private constructor(
    private readonly ws: WebSocket,
    readonly challenge: string,
    readonly limits: AnnouncedLimits,
    private readonly timeoutMs: number,
  ) {
    ws.on('message', (data) => this.receive(textOf(data)));
    ws.on('close', () => this.failAll(new RelayError('closed', 'connection closed')));
    ws.on('error', () => undefined);
  }

  /** Connects and waits for the relay's `hello`. */
  static connect(url: string, opts: { timeoutMs?: number } = {}): Promise<RelayConnection> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
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
        resolve(new RelayConnection(ws, hello.challenge, limits, timeoutMs));
      });
    });
  }

  /** Called with the mailbox id whenever the relay says something is waiting in a subscribed mailbox. */
  onWaiting(fn: (mailbox: string) => void): () => void {
    this.waitingListeners.add(fn);
    return () => this.waitingListeners.delete(fn);
  }

  /** Called once when the connection closes (by either side). */
  onClose(fn: () => void): void {
    if (this.ws.readyState === WebSocket.CLOSED) fn();
    else this.ws.once('close', fn);
  }

  /** Called for errors the relay could not tie to a request (e.g. a frame that was not JSON). */
  onUnattributedError(fn: (e: RelayError) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  /** Signature (base64url) of `op` on `target` with this connection's challenge. */
  sign(key: ReceiveKey, op: SignedOp, target: string): string {
    return sign(null, signedBytes(this.challenge, op, target), key.privateKey).toString('base64url');
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
    const messages = (r.messages as unknown[]).map((m): FetchedMessage => {
      if (!isRecord(m) || typeof m.seq !== 'number' || typeof m.blob !== 'string' || typeof m.receivedAt !== 'number') {
        throw new RelayError('bad-reply', 'malformed message in fetch reply');
      }
      return { seq: m.seq, blob: Buffer.from(m.blob, 'base64'), receivedAt: m.receivedAt };
    });
    return { messages, more: r.more === true };
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

  /** Sends one request frame (v and id are filled in) and resolves with the ok reply, or rejects with a RelayError. */
  request(body: Frame): Promise<Frame> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) {
        reject(new RelayError('closed', 'connection closed'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RelayError('timeout', `no reply to ${String(body.op)} in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...body, id }));
    });
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
      if (relayError) for (const fn of this.errorListeners) fn(relayError);
      return;
    }
    this.pending.delete(frame.id as number);
    clearTimeout(p.timer);
    if (frame.ok === true) p.resolve(frame);
    else p.reject(relayError ?? new RelayError('bad-reply', 'reply is neither ok nor error'));
  }

  private failAll(e: RelayError): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }
}
