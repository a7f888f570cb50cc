/**
 * Email benchmark (PERFORMANCE.md: IMAP initial header sync vs raw imapflow FETCH, same Dovecot,
 * target ≥ 80 %), on one freshly filled mailbox of a real Dovecot (test/servers/mail.ts):
 *
 * - raw baselines on one imapflow connection each, timed from connect: a `UID FETCH` of the
 *   header fields the adapter asks for (`HEADER_FIELDS`, with uid, flags, size, internal date) in
 *   batches like the adapter's (250, newest first); the same as one `1:*` fetch; and the batched
 *   fetch with `source: true` added, because the adapter also downloads the bodies it shows;
 * - the adapter: a fresh one on empty state (core's SQLite `adapter_state`, as in the app),
 *   `showMailFrom: 'all'`, timed from `connect` until every message is listed (its first sync
 *   sends the newest batch whole and older mail from its headers: the figure the target is
 *   about), and until every body is filled in (`message-body` events), each acknowledged as core
 *   does once stored;
 * - IDLE delivery latency with the adapter connected and idle: hand-over (a Maildir file written,
 *   or an SMTP submission to Postfix) → the adapter's message event, one mail at a time.
 *
 * Raw and adapter runs alternate for a few rounds after an untimed warm-up (Dovecot builds its
 * index and header cache on the first fetch), so load from anything else on the machine falls on
 * both and the medians stay comparable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow, type FetchQueryObject } from 'imapflow';
import { createTransport } from 'nodemailer';
import type { Adapter, AdapterEvent } from '../adapters/contract.ts';
import { createEmailAdapter } from '../adapters/email/adapter.ts';
import { BODY_PENDING_TEXT, HEADER_FIELDS } from '../adapters/email/incoming.ts';
import { adapterStateStore } from '../core/store/adapter-state.ts';
import { openDatabase, type Db } from '../core/store/open.ts';
import { insertAccount } from '../core/store/test-fixtures.ts';
import { startMailServers, type MailAccount, type MailServers } from '../test/servers/mail.ts';
import { emailAccountConfig } from '../test/support/email-accounts.ts';
import { generateMailbox, type BenchMail } from './email-corpus.ts';
import { summarise, type Summary } from './stats.ts';

/** Messages per header fetch: the adapter's batch (adapters/email/imap/sync.ts `BATCH`). */
export const ADAPTER_BATCH = 250;
/** PERFORMANCE.md: the adapter's initial sync at least this share of the raw FETCH. */
export const EMAIL_TARGET_RATIO = 0.8;

export interface EmailBenchOptions {
  messages: number;
  /** Alternating raw/adapter rounds; default 3. */
  rounds?: number;
  /** Mails delivered one at a time per path for the IDLE latency; default 20. */
  idleMessages?: number;
  log?: (line: string) => void;
}

/** Where the adapter's sync time went (ms), by wrapping imapflow's calls the adapter makes. */
export interface AdapterPhases {
  /** `connect` → status online (TCP, greeting, login). */
  login: number;
  search: number;
  headerFetch: number;
  sourceFetch: number;
  /** Everything else: LIST, SELECT, and the adapter's own work (parse, threading, state, events). */
  rest: number;
}

export interface AdapterRound {
  /** `connect` → every message listed (the newest batch whole, older ones from their headers). */
  ms: number;
  perSecond: number;
  /** `connect` → every body filled in too (the older mail's `message-body` events). */
  fullMs: number;
  fullPerSecond: number;
  events: number;
  /** `connect` → first message event. */
  firstEventMs: number;
  phases: AdapterPhases;
}

export interface EmailBenchResult {
  messages: number;
  rounds: number;
  batch: number;
  mailbox: { bytes: number; multipart: number; replies: number; seen: number; fillPerSecond: number };
  /** The untimed warm-up: the first fetch (headers + source, `1:*`) of a freshly filled mailbox. */
  coldPerSecond: number;
  /** msg/s per round. */
  raw: { headersBatched: number[]; headersAll: number[]; headersSourceBatched: number[] };
  adapter: AdapterRound[];
  /**
   * ms from hand-over to the adapter's message event, and to a raw imapflow IDLE client's EXISTS
   * for the same mail (`…Exists`: Dovecot's own notification delay, the floor); `smtpAccepted`:
   * until Postfix accepted the submission.
   */
  idle: { maildir: Summary; maildirExists: Summary; smtp: Summary; smtpExists: Summary; smtpAccepted: Summary };
  seconds: number;
}

