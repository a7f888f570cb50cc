/**
 * The email adapter's durable bookkeeping in core's per-account key-value store: sync cursors per
 * mailbox, whom the user has written to, thread state for replies, where each message lives (for
 * attachments), and the send journal that makes sending idempotent.
 */
import type { AdapterStateStore, StateWrite } from '../contract.ts';

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

/** Typed access to the store; `batch` collects writes so a whole fetched batch commits at once. */
export class MailState {
  private pending: StateWrite[] = [];

  constructor(private readonly store: AdapterStateStore) {}

  private json<T>(ns: string, key: string): T | null {
    const v = this.store.get(ns, key);
    if (!v) return null;
    try {
      return JSON.parse(dec.decode(v)) as T;
    } catch {
      return null;
    }
  }
  private put(ns: string, key: string, value: unknown): void {
    this.pending.push({ ns, key, value: value === null ? null : enc.encode(JSON.stringify(value)) });
  }
  /** Writes everything collected since the last flush, atomically. */
  flush(): void {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    this.pending = [];
    this.store.write(ops);
  }

  cursor(mailbox: string): MailboxCursor | null {
    return this.json<MailboxCursor>(NS.cursor, mailbox);
  }
  setCursor(mailbox: string, c: MailboxCursor): void {
    this.put(NS.cursor, mailbox, c);
  }

  /** The user wrote to this address, or accepted mail from it. */
  isKnown(address: string): boolean {
    return this.store.get(NS.known, address.toLowerCase()) !== undefined;
  }
  addKnown(address: string): void {
    if (!this.isKnown(address)) this.put(NS.known, address.toLowerCase(), 1);
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
    const v = this.store.get(NS.root, messageId);
    return v ? dec.decode(v) : null;
  }
  setRoot(messageId: string, root: string): void {
    this.pending.push({ ns: NS.root, key: messageId, value: enc.encode(root) });
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
    const v = this.store.get(NS.sentId, messageId);
    return v ? dec.decode(v) : null;
  }
  /** Client ids of mail submitted but not yet stored in Sent. */
  pendingSent(): string[] {
    return this.store
      .list(NS.raw)
      .map(([clientId]) => clientId)
      .filter((id) => this.sent(id)?.stage === 'sent');
  }
  rawOf(clientId: string): Uint8Array | null {
    return this.store.get(NS.raw, clientId) ?? null;
  }
  /** Records a composed mail (its bytes too, so a retry sends exactly the same message). */
  composed(clientId: string, rec: SentRecord, raw: Uint8Array): void {
    this.put(NS.sent, clientId, rec);
    this.pending.push({ ns: NS.raw, key: clientId, value: raw });
    this.pending.push({ ns: NS.sentId, key: rec.messageId, value: enc.encode(clientId) });
    this.flush();
  }
  advanceSent(clientId: string, rec: SentRecord): void {
    this.put(NS.sent, clientId, rec);
    // Once stored in Sent the server has the bytes; keep only the record.
    if (rec.stage === 'stored') this.pending.push({ ns: NS.raw, key: clientId, value: null });
    this.flush();
  }
}
