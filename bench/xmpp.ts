/**
 * XMPP benchmark, against a real Prosody (test/servers/prosody.ts: Debian's 0.12, loopback,
 * STARTTLS), with the XMPP adapter running inside a real core (an `AdapterRegistry` with 'xmpp' →
 * `createXmppAdapter`, the account added through the api like the app does), so "stored" means a
 * row in the profile's SQLite `messages` table, announced by core's `message.added` event, with
 * core acknowledging each batch to the adapter (`messagesStored`):
 *
 * - burst receive: the account online and idle, another user (a raw xmpp.js client) sends N chat
 *   messages as fast as the server takes them; msg/s from the first send until every one is stored.
 *   Baseline: a raw xmpp.js client of another account receiving the same burst (parsed, not stored);
 * - archive catch-up: an account that had a first session (so the adapter keeps an archive
 *   position), offline while N messages come in, then connects; msg/s from connect until all N
 *   are stored. Prosody holds them twice — in offline storage (delivered right after the initial
 *   presence, mod_offline) and in the archive (MAM) — and the adapter reads both, one copy each
 *   (dedupe by stanza-id): the figure is what a user waits for, whichever copy comes first.
 *   Baselines: a raw MAM query (urn:xmpp:mam:2, pages of the adapter's page size, no presence so
 *   nothing comes from offline storage) fetching the same N, and a raw client's offline delivery.
 *
 * Every account is a fresh user (Prosody's internal storage caps each archive, see
 * `PROSODY_ARCHIVE_LIMIT`), and one profile per round. The sender's own archiving is turned off
 * (MAM prefs `never`): a burst from a remote server is archived once, for the recipient. Sender
 * and receivers share this process (and its event loop); Prosody runs as its own process. Raw
 * and adapter runs alternate for a few rounds, so load from anything else falls on both.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { AdapterRegistry } from '../adapters/registry.ts';
import { createXmppAdapter } from '../adapters/xmpp/adapter.ts';
import { MAM_PAGE } from '../adapters/xmpp/mam.ts';
import { fixStreamManagementCount } from '../adapters/xmpp/sm-count.ts';
import { tlsOptionsFor } from '../adapters/xmpp/tls-trust.ts';
import { createCore, type CoreInternals } from '../core/create-core.ts';
import type { AccountRow } from '../core/store/rows.ts';
import { startProsody, type TestProsody, type XmppAccount, type XmppUser } from '../test/servers/prosody.ts';
import { xmppAccountConfig, XmppPeer } from '../test/support/xmpp-accounts.ts';
import { cpuNow } from './stats.ts';

/**
 * Items one archive (and one offline store) holds in Prosody 0.12's internal storage
 * (`storage_archive_item_limit`, not set by test/servers/prosody.ts). Past it the server drops
 * the oldest 1 % of the archive on each new message — the catch-up's starting point with them —
 * so the catch-up phase sends at most this many minus the first session's one message.
 */
export const PROSODY_ARCHIVE_LIMIT = 10_000;

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_HINTS = 'urn:xmpp:hints';
const NS_PING = 'urn:xmpp:ping';
/** Sends pipelined per chunk (each chunk's writes awaited before the next is queued). */
const SEND_CHUNK = 500;
/** After the last message is stored: how long nothing more may arrive before a phase counts as settled. */
const QUIET_MS = 1_000;
/** Bytes of the server's log read at a time. */
const LOG_SLICE = 8 << 20;

export interface XmppBenchOptions {
  messages: number;
  /** Alternating raw/adapter rounds; default 3. */
  rounds?: number;
  log?: (line: string) => void;
}

export interface Delivery {
  /** Start (first send, or connect) → the last of the N received (raw) or stored (adapter). */
  ms: number;
  perSecond: number;
  /** Start → the first one. */
  firstMs: number;
  /** Distinct messages of the N that arrived (raw) or were stored (adapter), once settled. */
  received: number;
  /** Copies beyond the first (raw: stanzas; adapter: rows in `messages`, or `message.added` events). */
  duplicates: number;
  /** CPU time over the wall time from start to the last one: Prosody's process, and this one (sender, receiver, core). */
  serverCpu: number;
  clientCpu: number;
}