type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;

const perSecond = (n: number, ms: number): number => (n * 1000) / ms;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A Message-ID as the adapter reports it: no angle brackets, compared case-insensitively. */
const idKey = (id: string): string => id.replace(/^<|>$/g, '').toLowerCase();

function rawClient(servers: MailServers, user: MailAccount): ImapFlow {
  const c = new ImapFlow({ ...servers.imap, secure: false, doSTARTTLS: false, auth: { user: user.name, pass: user.password }, logger: false, disableAutoIdle: true });
  c.on('error', () => undefined);
  return c;
}

/** UID ranges of `ADAPTER_BATCH`, newest first, like the adapter's initial backlog. */
function batches(uidNext: number): string[] {
  const out: string[] = [];
  for (let hi = uidNext - 1; hi >= 1; hi -= ADAPTER_BATCH) out.push(`${Math.max(1, hi - ADAPTER_BATCH + 1)}:${hi}`);
  return out;
}

const HEADER_QUERY: FetchQueryObject = { uid: true, flags: true, size: true, internalDate: true, headers: HEADER_FIELDS };

/** One raw pass, timed from connect until the last message is parsed by imapflow; returns msg/s. */
async function rawPass(servers: MailServers, user: MailAccount, expect: number, mode: 'batched' | 'all' | 'batched+source' | 'cold'): Promise<number> {
  const t0 = performance.now();
  const c = rawClient(servers, user);
  await c.connect();
  let n = 0;
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const uidNext = c.mailbox ? c.mailbox.uidNext : 1;
      if (mode === 'all') n = (await c.fetchAll('1:*', HEADER_QUERY, { uid: true })).length;
      else if (mode === 'cold') n = (await c.fetchAll('1:*', { ...HEADER_QUERY, source: true }, { uid: true })).length;
      else {
        const query = mode === 'batched' ? HEADER_QUERY : { ...HEADER_QUERY, source: true };
        for (const range of batches(uidNext)) n += (await c.fetchAll(range, query, { uid: true })).length;
      }
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => c.close());
  }
  const ms = performance.now() - t0;
  if (n !== expect) throw new Error(`raw ${mode} fetch returned ${n} of ${expect} messages`);
  return perSecond(n, ms);
}

/**
 * Sums the time spent inside imapflow's `search` and `fetchAll` (header or source fetches) while
 * installed. The adapter's sync awaits each call before the next step, so the sums do not overlap.
 */
function instrumentImapflow(phases: AdapterPhases): () => void {
  const proto = ImapFlow.prototype;
  // Kept unbound on purpose: each wrapper applies it to the instance it is called on.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const fetchAll = proto.fetchAll;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const search = proto.search;
  proto.fetchAll = async function (this: ImapFlow, ...args: Parameters<ImapFlow['fetchAll']>) {
    const t = performance.now();
    try {
      return await fetchAll.apply(this, args);
    } finally {
      phases[args[1].source ? 'sourceFetch' : 'headerFetch'] += performance.now() - t;
    }
  };
  proto.search = async function (this: ImapFlow, ...args: Parameters<ImapFlow['search']>) {
    const t = performance.now();
    try {
      return await search.apply(this, args);
    } finally {
      phases.search += performance.now() - t;
    }
  } as ImapFlow['search'];
  return () => {
    proto.fetchAll = fetchAll;
    proto.search = search;
  };
}

/** A connected adapter and what it said, with the arrival time of each message event. */
interface LiveAdapter {
  adapter: Adapter;
  abort: AbortController;
  arrived: Map<string, number>;
  waiting: Map<string, (at: number) => void>;
  stop(): Promise<void>;
}

