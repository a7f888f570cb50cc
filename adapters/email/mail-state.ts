/**
 * The email adapter's durable bookkeeping in core's per-account key-value store: sync cursors per
 * mailbox, whom the user has written to, thread state for replies, where each message lives (for
 * attachments), and the send journal that makes sending idempotent.
 */
import type { AdapterStateStore, StateWrite } from '../contract.ts';
import { LruCache } from './lru-cache.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Where a mailbox's sync stands. */
export interface MailboxCursor {
  uidValidity: string;
  /** Every message with a UID up to this one has been handed to core (or is in the initial backlog below). */
  lastUid: number;
  /** The initial sync goes newest first: UIDs below this (within the window) are still to do; 0 when done. */
  initialBelow: number;
  /**
   * The first sync stores older mail from its headers and fills in the bodies afterwards: UIDs
   * below this (within the window) still need theirs; 0 when none do.
   */
  bodiesBelow?: number | undefined;
  /** The first sync reaches back to this time (ms). */
  windowStart: number;
  /** CONDSTORE: the mailbox's HIGHESTMODSEQ when it was last in step; null without CONDSTORE. */
  highestModseq: string | null;
}

/** What a reply to a peer or a thread needs: the subject and the ids to thread it under. */
export interface ThreadState {
  subject: string;
  lastMessageId: string;
  /** The References chain to send (bounded: the root and the latest few). */
  references: string[];
  /** The latest message of the thread was encrypted (Autocrypt: answer encrypted mail encrypted). */
  encrypted: boolean;
  /** The newest message's date, so an older one arriving late does not move the thread back. */
  at: number;
}

/** A multi-recipient thread (a group conversation). */
export interface RoomState extends ThreadState {
  /** Everyone in the thread but this account (lowercased addresses). */
  participants: string[];
  title: string;
}

/** Where a message lives on the server. */
export interface MessageLocation {
  mailbox: string;
  uidValidity: string;
  uid: number;
}

/** A send in progress or done, by client id. */
export interface SentRecord {
  messageId: string;
  stage: 'composed' | 'sent' | 'stored';
  sentAt: number;
  encrypted: boolean;
}

const NS = {
  cursor: 'email-cursor',
  known: 'email-known',
  peer: 'email-peer',
  room: 'email-room',
  root: 'email-root',
  where: 'email-where',
  sent: 'email-sent',
  raw: 'email-sent-raw',
  sentId: 'email-sent-id',
} as const;

/**
 * How many entries of each namespace stay in memory (the least recently used are forgotten and
 * read from the store again when needed). Thread roots grow with the mailbox: 20 000 of them
 * (a Message-ID and its root, ≈ 250 bytes each) is ≈ 5 MB; rooms carry participant lists, so
 * fewer. Message locations and sent bytes are written for every message or are large and read
 * rarely: not kept. Worst case ≈ 10 MB in all.
 */
const CAPACITY: Record<string, number> = {
  [NS.cursor]: 1_000,
  [NS.known]: 10_000,
  [NS.peer]: 5_000,
  [NS.room]: 2_000,
  [NS.root]: 20_000,
  [NS.where]: 0,
  [NS.sent]: 500,
  [NS.raw]: 0,
  [NS.sentId]: 5_000,
};

/** A value as MailState reads it: decoded JSON, text, bytes, `true` for a known address; null when there is none. */
type Cached = object | string | boolean | null;

/**
 * Typed access to the store; writes are collected until `flush`, so a whole fetched batch commits
 * at once. Reads come from memory where they can: the adapter is the only writer of these
 * namespaces while it runs, so what it read or wrote stays true (bounded per namespace, see
 * CAPACITY). A value written but not yet flushed is what a read returns, before the store has it.
 * Values read are frozen and shared: build a new one to change it.
 */
export class MailState {
  private pending: StateWrite[] = [];
  /** Values written since the last flush, by namespace and key (null: deleted). Reads see these first. */
  private unflushed = new Map<string, Map<string, Cached>>();
  /** Writes staged by others (`stage`), told how the flush that carried them went. */
  private settlers: ((committed: boolean) => void)[] = [];
  private readonly caches = new Map<string, LruCache<Cached>>();

  constructor(private readonly store: AdapterStateStore) {}