export interface BurstRound extends Delivery {
  /** First send → the server answered a ping sent after the last message: it had routed all N. */
  serverMs: number;
}

export interface RawMamRound extends Delivery {
  pages: number;
  /** The most results one page brought (the server may cap the page size asked for). */
  largestPage: number;
}

export interface AdapterCatchUp extends Delivery {
  /** Whether the adapter kept an archive position after its first session (adapter_state). */
  positionStored: boolean;
  /** The adapter's archive queries this session and the results they brought (Prosody's log). */
  archiveQueries: number;
  archiveItems: number;
  /** connect → the last archive query answered, as seen in the server's log (±0.1 s); NaN when none. */
  archiveDoneMs: number;
  /** The next reconnect, with nothing new waiting: its archive queries, and rows it added (should be 0). */
  reconnect: { archiveQueries: number; archiveItems: number; archiveDoneMs: number; newRows: number };
}

export interface XmppBenchResult {
  messages: number;
  /** Messages of the catch-up phase (`messages`, capped by `PROSODY_ARCHIVE_LIMIT` - 1). */
  mamMessages: number;
  rounds: number;
  /** The adapter's MAM page size (adapters/xmpp/mam.ts), asked for by the raw query too. */
  page: number;
  burst: { raw: BurstRound[]; adapter: BurstRound[] };
  mam: { raw: RawMamRound[]; offline: Delivery[]; adapter: AdapterCatchUp[] };
  /** What Prosody's log says went wrong or was throttled in the whole run. */
  server: { quotaHits: number; archiveFailures: number; bouncesToSender: number; logBytes: number };
  seconds: number;
}

const perSecond = (n: number, ms: number): number => (n * 1000) / ms;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A chat text of about 100 B, unique in the run. */
const text = (tag: string, i: number): string => `${tag} #${i}: the quick brown fox jumps over the lazy dog, and the benchmark counts it once.`;
const texts = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => text(tag, i));

/** A plain xmpp.js client for `user`, trusting the test server's certificate, with the stream management fix. */
function rawClient(server: TestProsody, user: XmppAccount, resource: string): Client {
  const c = xmppClient({ service: `xmpp://${server.host}:${server.port}`, domain: server.domain, username: user.name, password: user.password, resource });
  tlsOptionsFor(c as never, { ca: [server.certificate], servername: server.domain });
  fixStreamManagementCount(c);
  c.on('error', () => undefined);
  return c;
}

async function stopClient(c: Client): Promise<void> {
  c.reconnect.stop();
  await c.stop().catch(() => undefined);
}

/** Counts arrivals of the expected texts: distinct ones, copies, first and last-of-all times. */
class Arrivals {
  private readonly want: Set<string>;
  private readonly got = new Set<string>();
  duplicates = 0;
  firstAt = Number.NaN;
  allAt = Number.NaN;
  private t0 = Number.NaN;
  private pid: number | null = null;
  private cpu0 = { server: Number.NaN, client: Number.NaN };
  private cpu1 = { server: Number.NaN, client: Number.NaN };
  private resolve: (() => void) | null = null;

  constructor(expected: readonly string[]) {
    this.want = new Set(expected);
  }

  get count(): number {
    return this.got.size;
  }

  note(body: string | null | undefined): void {
    if (body === null || body === undefined || !this.want.has(body)) return;
    if (this.got.has(body)) {
      this.duplicates++;
      return;
    }
    const at = performance.now();
    if (this.got.size === 0) this.firstAt = at;
    this.got.add(body);
    if (this.got.size === this.want.size) {
      this.allAt = at;
      this.cpu1 = cpuNow(this.pid);
      this.resolve?.();
    }
  }

