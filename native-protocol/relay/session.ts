import { hash, randomBytes } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import { verifyOwnerSignature } from './auth.ts';
import { TokenBucket, type RelayLimits } from './limits.ts';
import type { RelayLogger } from './log.ts';
import type { MailboxRecord, RelayStorage } from './storage.ts';
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

/** What handling a request produced: the reply body, and what to do once it has been sent. */
interface Handled {
  body: Reply;
  afterReply?: () => void;
}

/** A handled request waiting for durability: its reply, or its refusal. */
type Outcome = { ok: true; handled: Handled } | { ok: false; error: unknown };

/** A `waiting` not followed by a fetch of its mailbox is sent again after this long (on the next deposit). */
const WAITING_REPEAT_MS = 5_000;

/** Mailboxes whose verified signatures a connection remembers (a few ops each); beyond that, it starts over. */
const MAX_VERIFIED = 8192;

/**
 * The `waiting` frame for a mailbox, as the UTF-8 bytes of its JSON text: the same for every
 * connection subscribed to it, so the registry makes it once per mailbox.
 */
export function waitingFrame(mailbox: string): Buffer {
  return Buffer.from(JSON.stringify({ v: PROTOCOL_VERSION, op: 'waiting', mailbox }), 'utf8');
}

/** Capability hashes remembered per connection (one per mailbox it deposits into); beyond that, it starts over. */
const MAX_CAP_HASHES = 8192;

/** sha256 of a send capability: the relay never stores the capability itself. */
export function capabilityHash(cap: Buffer): Buffer {
  return hash('sha256', cap, 'buffer');
}

/**
 * One WebSocket connection: sends `hello` with a fresh challenge, admits frames through the size
 * check and the token bucket, handles them strictly in order and answers them in the same order.
 *
 * Handling and answering are two chains: a request is handled as soon as the one before it was
 * (storage calls run at once), but its reply waits until storage says every write made so far is
 * durable. So a connection with many requests in flight has them all handled in one turn and
 * answered after one shared commit, instead of one commit per request.
 */
export class RelaySession {
  readonly challenge = randomBytes(32).toString('base64url');
  private readonly bucket: TokenBucket;
  private readonly subscriptions = new Set<string>();
  private mailboxesCreated = 0;
  /** Subscribed mailboxes with a `waiting` out and no fetch since: when it was sent. */
  private readonly notified = new Map<string, number>();
  /**
   * Signatures this connection has already verified: mailbox → op → signature. Keyed by the
   * mailbox id string as parsed (not a concatenation, which would have to be flattened and
   * hashed again on every request).
   */
  private readonly verified = new Map<string, Partial<Record<OwnerOp, string>>>();
  /**
   * SHA-256 of the capabilities this connection presented (base64url), so a sender depositing
   * into the same mailboxes again is not hashed again. Held only for the connection, which
   * carries these capabilities in its frames anyway.
   */
  private readonly capHashes = new Map<string, Buffer>();
  private inFlight = 0;
  private handling: Promise<unknown> = Promise.resolve();
  private replying: Promise<void> = Promise.resolve();
  private closed = false;

  /** Frames are being gathered into one write (see `push`). */
  private corked = false;

