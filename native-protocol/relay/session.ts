import { createHash, randomBytes } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import { verifyOwnerSignature } from './auth.ts';
import { TokenBucket, type RelayLimits } from './limits.ts';
import type { RelayLogger } from './log.ts';
import type { RelayStorage } from './storage.ts';
import { PROTOCOL_VERSION, parseRequest, type ErrorCode, type OwnerOp, type RelayRequest, type RequestId } from './wire.ts';

/** Who is subscribed to which mailbox, across the connections of one relay process. */
export interface SubscriptionRegistry {
  add(mailbox: string, session: RelaySession): void;
  remove(mailbox: string, session: RelaySession): void;
  notify(mailbox: string): void;
}

/** What a session needs from the relay around it. */
export interface SessionDeps {
  storage: RelayStorage;
  limits: RelayLimits;
  registry: SubscriptionRegistry;
  log: RelayLogger;
  now: () => number;
}

/** An expected refusal: becomes `{ ok: false, error }` without being logged as a failure. */
class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Reply = Record<string, unknown>;

/** sha256 of a send capability: the relay never stores the capability itself. */
export function capabilityHash(cap: Buffer): Buffer {
  return createHash('sha256').update(cap).digest();
}

/**
 * One WebSocket connection: sends `hello` with a fresh challenge, admits frames through the size
 * check and the token bucket, and answers them strictly in order.
 */
