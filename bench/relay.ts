/**
 * Relay benchmark: durable store-and-forward on loopback against a real relay process
 * (native-protocol/relay, SQLite WAL + synchronous=FULL), with 1 000 mailboxes.
 *
 * Senders deposit 256-byte blobs (the smallest envelope bucket, SPEC §6) in batches into random
 * mailboxes; one receiver owns every mailbox, is subscribed to all of them, fetches a mailbox when
 * the relay says something is `waiting` there and acks what it fetched. Each blob carries its
 * message number, so every message's latency is measured: deposit frame sent → fetch reply read
 * (both on this process's clock).
 *
 * Two phases:
 * - saturating: every sender keeps a few deposit frames in flight; gives the most msg/s end to end;
 * - paced: deposits offered at a fixed rate (the target, 20 000 msg/s) on a timer; gives the latency
 *   at that load. A message's clock starts when its tick issued it, even if it then waited here
 *   for a free request slot, so a relay that falls behind cannot hide it (no coordinated omission).
 *
 * Baseline: the same messages through raw better-sqlite3 on the same disk and the same settings
 * (WAL, synchronous=FULL, the relay's message table): per batch one insert transaction, a select
 * per touched mailbox, one delete transaction. What the storage alone allows, without any network.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RelayConnection, generateReceiveKey } from '../native-protocol/relay/connection.ts';
import { makeDataDir, removeDir, startRelayProcess, type RelayProcess } from '../native-protocol/relay/test-support.ts';
import { BatchReceiver, PerMailboxReceiver, type Mailbox, type OnMessage, type Receiver } from './relay-receiver.ts';
import { summarise, type Summary } from './stats.ts';

export interface RelayBenchOptions {
  mailboxes: number;
  /** Messages in the saturating phase. */
  messages: number;
  /** Offered load of the paced phase, msg/s, and how long it lasts. */
  pacedRate: number;
  pacedSeconds: number;
  /** Deposit items per frame in the saturating phase (the paced phase sends what each tick makes due). */
  batch: number;
  senders: number;
  /** Deposit frames each sender keeps in flight in the saturating phase. */
  window: number;
  /** `batch`: fetch-many / ack-many across mailboxes; `per-mailbox`: one fetch and one ack per mailbox. */
  receiver: 'batch' | 'per-mailbox';
  /** Batch receiver: fetch-many frames it keeps in flight, and mailboxes per frame. */
  fetchFrames: number;
  mailboxesPerFetch: number;
  blobBytes: number;
  /** Keep the relay's data folder. */
  keep?: boolean;
  /** Node flags for the relay process, e.g. `['--cpu-prof', '--cpu-prof-dir', DIR]`. */
  relayNodeArgs?: string[];
  log?: (line: string) => void;
}

export const RELAY_BENCH_DEFAULTS: RelayBenchOptions = {
  mailboxes: 1_000,
  messages: 200_000,
  pacedRate: 20_000,
  pacedSeconds: 5,
  batch: 100,
  senders: 4,
  window: 16,
  receiver: 'batch',
  fetchFrames: 4,
  mailboxesPerFetch: 250,
  blobBytes: 256,
};

/** Figures of one phase. */
export interface RelayPhase {
  messages: number;
  seconds: number;
  /** Messages fetched by the owner per second, first deposit sent → last message fetched. */
  perSecond: number;
  /** Deposit sent → fetched, ms. */
  latency: Summary;
  depositFrames: number;
  fetches: number;
  acks: number;
  /** CPU time of the relay process over the phase, as a share of one core (%). */
  relayCpu: number;
  /** Bytes the relay process sent to the disk over the phase (Linux write_bytes), per message. */
  diskBytesPerMessage: number;
}

export interface RelayBenchResult {
  opts: RelayBenchOptions;
  saturating: RelayPhase;
  paced: RelayPhase;
  baseline: { messages: number; seconds: number; perSecond: number };
  /** Relay process RSS at the end, MB. */
  relayRssMb: number;
  dir: string;
  kept: boolean;
  wallSeconds: number;
}

/** Requests kept in flight while creating and subscribing (the relay allows 64 per connection). */
const SETUP_IN_FLIGHT = 48;
/** Requests a sender keeps in flight in the paced phase before queueing here. */
const SENDER_IN_FLIGHT = 48;
const TICK_MS = 5;
const PHASE_TIMEOUT_MS = 180_000;