  /**
   * `socket` is the connection under `ws`: the frames one turn sends on it (replies after a shared
   * commit, `waiting`s) are gathered into one write instead of one system call per frame.
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly deps: SessionDeps,
    private readonly socket: { cork(): void; uncork(): void } | null = null,
  ) {
    this.bucket = new TokenBucket(deps.limits.rateBurst, deps.limits.ratePerSecond);
    const { limits } = deps;
    this.push({
      op: 'hello',
      challenge: this.challenge,
      limits: {
        maxMessageBytes: limits.maxMessageBytes,
        maxBundleBytes: limits.maxBundleBytes,
        maxFrameBytes: limits.maxFrameBytes,
        maxBatch: limits.maxBatch,
        maxFetchLimit: limits.maxFetchLimit,
        quotaCount: limits.quotaCount,
        quotaBytes: limits.quotaBytes,
        ttlMs: limits.ttlMs,
        maxInFlight: limits.maxInFlight,
      },
    });
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', (e) => deps.log.warn('socket error', { error: e.message }));
  }

  /**
   * Something arrived in `mailbox`, which this connection subscribed to. Sends `waiting` unless
   * one is already out that this connection has not yet followed with a fetch of that mailbox:
   * the fetch will see everything that arrived meanwhile, so more frames would say nothing new.
   */
  wake(mailbox: string, frame: Buffer = waitingFrame(mailbox)): void {
    const now = this.deps.now();
    const sent = this.notified.get(mailbox);
    // Repeated after a while anyway, so a client that lost track (a fetch that failed and was not
    // retried) is woken again by the next deposit.
    if (sent !== undefined && now - sent < WAITING_REPEAT_MS) return;
    this.notified.set(mailbox, now);
    this.send(frame);
  }

  /** Sends an unsolicited frame (`hello`, `waiting`). */
  push(frame: Reply): void {
    this.send(JSON.stringify({ v: PROTOCOL_VERSION, ...frame }));
  }

