/**
 * The receivers of the relay benchmark: one owner connection subscribed to every mailbox, which
 * fetches on `waiting` and acks what it fetched — batched across mailboxes (`fetch-many` /
 * `ack-many`, what a client should do) or one request per mailbox (`fetch` / `ack`, the first
 * protocol's only way, kept to show the difference).
 */
import type { RelayConnection, ReceiveKey } from '../native-protocol/relay/connection.ts';

/** A mailbox the receiver owns. */
export interface Mailbox {
  id: string;
  cap: string;
  key: ReceiveKey;
}

/** What the benchmark reads from a receiver. */
export interface Receiver {
  /** Fetch and ack frames sent so far. */
  readonly fetches: number;
  readonly acks: number;
  /** Throws the first error any fetch or ack met. */
  check(): void;
}

/** Called with a message's number (the first 4 bytes of its blob) and when it was fetched. */
export type OnMessage = (index: number, at: number) => void;

/** Seqs per ack-many frame (the relay's batch limit). */
const ACK_SEQS_PER_FRAME = 1000;
/** Requests the per-mailbox receiver keeps in flight (the relay allows 64 per connection). */
const PER_MAILBOX_IN_FLIGHT = 48;

/**
 * The owner's client, batching: subscribed to every mailbox; a `waiting` marks a mailbox dirty, and the
 * pump fetches dirty mailboxes in `fetch-many` frames (each after the last seq it saw), then acks
 * what came back in `ack-many` frames. A few frames in flight: the relay answers each after one
 * shared commit, so batching is what lets one connection keep up with many mailboxes.
 */
export class BatchReceiver implements Receiver {
  fetches = 0;
  acks = 0;
  private fetchesInFlight = 0;
  private readonly dirty = new Set<string>();
  private readonly fetching = new Set<string>();
  private readonly lastSeq = new Map<string, number>();
  private failure: Error | null = null;

  constructor(
    private readonly conn: RelayConnection,
    private readonly byId: Map<string, Mailbox>,
    private readonly framesInFlight: number,
    private readonly perFrame: number,
    private readonly onMessage: OnMessage,
  ) {
    conn.onWaiting((m) => {
      this.dirty.add(m);
      this.pump();
    });
  }

  /** Throws the first error any fetch or ack met. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  private fail(e: unknown): void {
    this.failure ??= e instanceof Error ? e : new Error(String(e));
  }

  private pump(): void {
    while (this.fetchesInFlight < this.framesInFlight) {
      const batch: Mailbox[] = [];
      for (const m of this.dirty) {
        if (batch.length >= this.perFrame) break;
        if (this.fetching.has(m)) continue;
        const mb = this.byId.get(m);
        if (!mb) return this.fail(new Error('waiting for an unknown mailbox'));
        this.dirty.delete(m);
        batch.push(mb);
      }
      if (batch.length === 0) return;
      this.fetch(batch);
    }
  }

  private fetch(batch: Mailbox[]): void {
    for (const mb of batch) this.fetching.add(mb.id);
    this.fetchesInFlight += 1;
    this.fetches += 1;
    const entries = batch.map((mb) => ({ key: mb.key, mailbox: mb.id, after: this.lastSeq.get(mb.id) ?? 0 }));
    this.conn.fetchMany(entries, { limit: 1000 }).then(
      (results) => {
        try {
          const at = performance.now();
          const acks: { key: ReceiveKey; mailbox: string; seqs: number[] }[] = [];
          results.forEach((r, i) => {
            const mb = batch[i]!;
            this.fetching.delete(mb.id);
            if (!r.ok) throw new Error(`fetch refused: ${r.code} ${r.message}`);
            for (const msg of r.messages) this.onMessage(msg.blob.readUInt32BE(0), at);
            const last = r.messages.at(-1);
            if (last) {
              this.lastSeq.set(mb.id, last.seq);
              acks.push({ key: mb.key, mailbox: mb.id, seqs: r.messages.map((x) => x.seq) });
            }
            if (r.more) this.dirty.add(mb.id);
          });
          this.fetchesInFlight -= 1;
          this.ack(acks);
          this.pump();
        } catch (e) {
          this.fail(e);
        }
      },
      (e: unknown) => this.fail(e),
    );
  }

  /** Acks in frames of at most ACK_SEQS_PER_FRAME seqs (the relay's batch limit). */
  private ack(items: { key: ReceiveKey; mailbox: string; seqs: number[] }[]): void {
    let frame: typeof items = [];
    let seqs = 0;
    const send = (): void => {
      if (frame.length === 0) return;
      this.acks += 1;
      this.conn.ackMany(frame).then((rs) => {
        const bad = rs.find((r) => !r.ok);
        if (bad) this.fail(new Error(`ack refused: ${JSON.stringify(bad)}`));
      }, (e: unknown) => this.fail(e));
      frame = [];
      seqs = 0;
    };
    for (const item of items) {
      if (seqs + item.seqs.length > ACK_SEQS_PER_FRAME) send();
      frame.push(item);
      seqs += item.seqs.length;
    }
    send();
  }
}

/**
 * The owner's client, one request per mailbox: a `waiting` marks a mailbox dirty; up to 48
 * requests in flight fetch dirty mailboxes one by one (after the last seq seen) and ack each.
 */
export class PerMailboxReceiver implements Receiver {
  fetches = 0;
  acks = 0;
  private inFlight = 0;
  private readonly dirty = new Set<string>();
  private readonly fetching = new Set<string>();
  private readonly lastSeq = new Map<string, number>();
  private failure: Error | null = null;

  constructor(
    private readonly conn: RelayConnection,
    private readonly byId: Map<string, Mailbox>,
    private readonly onMessage: OnMessage,
  ) {
    conn.onWaiting((m) => {
      this.dirty.add(m);
      this.pump();
    });
  }

  check(): void {
    if (this.failure) throw this.failure;
  }

  private fail(e: unknown): void {
    this.failure ??= e instanceof Error ? e : new Error(String(e));
  }

  private pump(): void {
    for (const m of this.dirty) {
      if (this.inFlight >= PER_MAILBOX_IN_FLIGHT) return;
      if (this.fetching.has(m)) continue;
      const mb = this.byId.get(m);
      if (!mb) return this.fail(new Error('waiting for an unknown mailbox'));
      this.dirty.delete(m);
      this.fetch(mb);
    }
  }

  private fetch(mb: Mailbox): void {
    this.fetching.add(mb.id);
    this.inFlight += 1;
    this.fetches += 1;
    this.conn.fetch(mb.key, mb.id, { after: this.lastSeq.get(mb.id) ?? 0, limit: 1000 }).then(
      ({ messages, more }) => {
        try {
          const at = performance.now();
          for (const msg of messages) this.onMessage(msg.blob.readUInt32BE(0), at);
          this.inFlight -= 1;
          this.fetching.delete(mb.id);
          const last = messages.at(-1);
          if (last) {
            this.lastSeq.set(mb.id, last.seq);
            this.ack(mb, messages.map((x) => x.seq));
          }
          if (more) this.dirty.add(mb.id);
          this.pump();
        } catch (e) {
          this.fail(e);
        }
      },
      (e: unknown) => this.fail(e),
    );
  }

  private ack(mb: Mailbox, seqs: number[]): void {
    this.inFlight += 1;
    this.acks += 1;
    this.conn.ack(mb.key, mb.id, seqs).then(
      () => {
        this.inFlight -= 1;
        this.pump();
      },
      (e: unknown) => this.fail(e),
    );
  }
}