/** A small deterministic PRNG (mulberry32), so runs pick the same mailboxes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/** User + system CPU time of a process in ms (Linux /proc; clock ticks are 100 Hz on every Linux we run). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Bytes a process caused to be written to storage so far (Linux /proc/PID/io), NaN where unknown. */
function diskWrites(pid: number): number {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m?.[1] ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function rssOfMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) / 1024 : Number.NaN;
}

/** Everything a phase needs: the connections, the mailboxes and the clocks of every message. */
interface Rig {
  relay: RelayProcess;
  mailboxes: Mailbox[];
  senders: RelayConnection[];
  receiver: Receiver;
  template: Buffer;
  sentAt: Float64Array;
  fetchedAt: Float64Array;
  fetchedCount: { n: number };
}

function blobFor(rig: Rig, index: number): Buffer {
  const b = Buffer.from(rig.template);
  b.writeUInt32BE(index, 0);
  return b;
}

function itemsFor(rig: Rig, first: number, count: number, pick: () => number) {
  return Array.from({ length: count }, (_, i) => {
    const mb = rig.mailboxes[Math.floor(pick() * rig.mailboxes.length)]!;
    return { mailbox: mb.id, cap: mb.cap, blob: blobFor(rig, first + i) };
  });
}

function checkResults(results: { ok: boolean }[]): void {
  const bad = results.find((r) => !r.ok);
  if (bad) throw new Error(`deposit refused: ${JSON.stringify(bad)}`);
}