  /** Sends one text frame, given as a string or as its UTF-8 bytes. */
  private send(text: string | Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.socket && !this.corked) {
      // Uncorked once the current run of callbacks and promise reactions is over: every frame
      // sent until then leaves in one write, none waits for anything else.
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket?.uncork();
      });
    }
    this.ws.send(text, { binary: false });
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
    // A batch costs what its entries would cost as separate frames.
    const extra = req.op === 'deposit' || req.op === 'ack-many' ? req.items.length : req.op === 'fetch-many' ? req.mailboxes.length : 0;
    if (extra > 0 && !this.bucket.take(extra)) return this.refuseAtAdmission(req, 'too many messages; slow down');
    if (this.inFlight >= this.deps.limits.maxInFlight) return this.refuseAtAdmission(req, 'too many requests in flight');
    this.inFlight += 1;
    const handled: Promise<{ outcome: Outcome; durable: Promise<void> }> = this.handling.then(async () => {
      let outcome: Outcome;
      try {
        outcome = { ok: true, handled: await this.handle(req) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      // Taken right after handling: the writes this reply may depend on (its own, or ones it read).
      return { outcome, durable: this.deps.storage.durable() };
    });
    this.handling = handled;
    this.replying = this.replying.then(async () => {
      const { outcome, durable } = await handled;
      try {
        await durable;
      } catch (e) {
        this.inFlight -= 1;
        this.deps.log.error('commit failed', { op: req.op, error: e instanceof Error ? e.message : String(e) });
        return this.fail(req.id, 'internal', 'internal error');
      }
      this.inFlight -= 1;
      if (outcome.ok) {
        this.reply(req.id, { ok: true, ...outcome.handled.body });
        outcome.handled.afterReply?.();
      } else if (outcome.error instanceof Refusal) {
        this.fail(req.id, outcome.error.code, outcome.error.message);
      } else {
        const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
        this.deps.log.error('request failed', { op: req.op, error });
        this.fail(req.id, 'internal', 'internal error');
      }
    });
  }

  /** `rate-limited` for a parsed request; a refused fetch re-arms `waiting` as a served one would. */
  private refuseAtAdmission(req: RelayRequest, message: string): void {
    if (req.op === 'fetch') this.notified.delete(req.mailbox);
    if (req.op === 'fetch-many') for (const e of req.mailboxes) this.notified.delete(e.mailbox);
    this.fail(req.id, 'rate-limited', message);
  }

  private async handle(req: RelayRequest): Promise<Handled> {
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
        return { body: { mailbox: id, cap: cap.toString('base64url') } };
      }
      case 'deposit': {
        const results: Reply[] = new Array<Reply>(req.items.length);
        const accepted: { index: number; mailbox: string; capHash: Buffer; blob: Buffer }[] = [];
        req.items.forEach((item, index) => {
          if (item.blob.length > limits.maxMessageBytes) {
            results[index] = { ok: false, error: { code: 'too-large', message: `blob larger than ${limits.maxMessageBytes} bytes` } };
          } else {
            accepted.push({ index, mailbox: item.mailbox, capHash: this.capHash(item.cap), blob: item.blob });
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
        // Woken only once the deposit is durable and its sender has been told.
        return { body: { results }, afterReply: () => touched.forEach((m) => this.deps.registry.notify(m)) };
      }
      case 'fetch': {
        await this.authorize('fetch', req.mailbox, req.sig);
        // Re-armed when the fetch runs: anything deposited after this is either seen by this
        // fetch or wakes the connection again.
        this.notified.delete(req.mailbox);
        const limit = Math.min(req.limit ?? limits.defaultFetchLimit, limits.maxFetchLimit);
        const { messages, more } = await storage.fetch(req.mailbox, req.after ?? 0, limit, limits.maxFetchBytes, now());
        return { body: { messages: messages.map((m) => ({ seq: m.seq, blob: m.blob.toString('base64'), receivedAt: m.receivedAt })), more } };
      }
      case 'fetch-many': {
        const limit = Math.min(req.limit ?? limits.defaultFetchLimit, limits.maxFetchLimit);
        // Every entry's mailbox in one storage call, then the signatures, then one fetch for all.
        const records = await storage.getMailboxes(req.mailboxes.map((e) => e.mailbox));
        const results: Reply[] = new Array<Reply>(req.mailboxes.length);
        const wanted: { index: number; mailbox: string; after: number }[] = [];
        req.mailboxes.forEach((e, index) => {
          const refused = this.ownerRefusal(records[index] ?? null, 'fetch', e.mailbox, e.sig);
          if (refused) {
            results[index] = refused;
            return;
          }
          this.notified.delete(e.mailbox);
          wanted.push({ index, mailbox: e.mailbox, after: e.after ?? 0 });
        });
        const fetched = wanted.length ? await storage.fetchMany(wanted, limit, limits.maxFetchBytes, now()) : [];
        wanted.forEach((w, i) => {
          const { messages, more } = fetched[i] ?? { messages: [], more: false };
          results[w.index] = { ok: true, messages: messages.map((m) => ({ seq: m.seq, blob: m.blob.toString('base64'), receivedAt: m.receivedAt })), more };
        });
        return { body: { results } };
      }
      case 'ack-many': {
        const records = await storage.getMailboxes(req.items.map((e) => e.mailbox));
        const results: Reply[] = new Array<Reply>(req.items.length);
        const allowed: { index: number; mailbox: string; seqs: number[] }[] = [];
        req.items.forEach((item, index) => {
          const refused = this.ownerRefusal(records[index] ?? null, 'ack', item.mailbox, item.sig);
          if (refused) results[index] = refused;
          else allowed.push({ index, mailbox: item.mailbox, seqs: item.seqs });
        });
        // One storage write for every entry allowed (still one atomic request, like a deposit).
        const deleted = allowed.length ? await storage.ackMany(allowed) : [];
        allowed.forEach((a, i) => (results[a.index] = { ok: true, deleted: deleted[i] ?? 0 }));
        return { body: { results } };
      }
      case 'ack': {
        await this.authorize('ack', req.mailbox, req.sig);
        return { body: { deleted: await storage.ack(req.mailbox, req.seqs) } };
      }
      case 'subscribe': {
        await this.authorize('subscribe', req.mailbox, req.sig);
        if (!this.subscriptions.has(req.mailbox) && this.subscriptions.size >= limits.maxSubscriptionsPerConnection) {
          throw new Refusal('too-many-subscriptions', `at most ${limits.maxSubscriptionsPerConnection} subscriptions per connection`);
        }
        this.subscriptions.add(req.mailbox);
        this.notified.delete(req.mailbox);
        this.deps.registry.add(req.mailbox, this);
        return { body: { pending: await storage.pending(req.mailbox, now()) } };
      }
      case 'unsubscribe': {
        await this.authorize('unsubscribe', req.mailbox, req.sig);
        this.subscriptions.delete(req.mailbox);
        this.notified.delete(req.mailbox);
        this.deps.registry.remove(req.mailbox, this);
        return { body: {} };
      }
      case 'put-bundle': {
        const blob = req.blob;
        // Checked before the signature: it says nothing about the mailbox, and spares a verify.
        if (blob.length > limits.maxBundleBytes) throw new Refusal('too-large', `bundle larger than ${limits.maxBundleBytes} bytes`);
        await this.authorize('put-bundle', req.mailbox, req.sig);
        if (!(await storage.putBundle(req.mailbox, blob, now()))) throw new Refusal('forbidden', 'no such mailbox or signature does not verify');
        return { body: {} };
      }
      case 'peek': {
        const blob = await storage.peekBundle(req.mailbox, this.capHash(req.cap));
        // One answer for a wrong capability, no such mailbox and no bundle: nothing can be probed.
        if (!blob) throw new Refusal('forbidden', 'no such mailbox, wrong capability or no bundle');
        return { body: { blob: blob.toString('base64') } };
      }
      case 'delete': {
        await this.authorize('delete', req.mailbox, req.sig);
        await storage.deleteMailbox(req.mailbox);
        this.subscriptions.delete(req.mailbox);
        this.notified.delete(req.mailbox);
        this.deps.registry.remove(req.mailbox, this);
        return { body: {} };
      }
    }
  }

  /** SHA-256 of a capability (base64url) as presented on this connection. */
  private capHash(cap: string): Buffer {
    let h = this.capHashes.get(cap);
    if (!h) {
      h = capabilityHash(Buffer.from(cap, 'base64url'));
      if (this.capHashes.size >= MAX_CAP_HASHES) this.capHashes.clear();
      this.capHashes.set(cap, h);
    }
    return h;
  }

  /** Refuses unless `sig` is the mailbox owner's signature over this connection's challenge, op and mailbox. */
  private async authorize(op: OwnerOp, mailbox: string, sig: string): Promise<void> {
    this.checkOwner(await this.deps.storage.getMailbox(mailbox), op, mailbox, sig);
  }

  /** `checkOwner` for one entry of a batch: its refusal as a per-entry error result, or null. */
  private ownerRefusal(record: MailboxRecord | null, op: OwnerOp, mailbox: string, sig: string): Reply | null {
    try {
      this.checkOwner(record, op, mailbox, sig);
      return null;
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, error: { code: e.code, message: e.message } };
      throw e;
    }
  }

  /** Throws a Refusal unless `record` exists and `sig` is its owner's signature for (challenge, op, mailbox). */
  private checkOwner(record: MailboxRecord | null, op: OwnerOp, mailbox: string, sig: string): void {
    // The same answer for "no such mailbox" and "wrong key", so a stranger cannot probe for ids.
    if (!record) throw new Refusal('forbidden', 'no such mailbox or signature does not verify');
    // The signed bytes are fixed per (connection, op, mailbox), so an owner sends the same
    // signature on every fetch or ack: verify it once per connection, then compare strings.
    let known = this.verified.get(mailbox);
    if (known?.[op] === sig) return;
    if (!verifyOwnerSignature(record.receiveKey, this.challenge, op, mailbox, Buffer.from(sig, 'base64url'))) {
      throw new Refusal('forbidden', 'no such mailbox or signature does not verify');
    }
    if (!known) {
      if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
      this.verified.set(mailbox, (known = {}));
    }
    known[op] = sig;
  }

  private dispose(): void {
    this.closed = true;
    for (const mailbox of this.subscriptions) this.deps.registry.remove(mailbox, this);
    this.subscriptions.clear();
    this.notified.clear();
    this.capHashes.clear();
    this.verified.clear();
  }
}