/** A fresh adapter on empty state, synced: connect → every message event acknowledged and progress done. */
async function adapterRound(servers: MailServers, user: MailAccount, db: Db, mails: readonly BenchMail[]): Promise<{ round: AdapterRound; live: LiveAdapter }> {
  const N = mails.length;
  const state = adapterStateStore(db, insertAccount(db, `bench${Date.now()}${Math.random()}@switchboard.test`));
  const adapter = createEmailAdapter(emailAccountConfig(servers, user, { showMailFrom: 'all' }), { state, secrets: { password: user.password } });
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const errors: string[] = [];
  let events = 0;
  /** Messages listed from their headers whose body has not come yet. */
  const pendingBodies = new Set<string>();
  let listedAt = Number.NaN;
  let onlineAt = Number.NaN;
  let firstAt = Number.NaN;
  let finish: (() => void) | null = null;
  const off = [
    adapter.on('message', (e: MessageEvent) => {
      const at = performance.now();
      if (events++ === 0) firstAt = at;
      const key = idKey(e.remoteId);
      arrived.set(key, at);
      waiting.get(key)?.(at);
      if (e.text === BODY_PENDING_TEXT) pendingBodies.add(key);
      // Confirm storage as core does, after the event is handled.
      queueMicrotask(() => adapter.messagesStored?.([e.remoteId]));
      if (events === N) listedAt = at;
      if (events >= N && pendingBodies.size === 0) finish?.();
    }),
    adapter.on('message-body', (e) => {
      pendingBodies.delete(idKey(e.remoteId));
      queueMicrotask(() => adapter.messagesStored?.([e.remoteId]));
      if (events >= N && pendingBodies.size === 0) finish?.();
    }),
    adapter.on('status', (e) => {
      if (e.status === 'online' && Number.isNaN(onlineAt)) onlineAt = performance.now();
      if (e.error) errors.push(e.error);
    }),
    adapter.on('error', (e) => errors.push(e.error)),
  ];
  const phases: AdapterPhases = { login: 0, search: 0, headerFetch: 0, sourceFetch: 0, rest: 0 };
  const restore = instrumentImapflow(phases);
  const abort = new AbortController();
  const stop = async (): Promise<void> => {
    abort.abort();
    await adapter.disconnect();
    for (const f of off) f();
  };
  const deadline = 120_000 + N * 20;
  let timer: NodeJS.Timeout | undefined;
  let t0 = 0;
  let ms = 0;
  let fullMs = 0;
  try {
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      timer = setTimeout(() => reject(new Error(`the adapter listed ${events} of ${N} messages (${pendingBodies.size} bodies still missing) in ${deadline / 1000} s; errors: ${errors.slice(0, 3).join(' | ') || 'none'}`)), deadline);
    });
    t0 = performance.now();
    await adapter.connect(abort.signal);
    await done;
    fullMs = performance.now() - t0;
    ms = listedAt - t0;
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
    restore();
  }
  const missing = mails.filter((m) => !arrived.has(idKey(m.messageId)));
  if (events !== N || missing.length > 0) {
    await stop();
    throw new Error(`the adapter emitted ${events} message events for ${N} messages; ${missing.length} never arrived (first: ${missing[0]?.messageId ?? '—'})`);
  }
  phases.login = onlineAt - t0;
  phases.rest = fullMs - phases.login - phases.search - phases.headerFetch - phases.sourceFetch;
  return {
    round: { ms, perSecond: perSecond(N, ms), fullMs, fullPerSecond: perSecond(N, fullMs), events, firstEventMs: firstAt - t0, phases },
    live: { adapter, abort, arrived, waiting, stop },
  };
}

/** Waits for the message event of `messageId` (already arrived counts); resolves its arrival time. */
function arrival(live: LiveAdapter, messageId: string, ms = 30_000): Promise<number> {
  const key = idKey(messageId);
  const at = live.arrived.get(key);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      live.waiting.delete(key);
      reject(new Error(`no message event for ${messageId} within ${ms / 1000} s`));
    }, ms);
    live.waiting.set(key, (t) => {
      clearTimeout(timer);
      live.waiting.delete(key);
      resolve(t);
    });
  });
}

