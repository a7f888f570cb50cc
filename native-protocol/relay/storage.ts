/**
 * Where a relay keeps mailboxes and messages. Async so a networked backend (PostgreSQL) fits the
 * same shape; each batch method must be one transaction: all of it is durable when it resolves.
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

export interface RelayStorage {
  createMailbox(m: MailboxRecord, now: number): Promise<void>;
  getMailbox(id: string): Promise<MailboxRecord | null>;
  /** Stores the items that pass the capability and quota checks, in one transaction. */
  deposit(items: DepositRequest[], policy: DepositPolicy): Promise<DepositOutcome[]>;
  /** Unexpired messages with seq > after, oldest first, at most `limit` and about `maxBytes`. */
  fetch(mailbox: string, after: number, limit: number, maxBytes: number, now: number): Promise<{ messages: StoredMessage[]; more: boolean }>;
  /** Deletes the given seqs of one mailbox in one transaction; returns how many existed. */
  ack(mailbox: string, seqs: number[]): Promise<number>;
  /** Number of unexpired messages waiting. */
  pending(mailbox: string, now: number): Promise<number>;
  /** Deletes a mailbox and all its messages; false if there was none. */
  deleteMailbox(id: string): Promise<boolean>;
  /** Deletes every message whose TTL has passed; returns how many. */
  purgeExpired(now: number): Promise<number>;
  close(): Promise<void>;
}