  /** Starts the clock (and the CPU meters, Prosody's by `pid`); returns the start time. */
  start(pid: number | null): number {
    this.pid = pid;
    this.cpu0 = cpuNow(pid);
    this.t0 = performance.now();
    return this.t0;
  }

  /** Resolves when every expected text arrived; rejects after `ms` saying how many did. */
  all(ms: number, what: string): Promise<void> {
    if (this.got.size === this.want.size) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${what}: ${this.got.size} of ${this.want.size} messages within ${ms / 1000} s`)), ms);
      this.resolve = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  delivery(): Delivery {
    const ms = this.allAt - this.t0;
    return {
      ms,
      perSecond: perSecond(this.want.size, ms),
      firstMs: this.firstAt - this.t0,
      received: this.got.size,
      duplicates: this.duplicates,
      serverCpu: (this.cpu1.server - this.cpu0.server) / ms,
      clientCpu: (this.cpu1.client - this.cpu0.client) / ms,
    };
  }
}

/** Deadline for N messages to arrive: generous, the run fails rather than hangs. */
const deadline = (n: number): number => 60_000 + n * 10;

/**
 * Sends each text as a chat message to `to`, pipelined in chunks, then pings the server: Prosody
 * handles one stream's stanzas in order, so the answer means every message was routed (stored or
 * delivered). Resolves the time of that answer.
 */
async function sendAll(sender: XmppPeer, to: string, bodies: readonly string[], idTag: string): Promise<number> {
  const domain = to.slice(to.indexOf('@') + 1);
  for (let off = 0; off < bodies.length; off += SEND_CHUNK) {
    const chunk = bodies.slice(off, off + SEND_CHUNK);
    await Promise.all(chunk.map((b, i) => sender.client.send(xml('message', { type: 'chat', to, id: `${idTag}-${off + i}` }, xml('body', {}, b)))));
  }
  await sender.client.iqCaller.get(xml('ping', { xmlns: NS_PING }), domain, 120_000);
  return performance.now();
}

/** One message that is never archived (a `no-store` hint): a warm-up that leaves the archive as it was. */
function sendUnarchived(sender: XmppPeer, to: string, body: string, id: string): Promise<void> {
  return sender.client.send(xml('message', { type: 'chat', to, id }, xml('body', {}, body), xml('no-store', { xmlns: NS_HINTS })));
}

/** Reads what Prosody appended to its log since the last call (its log is at debug level). */
class ServerLog {
  offset = 0;
  quotaHits = 0;
  archiveFailures = 0;
  constructor(private readonly path: string) {}

  /** New complete lines (read in slices: the log grows by hundreds of bytes a stanza). */
  read(): string[] {
    const fd = openSync(this.path, 'r');
    const out: string[] = [];
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(LOG_SLICE, Math.max(0, size - this.offset)));
      while (this.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
        const end = n > 0 ? buf.lastIndexOf(10, n - 1) : -1;
        if (end < 0) break; // A line still being written.
        for (const l of buf.toString('utf8', 0, end).split('\n')) {
          if (l.includes('over quota')) this.quotaHits++;
          if (l.includes('Could not archive stanza')) this.archiveFailures++;
          if (l.includes('Archive query')) out.push(l);
        }
        this.offset += end + 1;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

/** The archive queries of one user in log lines: ids asked by that user, and the items each completed one returned. */
class ArchiveQueries {
  private readonly ids = new Set<string>();
  queries = 0;
  items = 0;
  lastAt = Number.NaN;
  constructor(private readonly user: string) {}

  scan(lines: readonly string[], at: number): boolean {
    let seen = false;
    for (const l of lines) {
      const asked = /\sArchive query by (\S+) id=(\S+)\s/.exec(l);
      if (asked && asked[1] === this.user) {
        this.ids.add(asked[2]!);
        this.queries++;
        seen = true;
        continue;
      }
      const done = /\sArchive query id=(\S+) (?:completed, (\d+) items returned|failed)/.exec(l);
      if (done && this.ids.has(done[1]!)) {
        this.items += Number(done[2] ?? 0);
        this.lastAt = at;
        seen = true;
      }
    }
    return seen;
  }
}

/** One round's profile: a real core with the XMPP adapter registered, listening like the app's window does. */
interface Profile {
  core: CoreInternals;
  dir: string;
  /** Arrivals being watched (by `message.added`); set per phase. */
  watch: Arrivals | null;
}

async function openProfile(): Promise<Profile> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-xmpp-'));
  const core = createCore({ profileDir: dir, registry: new AdapterRegistry().register('xmpp', createXmppAdapter) });
  await core.start();
  const p: Profile = { core, dir, watch: null };
  core.onEvent((e) => {
    if (e.type === 'message.added') p.watch?.note(e.message.text);
  });
  return p;
}

async function closeProfile(p: Profile): Promise<void> {
  await p.core.close();
  rmSync(p.dir, { recursive: true, force: true });
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Adds the account to the profile (the app's `accounts.add`) and waits until it is online. */
async function addAccount(p: Profile, server: TestProsody, user: XmppAccount): Promise<string> {
  const account = await p.core.call('accounts.add', {
    protocol: 'xmpp',
    address: user.jid,
    displayName: user.name,
    settings: xmppAccountConfig(server, user).settings,
    secrets: { password: user.password },
  });
  await waitFor(() => p.core.ctx.accounts.isAvailable(account.id), 20_000, `${user.jid} online`);
  return account.id;
}

/** Rows in `messages` for the account holding one of `bodies`: all of them, and how many distinct bodies they hold. */
function storedRows(p: Profile, accountId: string, bodies: readonly string[]): { rows: number; distinct: number } {
  const db = p.core.ctx.db;
  db.exec('CREATE TEMP TABLE IF NOT EXISTS bench_bodies (body TEXT PRIMARY KEY)');
  db.exec('DELETE FROM bench_bodies');
  const put = db.prepare('INSERT OR IGNORE INTO bench_bodies (body) VALUES (?)');
  db.transaction(() => {
    for (const b of bodies) put.run(b);
  })();
  const r = db
    .prepare('SELECT count(*) AS rows, count(DISTINCT m.body) AS distinct_ FROM messages m JOIN bench_bodies b ON b.body = m.body WHERE m.account_id = ?')
    .get(accountId) as { rows: number; distinct_: number };
  return { rows: r.rows, distinct: r.distinct_ };
}

/** Waits until nothing new is stored (and ingest is idle) for `QUIET_MS`; `busy` may report other activity. */
async function settle(p: Profile, accountId: string, busy: () => boolean = () => false, maxMs = 30_000): Promise<void> {
  const count = p.core.ctx.db.prepare('SELECT count(*) FROM messages WHERE account_id = ?').pluck();
  let last = count.get(accountId) as number;
  let quietSince = performance.now();
  const end = performance.now() + maxMs;
  while (performance.now() < end) {
    await sleep(100);
    await p.core.ingest.idle();
    const now = count.get(accountId) as number;
    if (now !== last || busy()) {
      last = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= QUIET_MS) return;
  }
}

/** Burst to a raw xmpp.js client, online and idle: first send → every message parsed. */
async function rawBurst(server: TestProsody, sender: XmppPeer, user: XmppAccount, tag: string, n: number): Promise<BurstRound> {
  const c = rawClient(server, user, 'raw');
  let arrivals = new Arrivals([`${tag} warm-up`]);
  c.on('stanza', (s: Element) => {
    if (s.is('message')) arrivals.note(s.getChildText('body'));
  });
  try {
    await c.start();
    await c.send(xml('presence'));
    await sendUnarchived(sender, user.jid, `${tag} warm-up`, `${tag}-warm`);
    await arrivals.all(20_000, 'raw client warm-up');
    await sleep(300);
    const bodies = texts(tag, n);
    arrivals = new Arrivals(bodies);
    const t0 = arrivals.start(server.pid());
    const serverAt = await sendAll(sender, user.jid, bodies, tag);
    await arrivals.all(deadline(n), 'raw client burst');
    await sleep(QUIET_MS);
    return { ...arrivals.delivery(), serverMs: serverAt - t0 };
  } finally {
    await stopClient(c);
  }
}

/** Burst to the adapter's account in a core, online and idle: first send → every message stored. */
async function adapterBurst(p: Profile, server: TestProsody, sender: XmppPeer, user: XmppAccount, tag: string, n: number): Promise<BurstRound> {
  const accountId = await addAccount(p, server, user);
  try {
    // A warm-up through the whole path also waits out the session's set-up (presence, carbons, archive).
    p.watch = new Arrivals([`${tag} warm-up`]);
    await sendUnarchived(sender, user.jid, `${tag} warm-up`, `${tag}-warm`);
    await p.watch.all(20_000, 'adapter warm-up');
    await settle(p, accountId);
    const bodies = texts(tag, n);
    const arrivals = (p.watch = new Arrivals(bodies));
    const t0 = arrivals.start(server.pid());
    const serverAt = await sendAll(sender, user.jid, bodies, tag);
    await arrivals.all(deadline(n), 'adapter burst (stored)');
    const d = arrivals.delivery();
    await settle(p, accountId);
    const rows = storedRows(p, accountId, bodies);
    return { ...d, received: rows.distinct, duplicates: Math.max(arrivals.duplicates, rows.rows - rows.distinct), serverMs: serverAt - t0 };
  } finally {
    p.watch = null;
    await p.core.ctx.accounts.stop(accountId);
  }
}

/** A raw MAM query of the whole archive in pages of `MAM_PAGE`, without presence (nothing from offline storage): connect → all N. */
async function rawMam(server: TestProsody, user: XmppAccount, bodies: readonly string[]): Promise<RawMamRound> {
  const arrivals = new Arrivals(bodies);
  const c = rawClient(server, user, 'raw-mam');
  let queryid = '';
  let onPage = 0;
  c.on('stanza', (s: Element) => {
    const result = s.is('message') ? s.getChild('result', NS_MAM) : undefined;
    if (!result || result.attrs.queryid !== queryid) return;
    onPage++;
    arrivals.note(result.getChild('forwarded', NS_FORWARD)?.getChild('message')?.getChildText('body'));
  });
  arrivals.start(server.pid());
  try {
    await c.start();
    let after: string | null = null;
    let pages = 0;
    let largestPage = 0;
    for (;;) {
      queryid = `raw-mam-${++pages}`;
      onPage = 0;
      const set = xml('set', { xmlns: NS_RSM }, xml('max', {}, String(MAM_PAGE)), ...(after === null ? [] : [xml('after', {}, after)]));
      // The answer is an iq holding <fin/> (not the <query/> asked with, which iqCaller.set looks for).
      const reply = await c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM, queryid }, set)), 60_000);
      const fin = reply.getChild('fin', NS_MAM);
      largestPage = Math.max(largestPage, onPage);
      const last = fin?.getChild('set', NS_RSM)?.getChildText('last') ?? null;
      if (fin?.attrs.complete === 'true' || last === null || onPage === 0) break;
      after = last;
    }
    if (arrivals.count !== bodies.length) throw new Error(`raw MAM query: ${arrivals.count} of ${bodies.length} messages in the archive`);
    return { ...arrivals.delivery(), pages, largestPage };
  } finally {
    await stopClient(c);
  }
}

/** A raw client's offline delivery: connect, initial presence → all N from offline storage. */
async function rawOffline(server: TestProsody, user: XmppAccount, bodies: readonly string[]): Promise<Delivery> {
  const arrivals = new Arrivals(bodies);
  const c = rawClient(server, user, 'raw-offline');
  c.on('stanza', (s: Element) => {
    if (s.is('message')) arrivals.note(s.getChildText('body'));
  });
  arrivals.start(server.pid());
  try {
    await c.start();
    await c.send(xml('presence'));
    await arrivals.all(deadline(bodies.length), 'raw offline delivery');
    await sleep(QUIET_MS);
    return arrivals.delivery();
  } finally {
    await stopClient(c);
  }
}

/** Whether the account's adapter keeps an archive position (a `mam` key in its adapter_state). */
function hasArchivePosition(p: Profile, accountId: string): boolean {
  return (
    p.core.ctx.db.prepare("SELECT count(*) FROM adapter_state WHERE account_id = ? AND (key LIKE '%mam%' OR ns LIKE '%mam%')").pluck().get(accountId) as number
  ) > 0;
}

/**
 * The catch-up: a first session takes one message (and the archive position), the account goes
 * offline, `fill` sends the N, then the account connects again: connect → all N stored.
 */
async function adapterCatchUp(
  p: Profile,
  server: TestProsody,
  log: ServerLog,
  sender: XmppPeer,
  user: XmppAccount,
  tag: string,
  bodies: readonly string[],
  fill: () => Promise<void>,
): Promise<AdapterCatchUp> {
  // The first session: one message waiting, taken, and the archive's position kept.
  p.watch = new Arrivals([`${tag} first`]);
  await sendAll(sender, user.jid, [`${tag} first`], `${tag}-first`);
  const accountId = await addAccount(p, server, user);
  await p.watch.all(20_000, 'the first session');
  let positionStored = false;
  const until = performance.now() + 10_000;
  while (!(positionStored = hasArchivePosition(p, accountId)) && performance.now() < until) await sleep(20);
  await settle(p, accountId);
  const row = p.core.ctx.db.prepare('SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow;
  await p.core.ctx.accounts.stop(accountId);

  await fill();
  log.read();
  const queries = new ArchiveQueries(user.name);
  const arrivals = (p.watch = new Arrivals(bodies));
  try {
    const t0 = arrivals.start(server.pid());
    p.core.ctx.accounts.start(row);
    await arrivals.all(deadline(bodies.length), 'adapter catch-up (stored)');
    const d = arrivals.delivery();
    // The archive pages come after the offline messages: wait for them to end too (they must add nothing).
    await settle(p, accountId, () => queries.scan(log.read(), performance.now()));
    const rows = storedRows(p, accountId, bodies);

    // Once more with nothing new waiting: what the archive catch-up does then (it must store nothing).
    await p.core.ctx.accounts.stop(accountId);
    const count = p.core.ctx.db.prepare('SELECT count(*) FROM messages WHERE account_id = ?').pluck();
    const before = count.get(accountId) as number;
    log.read();
    const again = new ArchiveQueries(user.name);
    const t1 = performance.now();
    p.core.ctx.accounts.start(row);
    await waitFor(() => p.core.ctx.accounts.isAvailable(accountId), 20_000, `${user.jid} online again`);
    await settle(p, accountId, () => again.scan(log.read(), performance.now()));
    return {
      ...d,
      received: rows.distinct,
      duplicates: Math.max(arrivals.duplicates, rows.rows - rows.distinct),
      positionStored,
      archiveQueries: queries.queries,
      archiveItems: queries.items,
      archiveDoneMs: queries.lastAt - t0,
      reconnect: { archiveQueries: again.queries, archiveItems: again.items, archiveDoneMs: again.lastAt - t1, newRows: (count.get(accountId) as number) - before },
    };
  } finally {
    p.watch = null;
    await p.core.ctx.accounts.stop(accountId);
  }
}

export async function runXmppBenchmark(opts: XmppBenchOptions): Promise<XmppBenchResult> {
  const log = opts.log ?? (() => undefined);
  const rounds = opts.rounds ?? 3;
  const N = opts.messages;
  const mamN = Math.min(N, PROSODY_ARCHIVE_LIMIT - 1);
  const started = performance.now();
  const users: XmppUser[] = [{ name: 'sender', password: 'sender-pw' }];
  for (let r = 1; r <= rounds; r++) for (const u of ['rb', 'b', 'rm', 'ro', 'm']) users.push({ name: `${u}${r}`, password: `${u}${r}-pw` });
  log(`xmpp: starting Prosody with ${users.length} users`);
  const server = await startProsody({ users });
  const byName = new Map(server.users.map((u) => [u.name, u]));
  const user = (name: string): XmppAccount => byName.get(name)!;
  const serverLog = new ServerLog(join(server.dir, 'prosody.log'));
  const sender = new XmppPeer(server, user('sender'), 'bench');
  let bounces = 0;
  sender.client.on('stanza', (s: Element) => {
    if (s.is('message') && s.attrs.type === 'error') bounces++;
  });
  try {
    await sender.start();
    await waitFor(() => sender.client.status === 'online', 15_000, 'the sender online');
    // A burst from another server is archived once, for the recipient: the sender keeps no archive.
    await sender.client.iqCaller.set(xml('prefs', { xmlns: NS_MAM, default: 'never' }));
    const burst: XmppBenchResult['burst'] = { raw: [], adapter: [] };
    const mam: XmppBenchResult['mam'] = { raw: [], offline: [], adapter: [] };
    for (let r = 1; r <= rounds; r++) {
      const p = await openProfile();
      try {
        const raw = await rawBurst(server, sender, user(`rb${r}`), `burst raw r${r}`, N);
        burst.raw.push(raw);
        const ad = await adapterBurst(p, server, sender, user(`b${r}`), `burst adapter r${r}`, N);
        burst.adapter.push(ad);
        log(`xmpp round ${r}: burst raw ${Math.round(raw.perSecond)}/s, adapter stored ${Math.round(ad.perSecond)}/s (server routed all after ${(ad.serverMs / 1000).toFixed(2)} s)`);

        const rawBodies = texts(`mam raw r${r}`, mamN);
        const offBodies = texts(`mam offline r${r}`, mamN);
        const adBodies = texts(`mam adapter r${r}`, mamN);
        let rawM: RawMamRound | null = null;
        let off: Delivery | null = null;
        const ac = await adapterCatchUp(p, server, serverLog, sender, user(`m${r}`), `mam adapter r${r}`, adBodies, async () => {
          // Everything waits on the server (acknowledged) before anything is timed.
          await sendAll(sender, user(`rm${r}`).jid, rawBodies, `mam-raw-${r}`);
          await sendAll(sender, user(`ro${r}`).jid, offBodies, `mam-off-${r}`);
          await sendAll(sender, user(`m${r}`).jid, adBodies, `mam-ad-${r}`);
          rawM = await rawMam(server, user(`rm${r}`), rawBodies);
          off = await rawOffline(server, user(`ro${r}`), offBodies);
        });
        mam.raw.push(rawM!);
        mam.offline.push(off!);
        mam.adapter.push(ac);
        log(
          `xmpp round ${r}: catch-up raw MAM ${Math.round(rawM!.perSecond)}/s (${rawM!.pages} pages), raw offline ${Math.round(off!.perSecond)}/s, adapter stored ${Math.round(ac.perSecond)}/s`,
        );
      } finally {
        await closeProfile(p);
      }
    }
    serverLog.read();
    return {
      messages: N,
      mamMessages: mamN,
      rounds,
      page: MAM_PAGE,
      burst,
      mam,
      server: { quotaHits: serverLog.quotaHits, archiveFailures: serverLog.archiveFailures, bouncesToSender: bounces, logBytes: serverLog.offset },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await sender.stop();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.SWITCHBOARD_LOG ??= 'warn';
  const quick = process.argv.includes('--quick');
  const { formatXmppReport } = await import('./xmpp-report.ts');
  await runXmppBenchmark({ messages: quick ? 1_000 : 10_000, log: (l) => console.log(`  ${l}`) })
    .then((r) => console.log(formatXmppReport(r)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