  private cache(ns: string): LruCache<Cached> {
    let c = this.caches.get(ns);
    if (!c) this.caches.set(ns, (c = new LruCache<Cached>(CAPACITY[ns] ?? 0)));
    return c;
  }
  private read<T extends Cached>(ns: string, key: string, decode: (bytes: Uint8Array) => T | null): T | null {
    const staged = this.unflushed.get(ns);
    if (staged?.has(key)) return staged.get(key) as T | null;
    const cache = this.cache(ns);
    const hit = cache.get(key);
    if (hit !== undefined) return hit as T | null;
    const bytes = this.store.get(ns, key);
    const value = bytes === undefined ? null : decode(bytes);
    cache.set(key, value);
    return value;
  }
  private json<T extends object>(ns: string, key: string): T | null {
    return this.read(ns, key, (v) => {
      try {
        return frozen(JSON.parse(dec.decode(v)) as T);
      } catch {
        return null;
      }
    });
  }
  private write(ns: string, key: string, bytes: Uint8Array | null, value: Cached): void {
    this.pending.push({ ns, key, value: bytes });
    let staged = this.unflushed.get(ns);
    if (!staged) this.unflushed.set(ns, (staged = new Map<string, Cached>()));
    staged.set(key, value);
  }
  private put(ns: string, key: string, value: unknown): void {
    if (value === null) return this.write(ns, key, null, null);
    const json = JSON.stringify(value);
    // What a read from the store would give (JSON drops undefined, turns NaN into null), not the caller's object.
    this.write(ns, key, enc.encode(json), frozen(JSON.parse(json) as object));
  }
  /** Writes everything collected since the last flush, atomically. When that fails, nothing of it is kept (in memory either). */
  flush(): void {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    const staged = this.unflushed;
    const settlers = this.settlers;
    this.pending = [];
    this.unflushed = new Map<string, Map<string, Cached>>();
    this.settlers = [];
    try {
      this.store.write(ops);
    } catch (e) {
      for (const settled of settlers) settled(false);
      throw e;
    }
    for (const [ns, values] of staged) {
      const cache = this.cache(ns);
      for (const [key, value] of values) cache.set(key, value);
    }
    for (const settled of settlers) settled(true);
  }
  /**
   * Joins writes of another part of the adapter (Autocrypt peer state) to the next flush, so they
   * commit in the same transaction as the batch; `settled` is told whether that flush stored them.
   * Reads here do not see them: their owner keeps its own copy.
   */
  stage(ops: readonly StateWrite[], settled: (committed: boolean) => void): void {
    if (ops.length === 0) return settled(true);
    this.pending.push(...ops);
    this.settlers.push(settled);
  }

  cursor(mailbox: string): MailboxCursor | null {
    return this.json<MailboxCursor>(NS.cursor, mailbox);
  }
  setCursor(mailbox: string, c: MailboxCursor): void {
    this.put(NS.cursor, mailbox, c);
  }

  /** The user wrote to this address, or accepted mail from it. */
  isKnown(address: string): boolean {
    return this.read(NS.known, address.toLowerCase(), () => true) !== null;
  }
  addKnown(address: string): void {
    if (!this.isKnown(address)) this.write(NS.known, address.toLowerCase(), enc.encode('1'), true);
  }

  peer(address: string): ThreadState | null {
    return this.json<ThreadState>(NS.peer, address.toLowerCase());
  }
  setPeer(address: string, t: ThreadState): void {
    this.put(NS.peer, address.toLowerCase(), t);
  }
  room(root: string): RoomState | null {
    return this.json<RoomState>(NS.room, root);
  }
  setRoom(root: string, r: RoomState): void {
    this.put(NS.room, root, r);
  }
  /** The thread root a message id belongs to, when known. */
  rootOf(messageId: string): string | null {
    return this.read(NS.root, messageId, (v) => dec.decode(v));
  }
  setRoot(messageId: string, root: string): void {
    this.write(NS.root, messageId, enc.encode(root), root);
  }

  where(remoteId: string): MessageLocation | null {
    return this.json<MessageLocation>(NS.where, remoteId);
  }
  setWhere(remoteId: string, loc: MessageLocation): void {
    this.put(NS.where, remoteId, loc);
  }

  sent(clientId: string): SentRecord | null {
    return this.json<SentRecord>(NS.sent, clientId);
  }
  /** The client id a Message-ID of ours was sent under (to join the echo from Sent to its outbox row). */
  clientIdOf(messageId: string): string | null {
    return this.read(NS.sentId, messageId, (v) => dec.decode(v));
  }
  /** Client ids of mail submitted but not yet stored in Sent. */
  pendingSent(): string[] {
    return this.store
      .list(NS.raw)
      .map(([clientId]) => clientId)
      .filter((id) => this.sent(id)?.stage === 'sent');
  }
  rawOf(clientId: string): Uint8Array | null {
    return this.read(NS.raw, clientId, (v) => v);
  }
  /** Records a composed mail (its bytes too, so a retry sends exactly the same message). */
  composed(clientId: string, rec: SentRecord, raw: Uint8Array): void {
    this.put(NS.sent, clientId, rec);
    this.write(NS.raw, clientId, raw, raw);
    this.write(NS.sentId, rec.messageId, enc.encode(clientId), clientId);
    this.flush();
  }
  advanceSent(clientId: string, rec: SentRecord): void {
    this.put(NS.sent, clientId, rec);
    // Once stored in Sent the server has the bytes; keep only the record.
    if (rec.stage === 'stored') this.write(NS.raw, clientId, null, null);
    this.flush();
  }
}

/** Freezes a decoded JSON value and everything in it: cached values are shared between reads. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) frozen(v);
  }
  return value;
}