export class RelaySession {
  readonly challenge = randomBytes(32).toString('base64url');
  private readonly bucket: TokenBucket;
  private readonly subscriptions = new Set<string>();
  private mailboxesCreated = 0;
  private inFlight = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: SessionDeps,
  ) {
    this.bucket = new TokenBucket(deps.limits.rateBurst, deps.limits.ratePerSecond);
    const { limits } = deps;
    this.push({
      op: 'hello',
      challenge: this.challenge,
      limits: {
        maxMessageBytes: limits.maxMessageBytes,
        maxFrameBytes: limits.maxFrameBytes,
        maxBatch: limits.maxBatch,
        maxFetchLimit: limits.maxFetchLimit,
        quotaCount: limits.quotaCount,
        quotaBytes: limits.quotaBytes,
        ttlMs: limits.ttlMs,
      },
    });
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', (e) => deps.log.warn('socket error', { error: e.message }));
  }

  /** Sends an unsolicited frame (`hello`, `waiting`). */
  push(frame: Reply): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...frame }));
  }

  private reply(id: RequestId | null, body: Reply): void {
    this.push({ id, ...body });
  }

  private fail(id: RequestId | null, code: ErrorCode, message: string): void {
    this.reply(id, { ok: false, error: { code, message } });
  }

  private receive(data: RawData, isBinary: boolean): void {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const size = buf.length;
    if (!this.bucket.take(1)) return this.fail(null, 'rate-limited', 'too many frames; slow down');
    if (isBinary) {
      this.deps.log.warn('bad frame', { reason: 'binary frame' });
      return this.fail(null, 'bad-frame', 'frames must be JSON text');
    }
    if (size > this.deps.limits.maxFrameBytes) {
      this.deps.log.warn('bad frame', { reason: 'frame too large', size });
      return this.fail(null, 'bad-frame', `frame larger than ${this.deps.limits.maxFrameBytes} bytes`);
    }
    const parsed = parseRequest(buf.toString('utf8'), this.deps.limits.maxBatch);
    if (!parsed.ok) {
      this.deps.log.warn('bad frame', { reason: parsed.message });
      return this.fail(parsed.id, 'bad-frame', parsed.message);
    }
    const req = parsed.request;
    const extra = req.op === 'deposit' ? req.items.length : 0;
    if (extra > 0 && !this.bucket.take(extra)) return this.fail(req.id, 'rate-limited', 'too many messages; slow down');
    if (this.inFlight >= this.deps.limits.maxInFlight) return this.fail(req.id, 'rate-limited', 'too many requests in flight');
    this.inFlight += 1;
    this.queue = this.queue.then(async () => {
      try {
        this.reply(req.id, { ok: true, ...(await this.handle(req)) });
      } catch (e) {
        if (e instanceof Refusal) {
          this.fail(req.id, e.code, e.message);
        } else {
          this.deps.log.error('request failed', { op: req.op, error: e instanceof Error ? e.message : String(e) });
          this.fail(req.id, 'internal', 'internal error');
        }
      } finally {
        this.inFlight -= 1;
      }
    });
  }

  private async handle(req: RelayRequest): Promise<Reply> {
    const { storage, limits, now } = this.deps;
    switch (req.op) {
      case 'create': {
        const receiveKey = Buffer.from(req.receiveKey, 'base64url');
        if (!verifyOwnerSignature(receiveKey, this.challenge, 'create', req.receiveKey, Buffer.from(req.sig, 'base64url'))) {
          throw new Refusal('forbidden', 'signature does not verify');
        }
        if (this.mailboxesCreated >= limits.maxMailboxesPerConnection) {
          throw new Refusal('too-many-mailboxes', `at most ${limits.maxMailboxesPerConnection} mailboxes per connection`);
        }
        const id = randomBytes(32).toString('base64url');
        const cap = randomBytes(32);
        await storage.createMailbox({ id, receiveKey, capHash: capabilityHash(cap) }, now());
        this.mailboxesCreated += 1;
        return { mailbox: id, cap: cap.toString('base64url') };
      }
      case 'deposit': {
        const results: Reply[] = new Array<Reply>(req.items.length);
        const accepted: { index: number; mailbox: string; capHash: Buffer; blob: Buffer }[] = [];
        req.items.forEach((item, index) => {
          const blob = Buffer.from(item.blob, 'base64');
          if (blob.length > limits.maxMessageBytes) {
            results[index] = { ok: false, error: { code: 'too-large', message: `blob larger than ${limits.maxMessageBytes} bytes` } };
          } else {
            accepted.push({ index, mailbox: item.mailbox, capHash: capabilityHash(Buffer.from(item.cap, 'base64url')), blob });
          }
        });
        const outcomes = accepted.length
          ? await storage.deposit(accepted, { now: now(), ttlMs: limits.ttlMs, quotaCount: limits.quotaCount, quotaBytes: limits.quotaBytes })
          : [];
        const touched = new Set<string>();
        outcomes.forEach((o, i) => {
          const a = accepted[i];
          if (!a) return;
          if (o.ok) {
            results[a.index] = { ok: true };
            touched.add(a.mailbox);
          } else {
            const message = o.code === 'forbidden' ? 'no such mailbox or wrong capability' : 'mailbox quota exceeded';
            results[a.index] = { ok: false, error: { code: o.code, message } };
          }
        });
        for (const mailbox of touched) this.deps.registry.notify(mailbox);
        return { results };
      }
      case 'fetch': {
        await this.authorize('fetch', req.mailbox, req.sig);
        const limit = Math.min(req.limit ?? limits.defaultFetchLimit, limits.maxFetchLimit);
        const { messages, more } = await storage.fetch(req.mailbox, req.after ?? 0, limit, limits.maxFetchBytes, now());
        return { messages: messages.map((m) => ({ seq: m.seq, blob: m.blob.toString('base64'), receivedAt: m.receivedAt })), more };
      }
      case 'ack': {
        await this.authorize('ack', req.mailbox, req.sig);
        return { deleted: await storage.ack(req.mailbox, req.seqs) };
      }
      case 'subscribe': {
        await this.authorize('subscribe', req.mailbox, req.sig);
        if (!this.subscriptions.has(req.mailbox) && this.subscriptions.size >= limits.maxSubscriptionsPerConnection) {
          throw new Refusal('too-many-subscriptions', `at most ${limits.maxSubscriptionsPerConnection} subscriptions per connection`);
        }
        this.subscriptions.add(req.mailbox);
        this.deps.registry.add(req.mailbox, this);
        return { pending: await storage.pending(req.mailbox, now()) };
      }
      case 'unsubscribe': {
        await this.authorize('unsubscribe', req.mailbox, req.sig);
        this.subscriptions.delete(req.mailbox);
        this.deps.registry.remove(req.mailbox, this);
        return {};
      }
      case 'delete': {
        await this.authorize('delete', req.mailbox, req.sig);
        await storage.deleteMailbox(req.mailbox);
        this.subscriptions.delete(req.mailbox);
        this.deps.registry.remove(req.mailbox, this);
        return {};
      }
    }
  }

  /** Refuses unless `sig` is the mailbox owner's signature over this connection's challenge, op and mailbox. */
  private async authorize(op: OwnerOp, mailbox: string, sig: string): Promise<void> {
    const record = await this.deps.storage.getMailbox(mailbox);
    // The same answer for "no such mailbox" and "wrong key", so a stranger cannot probe for ids.
    if (!record || !verifyOwnerSignature(record.receiveKey, this.challenge, op, mailbox, Buffer.from(sig, 'base64url'))) {
      throw new Refusal('forbidden', 'no such mailbox or signature does not verify');
    }
  }

  private dispose(): void {
    this.closed = true;
    for (const mailbox of this.subscriptions) this.deps.registry.remove(mailbox, this);
    this.subscriptions.clear();
  }
}