function idleMail(from: string, to: string, id: string, i: number): string {
  return [
    `From: Idle Sender <${from}>`,
    `To: ${to}`,
    `Subject: IDLE probe ${i}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${id}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Probe ${i}: is this here yet?`,
    '',
  ].join('\r\n');
}

/**
 * A raw imapflow connection IDLE on INBOX beside the adapter: when Dovecot tells a client about
 * new mail at all (it batches change notifications), the floor under the adapter's latency.
 */
async function rawIdler(servers: MailServers, user: MailAccount): Promise<{ next(): Promise<number>; close(): Promise<void> }> {
  const c = new ImapFlow({ ...servers.imap, secure: false, doSTARTTLS: false, auth: { user: user.name, pass: user.password }, logger: false, autoIdleDelay: 250 });
  c.on('error', () => undefined);
  let waiter: ((at: number) => void) | null = null;
  c.on('exists', () => waiter?.(performance.now()));
  await c.connect();
  await c.mailboxOpen('INBOX');
  return {
    // Called before the hand-over; resolves at the next EXISTS.
    next: () => new Promise<number>((resolve) => (waiter = resolve)),
    close: () => c.logout().catch(() => c.close()),
  };
}

/** IDLE latency: one mail at a time, each after the adapter has been idle a moment; hand-over → event. */
async function idleLatency(servers: MailServers, user: MailAccount, sender: MailAccount, live: LiveAdapter, n: number): Promise<EmailBenchResult['idle']> {
  // Let imapflow enter IDLE (both clients' autoIdleDelay is 250 ms) before each mail, with some
  // jitter so the deliveries do not line up with anything periodic.
  const settle = () => sleep(400 + Math.floor(Math.random() * 200));
  const idler = await rawIdler(servers, user);
  const maildir: number[] = [];
  const rawExists: number[] = [];
  /** Hands one mail over, waits for the adapter's event and the raw EXISTS; returns the adapter's latency. */
  const probe = async (id: string, handOver: () => Promise<void>): Promise<number> => {
    const exists = idler.next();
    const t0 = performance.now();
    await handOver();
    const at = await arrival(live, id);
    rawExists.push((await withTimeout(exists, 30_000, `EXISTS for ${id}`)) - t0);
    return at - t0;
  };
  await settle();
  for (let i = 0; i < n; i++) {
    const id = `idle-maildir-${i}.${Date.now().toString(36)}@bench.example.org`;
    const raw = idleMail(sender.address, user.address, id, i);
    maildir.push(await probe(id, () => servers.deliverRaw(user.name, raw).then(() => undefined)));
    await settle();
  }
  const maildirExists = rawExists.splice(0);
  const transport = createTransport({ ...servers.submission, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, auth: { user: sender.name, pass: sender.password } });
  const smtp: number[] = [];
  const accepted: number[] = [];
  try {
    // One untimed mail opens the pooled SMTP connection and wakes Postfix's delivery agents.
    const warm = `idle-smtp-warm.${Date.now().toString(36)}@bench.example.org`;
    await transport.sendMail({ from: sender.address, to: user.address, subject: 'warm-up', text: 'warm-up', messageId: `<${warm}>` });
    await arrival(live, warm);
    await settle();
    for (let i = 0; i < n; i++) {
      const id = `idle-smtp-${i}.${Date.now().toString(36)}@bench.example.org`;
      smtp.push(
        await probe(id, async () => {
          const t0 = performance.now();
          await transport.sendMail({ from: sender.address, to: user.address, subject: `IDLE probe ${i}`, text: `Probe ${i}: is this here yet?`, messageId: `<${id}>` });
          accepted.push(performance.now() - t0);
        }),
      );
      await settle();
    }
  } finally {
    transport.close();
    await idler.close();
  }
  return { maildir: summarise(maildir), maildirExists: summarise(maildirExists), smtp: summarise(smtp), smtpExists: summarise(rawExists), smtpAccepted: summarise(accepted) };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${what} within ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export async function runEmailBenchmark(opts: EmailBenchOptions): Promise<EmailBenchResult> {
  const log = opts.log ?? (() => undefined);
  const rounds = opts.rounds ?? 3;
  const idleN = opts.idleMessages ?? 20;
  const started = performance.now();
  const servers = await startMailServers({ users: [{ name: 'bench', password: 'bench-pw' }, { name: 'sender', password: 'sender-pw' }] });
  const profileDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-email-'));
  let db: Db | null = null;
  let live: LiveAdapter | null = null;
  try {
    const [user, sender] = servers.users as [MailAccount, MailAccount];
    db = openDatabase(profileDir);
    const mails = generateMailbox({ messages: opts.messages, to: user.address });
    log(`email: filling the mailbox with ${mails.length.toLocaleString('en-US')} messages`);
    let t = performance.now();
    for (const m of mails) {
      const path = await servers.deliverRaw(user.name, m.raw, { seen: m.seen });
      // Maildir's internal date is the file's mtime: make it the date the mail came in.
      await utimes(path, m.date, m.date);
    }
    const fillPerSecond = perSecond(mails.length, performance.now() - t);

    // Warm-up, untimed for the comparison: Dovecot indexes the new files and caches the header
    // fields on the first fetch. Sent exists beforehand so every adapter round finds the same folders.
    t = performance.now();
    const coldPerSecond = await rawPass(servers, user, mails.length, 'cold');
    const c = rawClient(servers, user);
    await c.connect();
    await c.mailboxCreate('Sent').catch(() => undefined);
    await c.logout();
    log(`email: cold first fetch ${Math.round(coldPerSecond)} msg/s; ${rounds} alternating raw/adapter rounds`);

    const raw: EmailBenchResult['raw'] = { headersBatched: [], headersAll: [], headersSourceBatched: [] };
    const adapter: AdapterRound[] = [];
    for (let r = 0; r < rounds; r++) {
      raw.headersBatched.push(await rawPass(servers, user, mails.length, 'batched'));
      raw.headersAll.push(await rawPass(servers, user, mails.length, 'all'));
      raw.headersSourceBatched.push(await rawPass(servers, user, mails.length, 'batched+source'));
      const res = await adapterRound(servers, user, db, mails);
      adapter.push(res.round);
      log(
        `email round ${r + 1}: raw headers ${Math.round(raw.headersBatched[r]!)}/s (1:* ${Math.round(raw.headersAll[r]!)}/s, +source ${Math.round(raw.headersSourceBatched[r]!)}/s), adapter ${Math.round(res.round.perSecond)}/s`,
      );
      // The last round's adapter stays connected for the IDLE measurement.
      if (r < rounds - 1) {
        await res.live.stop();
      }
      else live = res.live;
    }
    if (!live) throw new Error('no adapter round ran');
    log(`email: IDLE latency, ${idleN} mails per path`);
    const idle = await idleLatency(servers, user, sender, live, idleN);
    const bytes = mails.reduce((s, m) => s + m.raw.length, 0);
    return {
      messages: mails.length,
      rounds,
      batch: ADAPTER_BATCH,
      mailbox: {
        bytes,
        multipart: mails.filter((m) => m.raw.includes('multipart/alternative')).length,
        replies: mails.filter((m) => m.raw.includes('\r\nIn-Reply-To:')).length,
        seen: mails.filter((m) => m.seen).length,
        fillPerSecond,
      },
      coldPerSecond,
      raw,
      adapter,
      idle,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await live?.stop().catch(() => undefined);
    db?.close();
    rmSync(profileDir, { recursive: true, force: true });
    await servers.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.SWITCHBOARD_LOG ??= 'warn';
  const quick = process.argv.includes('--quick');
  const { formatEmailReport } = await import('./email-report.ts');
  await runEmailBenchmark({ messages: quick ? 1_000 : 10_000, log: (l) => console.log(`  ${l}`) })
    .then((r) => console.log(formatEmailReport(r)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
