/**
 * Where a relay keeps mailboxes and messages. Async so a networked backend (PostgreSQL) fits the
 * same shape. Each method is atomic (a batch is all or nothing), and its effects are seen by every
 * call made after it resolves. Durability is separate: a write is on disk once a `durable()`
 * called after it has resolved. The relay holds every reply until then, so a backend may share
 * one commit (one fsync) among the writes of many requests; one that commits in each method
 * simply resolves `durable()` at once.
 */

/** A registered mailbox: the owner's raw Ed25519 public key and the SHA-256 of the send capability. */
export interface MailboxRecord {
  id: string;
  receiveKey: Buffer;
  capHash: Buffer;
}

/** One message to store; `capHash` is the SHA-256 of the capability the sender presented. */
export interface DepositRequest {
  mailbox: string;
  capHash: Buffer;
  blob: Buffer;
}

/** The outcome of one deposit item, in batch order. */
export type DepositOutcome = { ok: true } | { ok: false; code: 'forbidden' | 'quota-exceeded' };

/** A stored message as the owner fetches it. `receivedAt` is ms since the epoch. */
export interface StoredMessage {
  seq: number;
  blob: Buffer;
  receivedAt: number;
}

/** Per-batch policy the storage enforces inside its transaction. */
export interface DepositPolicy {
  now: number;
  ttlMs: number;
  quotaCount: number;
  quotaBytes: number;
}

/** A relay's storage backend. Mailbox and message semantics: README.md in this folder. */
export interface RelayStorage {
  createMailbox(m: MailboxRecord, now: number): Promise<void>;
  getMailbox(id: string): Promise<MailboxRecord | null>;
  /** `getMailbox` for several ids at once, in order. */
  getMailboxes(ids: string[]): Promise<(MailboxRecord | null)[]>;
  /** Stores the items that pass the capability and quota checks, in one transaction. */
  deposit(items: DepositRequest[], policy: DepositPolicy): Promise<DepositOutcome[]>;
  /** Unexpired messages with seq > after, oldest first, at most `limit` and about `maxBytes`. */
  fetch(mailbox: string, after: number, limit: number, maxBytes: number, now: number): Promise<{ messages: StoredMessage[]; more: boolean }>;
  /**
   * `fetch` for several mailboxes, in order, sharing one byte budget: each entry gets what is left
   * of `maxBytes` (at least one message while any is left); once it is spent, an entry returns no
   * messages and `more` says whether it has any.
   */
  fetchMany(entries: { mailbox: string; after: number }[], limit: number, maxBytes: number, now: number): Promise<{ messages: StoredMessage[]; more: boolean }[]>;
  /** Deletes the given seqs of one mailbox in one transaction; returns how many existed. */
  ack(mailbox: string, seqs: number[]): Promise<number>;
  /** `ack` for several mailboxes in one transaction; how many existed, per entry in order. */
  ackMany(items: { mailbox: string; seqs: number[] }[]): Promise<number[]>;
  /** Number of unexpired messages waiting. */
  pending(mailbox: string, now: number): Promise<number>;
  /** Sets or replaces the mailbox's one bundle blob; false if there is no such mailbox. */
  putBundle(mailbox: string, blob: Buffer, now: number): Promise<boolean>;
  /**
   * The mailbox's bundle blob if `capHash` is the hash of its send capability; null for a wrong
   * capability, no such mailbox or no bundle alike (the caller answers all three the same way).
   */
  peekBundle(mailbox: string, capHash: Buffer): Promise<Buffer | null>;
  /** Deletes a mailbox, its bundle and all its messages; false if there was none. */
  deleteMailbox(id: string): Promise<boolean>;
  /** Deletes every message whose TTL has passed; returns how many (durably). */
  purgeExpired(now: number): Promise<number>;
  /**
   * Resolves once every write made so far is durable; rejects if one of them was lost (its
   * transaction failed to commit): replies that depend on it must then report `internal`.
   */
  durable(): Promise<void>;
  close(): Promise<void>;
}