/** Resolves once messages [first, first+count) were all fetched; rejects on a receiver error or timeout. */
async function allFetched(rig: Rig, target: number): Promise<void> {
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  while (rig.fetchedCount.n < target) {
    rig.receiver.check();
    if (performance.now() > deadline) throw new Error(`only ${rig.fetchedCount.n} of ${target} messages fetched in ${PHASE_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function measure(rig: Rig, first: number, count: number, run: () => Promise<number>): Promise<RelayPhase> {
  const fetches0 = rig.receiver.fetches;
  const acks0 = rig.receiver.acks;
  const cpu0 = cpuMs(rig.relay.pid);
  const disk0 = diskWrites(rig.relay.pid);
  const t0 = performance.now();
  const depositFrames = await run();
  await allFetched(rig, first + count);
  const cpu = cpuMs(rig.relay.pid) - cpu0;
  const disk = diskWrites(rig.relay.pid) - disk0;
  let start = Infinity;
  let end = 0;
  const latencies: number[] = new Array<number>(count);
  for (let i = first; i < first + count; i++) {
    const s = rig.sentAt[i]!;
    const f = rig.fetchedAt[i]!;
    start = Math.min(start, s);
    end = Math.max(end, f);
    latencies[i - first] = f - s;
  }
  const seconds = (end - start) / 1000;
  return {
    messages: count,
    seconds,
    perSecond: count / seconds,
    latency: summarise(latencies),
    depositFrames,
    fetches: rig.receiver.fetches - fetches0,
    acks: rig.receiver.acks - acks0,
    relayCpu: (cpu / (performance.now() - t0)) * 100,
    diskBytesPerMessage: disk / count,
  };
}

/** Every sender keeps `window` frames of `batch` messages in flight until `count` are sent. */
function saturating(rig: Rig, opts: RelayBenchOptions, first: number, count: number): Promise<RelayPhase> {
  return measure(rig, first, count, async () => {
    let next = first;
    let frames = 0;
    const pick = prng(1);
    const lane = async (conn: RelayConnection): Promise<void> => {
      while (next < first + count) {
        const n = Math.min(opts.batch, first + count - next);
        const start = next;
        next += n;
        const items = itemsFor(rig, start, n, pick);
        const at = performance.now();
        for (let i = start; i < start + n; i++) rig.sentAt[i] = at;
        frames += 1;
        checkResults(await conn.deposit(items));
      }
    };
    await Promise.all(rig.senders.flatMap((c) => Array.from({ length: opts.window }, () => lane(c))));
    return frames;
  });
}

/** Deposits offered at `rate` msg/s: every tick issues what is due, spread over the senders. */
function paced(rig: Rig, opts: RelayBenchOptions, first: number, count: number): Promise<RelayPhase> {
  return measure(rig, first, count, async () => {
    const pick = prng(2);
    const inFlight = rig.senders.map(() => 0);
    const queued: { items: ReturnType<typeof itemsFor> }[][] = rig.senders.map(() => []);
    let frames = 0;
    let issued = 0;
    let turn = 0;
    const failed: { error: Error | null } = { error: null };
    const failWith = (e: unknown): void => {
      failed.error ??= e instanceof Error ? e : new Error(String(e));
    };
    const sendOn = (s: number): void => {
      const conn = rig.senders[s]!;
      const q = queued[s]!;
      while (inFlight[s]! < SENDER_IN_FLIGHT && q.length > 0) {
        const { items } = q.shift()!;
        inFlight[s]! += 1;
        frames += 1;
        conn.deposit(items).then(
          (results) => {
            inFlight[s]! -= 1;
            try {
              checkResults(results);
            } catch (e) {
              failWith(e);
            }
            sendOn(s);
          },
          failWith,
        );
      }
    };
    const t0 = performance.now();
    const settled = (): boolean => inFlight.every((n) => n === 0) && queued.every((q) => q.length === 0);
    while (issued < count || !settled()) {
      if (failed.error) throw failed.error;
      const now = performance.now();
      const due = Math.min(count, Math.floor(((now - t0) / 1000) * opts.pacedRate)) - issued;
      for (let left = due; left > 0; ) {
        const n = Math.min(left, opts.batch);
        const start = first + issued;
        for (let i = start; i < start + n; i++) rig.sentAt[i] = now;
        const s = turn++ % rig.senders.length;
        queued[s]!.push({ items: itemsFor(rig, start, n, pick) });
        sendOn(s);
        issued += n;
        left -= n;
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    return frames;
  });
}

/**
 * The raw storage floor: the relay's message table (rowid = mailbox key · 2^32 + seq, an index on
 * expiry), WAL + FULL, batch insert → select per mailbox → batch delete.
 */
function baseline(dir: string, opts: RelayBenchOptions, count: number): RelayBenchResult['baseline'] {
  const file = join(dir, 'baseline.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE messages (
      msg_key INTEGER PRIMARY KEY, blob BLOB NOT NULL, received_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT;
      CREATE INDEX messages_by_expiry ON messages(expires_at)`);
    const mids = Array.from({ length: opts.mailboxes }, (_, i) => i + 1);
    const nextSeq = new Map<number, number>();
    const insert = db.prepare('INSERT INTO messages (msg_key, blob, received_at, expires_at) VALUES (? * 4294967296 + ?, ?, ?, ?)');
    const select = db.prepare<[number, number], { seq: number; blob: Buffer }>(
      'SELECT msg_key & 4294967295 AS seq, blob FROM messages WHERE msg_key > ? * 4294967296 AND msg_key <= ? * 4294967296 + 4294967295 ORDER BY msg_key',
    );
    const del = db.prepare('DELETE FROM messages WHERE msg_key = ? * 4294967296 + ?');
    const blob = randomBytes(opts.blobBytes);
    const pick = prng(3);
    const t0 = performance.now();
    let read = 0;
    for (let done = 0; done < count; done += opts.batch) {
      const n = Math.min(opts.batch, count - done);
      const touched = new Set<number>();
      db.transaction(() => {
        const now = Date.now();
        for (let i = 0; i < n; i++) {
          const m = mids[Math.floor(pick() * mids.length)]!;
          const seq = (nextSeq.get(m) ?? 0) + 1;
          nextSeq.set(m, seq);
          insert.run(m, seq, blob, now, now + 86_400_000);
          touched.add(m);
        }
      })();
      const rows = [...touched].map((m) => ({ m, seqs: select.all(m, m).map((r) => r.seq) }));
      db.transaction(() => {
        for (const { m, seqs } of rows) for (const s of seqs) read += del.run(m, s).changes;
      })();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (read !== count) throw new Error(`baseline read back ${read} of ${count}`);
    return { messages: count, seconds, perSecond: count / seconds };
  } finally {
    db.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  }
}

/** Runs both phases against a fresh relay process, and the baseline. */
export async function runRelayBenchmark(partial: Partial<RelayBenchOptions> = {}): Promise<RelayBenchResult> {
  const opts: RelayBenchOptions = { ...RELAY_BENCH_DEFAULTS, ...partial };
  const log = opts.log ?? (() => {});
  const wall = performance.now();
  const dir = makeDataDir();
  const pacedCount = Math.round(opts.pacedRate * opts.pacedSeconds);
  const conns: RelayConnection[] = [];
  let relay: RelayProcess | undefined;
  try {
    // The per-connection rate and mailbox limits protect a public relay from one client; here a
    // handful of connections stand in for thousands of clients, so they are lifted.
    relay = await startRelayProcess(join(dir, 'relay'), [
      '--rate-burst', '100000000',
      '--rate-per-second', '100000000',
      '--max-mailboxes-per-connection', String(opts.mailboxes),
      '--max-subscriptions-per-connection', String(opts.mailboxes),
    ], { nodeArgs: opts.relayNodeArgs ?? [] });
    log(`relay ${relay.url} (pid ${relay.pid}), data ${relay.dataDir}`);
    const connect = async (): Promise<RelayConnection> => {
      const c = await RelayConnection.connect(relay!.url, { timeoutMs: 60_000 });
      conns.push(c);
      return c;
    };
    const owner = await connect();
    const mailboxes: Mailbox[] = [];
    for (let i = 0; i < opts.mailboxes; i += SETUP_IN_FLIGHT) {
      const keys = Array.from({ length: Math.min(SETUP_IN_FLIGHT, opts.mailboxes - i) }, () => generateReceiveKey());
      const created = await Promise.all(keys.map((key) => owner.create(key)));
      created.forEach((c, j) => mailboxes.push({ id: c.mailbox, cap: c.cap, key: keys[j]! }));
    }
    for (let i = 0; i < mailboxes.length; i += SETUP_IN_FLIGHT) {
      await Promise.all(mailboxes.slice(i, i + SETUP_IN_FLIGHT).map((m) => owner.subscribe(m.key, m.id)));
    }
    const senders = await Promise.all(Array.from({ length: opts.senders }, () => connect()));
    const total = opts.messages + pacedCount;
    const fetchedAt = new Float64Array(total).fill(Number.NaN);
    const fetchedCount = { n: 0 };
    const onMessage: OnMessage = (index, at) => {
      if (index >= total || !Number.isNaN(fetchedAt[index]!)) throw new Error(`message ${index} fetched twice or unknown`);
      fetchedAt[index] = at;
      fetchedCount.n += 1;
    };
    const byId = new Map(mailboxes.map((m) => [m.id, m]));
    const receiver: Receiver =
      opts.receiver === 'batch'
        ? new BatchReceiver(owner, byId, opts.fetchFrames, opts.mailboxesPerFetch, onMessage)
        : new PerMailboxReceiver(owner, byId, onMessage);
    const rig: Rig = { relay, mailboxes, senders, receiver, template: randomBytes(opts.blobBytes), sentAt: new Float64Array(total), fetchedAt, fetchedCount };
    log(`${opts.mailboxes} mailboxes created and subscribed; saturating: ${opts.messages} messages, ${opts.senders} senders × ${opts.window} frames × ${opts.batch}`);
    const sat = await saturating(rig, opts, 0, opts.messages);
    log(`saturating: ${Math.round(sat.perSecond)} msg/s, p99 ${sat.latency.p99.toFixed(1)} ms; paced: ${opts.pacedRate} msg/s for ${opts.pacedSeconds} s`);
    const pac = await paced(rig, opts, opts.messages, pacedCount);
    log(`paced: ${Math.round(pac.perSecond)} msg/s, p99 ${pac.latency.p99.toFixed(1)} ms; baseline (raw SQLite)`);
    const relayRssMb = rssOfMb(relay.pid);
    const base = baseline(dir, opts, opts.messages);
    return {
      opts,
      saturating: sat,
      paced: pac,
      baseline: base,
      relayRssMb,
      dir,
      kept: !!opts.keep,
      wallSeconds: (performance.now() - wall) / 1000,
    };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
    if (relay && (await relay.stop()) !== 0) log(`relay did not stop cleanly: ${relay.stderr().slice(-500)}`);
    if (!opts.keep) removeDir(dir);
  }
}
