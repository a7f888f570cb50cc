/**
 * Matrix benchmark, against a real Synapse (test/servers/synapse.ts, loopback, plain HTTP), with
 * the Matrix adapter running inside a real core (an `AdapterRegistry` with 'matrix' →
 * `createMatrixAdapter`, the account added through the api with a login made beforehand), so
 * "stored" means a row in the profile's SQLite `messages` table, announced by core's
 * `message.added` (or, for a placeholder decrypted late, `message.updated`) event:
 *
 * - initial sync: an account in R rooms holding E plain `m.room.message` events in all, a fresh
 *   login (device) and a fresh profile each round; from `accounts.add` (which connects) until the
 *   account is online and every room's newest messages are stored. The adapter asks for 20 events
 *   a room (its `initialSyncLimit`), so R × 20 messages are stored, not E: older ones come only
 *   through `syncHistory`. Baselines, each a fresh device too: a raw matrix-js-sdk client (no
 *   crypto, its default MemoryStore) with `startClient({ initialSyncLimit: 20, lazyLoadMembers:
 *   true })` until PREPARED, and one raw `fetch` of `/sync` with the filter that client sends (the
 *   server's own cost);
 * - decrypt rate: a peer (matrix-js-sdk with Rust crypto) sends N encrypted messages into a room
 *   while the receivers are offline; then a receiver catches up: from connect until all N are
 *   received and decrypted (adapter: stored). An incremental /sync after a gap brings only the
 *   newest 10 events of a room (Synapse's default for the SDK's filter, which sets no timeline
 *   limit) with `limited: true`; the rest needs back-pagination (`/messages`), which the adapter
 *   does by itself after such a sync (50 events a page, back to the last event it had stored).
 *   Baseline: a raw matrix-js-sdk client with Rust crypto in memory (`useIndexedDB: false`), a
 *   device of another member, doing the same (`scrollback`, 50 a page). Every receiving device
 *   exists before the sending starts (the room keys are shared with the devices known then): one
 *   adapter profile and one raw client per round, each proven to decrypt a warm-up message, then
 *   taken offline (adapter: `accounts.stop`; raw client: its /sync requests held by a gate in its
 *   `fetchFn`, the long poll included, so nothing of the backlog reaches it), so one backlog
 *   serves every round.
 *
 * Filling Synapse costs ≈ 10 ms of its CPU per event (≈ 70–90 events/s on 2 cores), so E = 20 000
 * takes minutes: the filled database is kept as a snapshot (node_modules/.cache, per Synapse
 * version and size) and restored into a fresh Synapse next time (`cache: true`). Synapse's data
 * lives on /dev/shm when there is one: its disk is not what is measured, and fsyncs halve its rate.
 * Receivers and peer share this process (and its event loop); Synapse runs as its own process.
 * Raw and adapter runs alternate in order over the rounds.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoggerLevel, Tracing } from '@matrix-org/matrix-sdk-crypto-wasm';
import Database from 'better-sqlite3';
import {
  ClientEvent,
  createClient,
  EventType,
  Filter,
  MatrixEventEvent,
  MsgType,
  Preset,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import { createMatrixAdapter } from '../adapters/matrix/adapter.ts';
import { AdapterRegistry } from '../adapters/registry.ts';
import type { ApiEvent } from '../core/api/events.ts';
import { createCore, type CoreInternals } from '../core/create-core.ts';
import type { AccountRow } from '../core/store/rows.ts';
import { startSynapse, SYNAPSE_VENV, type MatrixAccount, type MatrixUser, type TestSynapse } from '../test/servers/synapse.ts';
import { loginMatrix, matrixApi, MatrixPeer, type MatrixLogin } from '../test/support/matrix-accounts.ts';
import { cpuNow } from './stats.ts';

/** The adapter's `initialSyncLimit` (adapters/matrix/adapter.ts): events per room in a first sync. */
export const ADAPTER_SYNC_LIMIT = 20;
/** Events a page when catching up (the adapter's HISTORY_PAGE; the raw client asks the same). */
export const HISTORY_PAGE = 50;
/** Sends in flight at once while filling (Synapse is CPU-bound past a few). */
const FILL_PARALLEL = 24;
/** Encrypted sends in flight at once (the SDK encrypts them one by one per room anyway). */
const ENCRYPTED_PARALLEL = 16;
/** Bumped when what the fill writes changes: old snapshots are then not reused. */
const FILL_VERSION = 1;
const MEGOLM = 'm.megolm.v1.aes-sha2';
const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'switchboard-bench');

export interface MatrixBenchOptions {
  /** Rooms the account is in. */
  rooms: number;
  /** Plain messages in those rooms, in all (spread evenly). */
  events: number;
  /** Encrypted messages in the catch-up backlog. */
  encrypted: number;
  /** Rounds of each measurement; default 3. */
  rounds?: number;
  /** Reuse (or make) a snapshot of the filled Synapse database; default false. */
  cache?: boolean;
  log?: (line: string) => void;
}

export interface Timing {
  /** Start → done. */
  ms: number;
  /** CPU time over the wall time: Synapse's process, and this one (receiver, core, peer). */
  serverCpu: number;
  clientCpu: number;
}

export interface SyncRound extends Timing {
  /** Joined rooms the answer (or client) holds. */
  rooms: number;
  /** Of the fill's messages, how many the answer (or client, or profile) holds. */
  messages: number;
}

export interface AdapterSyncRound extends SyncRound {
  /** Start → the account online (the SDK's PREPARED). */
  onlineMs: number;
  /** Rows in `messages` for the account beyond the distinct expected ones (should be 0). */
  extraRows: number;
}

export interface DecryptRound extends Timing {
  perSecond: number;
  /** Start → the first of the N decrypted (stored). */
  firstMs: number;
  /** Distinct messages of the N decrypted (adapter: stored with their text), once settled. */
  received: number;
  duplicates: number;
  /** Of the N, how many the catch-up sync itself brought (before paging back). */
  fromSync: number;
  /** Start → the newest message in (the catch-up sync processed). */
  syncMs: number;
  /** Back-pagination requests (`scrollback` / `syncHistory`). */
  pages: number;
  /** Adapter: rows still holding the "cannot be decrypted yet" placeholder, once settled. */
  placeholders: number;
}

export interface MatrixBenchResult {
  rooms: number;
  events: number;
  /** Messages each round of the initial sync should store: the newest `ADAPTER_SYNC_LIMIT` (or fewer) per room. */
  expectedStored: number;
  encrypted: number;
  rounds: number;
  synapse: string;
  fill: { ms: number; cached: boolean; perSecond: number };
  /** Time to send the encrypted backlog (the peer encrypting, Synapse storing). */
  encryptedFillMs: number;
  initialSync: { fetch: SyncRound[]; sdk: SyncRound[]; adapter: AdapterSyncRound[] };
  decrypt: { raw: DecryptRound[]; adapter: DecryptRound[] };
  /** console.warn lines of the SDK muted during the run (two per client start are expected). */
  readonly sdkWarnings: number;
  seconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quiet = (): void => undefined;
const silent: Logger = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet, getChild: () => silent };

/** A fill text of ≈ 90 B, unique in the server. */
const fillText = (room: number, k: number): string => `bench room ${room} message ${k}: the quick brown fox jumps over the lazy dog.`;
const secretText = (k: number): string => `encrypted backlog #${k}: the quick brown fox jumps over the lazy dog, decrypted once.`;
/** Messages of room `i` when `events` are spread over `rooms`. */
const perRoom = (events: number, rooms: number, i: number): number => Math.floor(events / rooms) + (i < events % rooms ? 1 : 0);

/** A stopwatch with CPU meters (Synapse's by pid). */
class Clock {
  readonly t0 = performance.now();
  private readonly cpu0: { server: number; client: number };
  constructor(private readonly pid: number | null) {
    this.cpu0 = cpuNow(pid);
  }
  elapsed(): number {
    return performance.now() - this.t0;
  }
  /** Timing up to now. */
  stop(): Timing {
    const ms = this.elapsed();
    const cpu = cpuNow(this.pid);
    return { ms, serverCpu: (cpu.server - this.cpu0.server) / ms, clientCpu: (cpu.client - this.cpu0.client) / ms };
  }
}

/** Counts arrivals of expected texts: distinct ones, copies, the first time, and a wait for all. */
class Arrivals {
  private readonly want: Set<string>;
  private readonly got = new Set<string>();
  duplicates = 0;
  firstAt = Number.NaN;
  allAt = Number.NaN;
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(expected: Iterable<string>) {
    this.want = new Set(expected);
  }

  get count(): number {
    return this.got.size;
  }

  get size(): number {
    return this.want.size;
  }

  note(text: unknown): void {
    if (typeof text !== 'string' || !this.want.has(text)) return;
    if (this.got.has(text)) {
      this.duplicates++;
      return;
    }
    const at = performance.now();
    if (this.got.size === 0) this.firstAt = at;
    this.got.add(text);
    if (this.got.size === this.want.size) this.allAt = at;
    this.waiters = this.waiters.filter((w) => {
      if (this.got.size < w.n) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `n` (default all) arrived; rejects after `ms` saying how many did. */
  until(ms: number, what: string, n = this.want.size): Promise<void> {
    if (this.got.size >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = { n, resolve: () => (clearTimeout(t), resolve()) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${what}: ${this.got.size} of ${n} within ${ms / 1000} s`));
      }, ms);
      this.waiters.push(w);
    });
  }
}

/** Deadline for n messages: generous, the run fails rather than hangs. */
const deadline = (n: number): number => 60_000 + n * 20;

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Runs `f` over `items` with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, f: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await f(items[i]!, i);
      }
    }),
  );
}

/**
 * Silences console.log / info / debug / warn until the returned function is called; it returns
 * how many warnings it swallowed. The SDK's module-level logger writes a line per sync, per stored
 * sync and per event paged in twice (bound at load time, so its level cannot be lowered), and two
 * warnings per client start (default push rules added), whatever logger a client is given; the
 * crypto's tracing is at debug while `initRustCrypto` runs. Our own loggers write to stderr, and
 * console.error stays.
 */
function muteConsoleChatter(): () => number {
  const saved = { log: console.log, info: console.info, debug: console.debug, warn: console.warn };
  let warnings = 0;
  console.log = console.info = console.debug = quiet;
  console.warn = () => void warnings++;
  return () => {
    Object.assign(console, saved);
    return warnings;
  };
}

/** The crypto's tracing (turned on at debug level by every `initRustCrypto`) back down to warnings. */
function quietCryptoTracing(): void {
  if (Tracing.isAvailable()) new Tracing(LoggerLevel.Warn).turnOn();
}

// ---- the server and its fill ----

/** Synapse's version, from its virtualenv's package metadata. */
function synapseVersion(): string {
  try {
    const lib = join(SYNAPSE_VENV, 'lib');
    for (const py of readdirSync(lib)) {
      const found = readdirSync(join(lib, py, 'site-packages')).find((d) => /^matrix_synapse-.*\.dist-info$/.test(d));
      if (found) return found.slice('matrix_synapse-'.length, -'.dist-info'.length);
    }
  } catch {
    // No venv layout we know: the snapshot is keyed as unknown.
  }
  return 'unknown';
}

/** Starts Synapse, its data on /dev/shm when there is one (tmpdir() is read from TMPDIR at each call). */
async function startServer(users: MatrixUser[]): Promise<TestSynapse> {
  const before = process.env['TMPDIR'];
  if (existsSync('/dev/shm')) process.env['TMPDIR'] = '/dev/shm';
  try {
    return await startSynapse({ users });
  } finally {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
  }
}

/** Stops the running Synapse (a child this run started), puts the snapshot in place of its database, and starts it again. */
async function restoreSnapshot(server: TestSynapse, snapshot: string): Promise<void> {
  const pid = server.pid();
  if (pid === null) throw new Error('Synapse is not running');
  process.kill(pid, 'SIGTERM');
  await waitFor(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    15_000,
    'Synapse to stop',
  );
  const db = join(server.dir, 'homeserver.db');
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) rmSync(f, { force: true });
  copyFileSync(snapshot, db);
  await server.restart();
}

/** Keeps a consistent copy of Synapse's database (SQLite's backup, safe while Synapse runs). */
async function saveSnapshot(server: TestSynapse, snapshot: string): Promise<void> {
  mkdirSync(dirname(snapshot), { recursive: true });
  const src = new Database(join(server.dir, 'homeserver.db'), { readonly: true, fileMustExist: true });
  try {
    await src.backup(`${snapshot}.part`);
  } finally {
    src.close();
  }
  renameSync(`${snapshot}.part`, snapshot);
}

/** The filler makes R public rooms, the reader joins them, then E messages are sent, rooms interleaved. */
async function fill(server: TestSynapse, filler: MatrixLogin, reader: MatrixLogin, rooms: number, events: number): Promise<void> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: rooms }, (_, i) => i),
    8,
    async (i) => {
      const r = await matrixApi<{ room_id: string }>(server, filler.accessToken, 'POST', '/createRoom', { name: `bench room ${i}`, preset: 'public_chat' });
      ids[i] = r.room_id;
      await matrixApi(server, reader.accessToken, 'POST', `/join/${encodeURIComponent(r.room_id)}`, {});
    },
  );
  const jobs: [number, number][] = [];
  const most = perRoom(events, rooms, 0);
  for (let k = 0; k < most; k++) for (let i = 0; i < rooms; i++) if (k < perRoom(events, rooms, i)) jobs.push([i, k]);
  await pool(jobs, FILL_PARALLEL, async ([i, k]) => {
    const path = `/rooms/${encodeURIComponent(ids[i]!)}/send/m.room.message/fill-${i}-${k}`;
    await matrixApi(server, filler.accessToken, 'PUT', path, { msgtype: 'm.text', body: fillText(i, k) });
  });
}

/** The fill's newest `ADAPTER_SYNC_LIMIT` texts of every room: what a first sync brings. */
function newestTexts(rooms: number, events: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < rooms; i++) {
    const n = perRoom(events, rooms, i);
    for (let k = Math.max(0, n - ADAPTER_SYNC_LIMIT); k < n; k++) out.push(fillText(i, k));
  }
  return out;
}

// ---- initial sync ----

/** The filter of a raw client's first sync (matrix-js-sdk's `SyncApi`: default filter, lazy members, the limit inline). */
function firstSyncFilter(userId: string): string {
  const f = new Filter(userId);
  f.setUnreadThreadNotifications(true);
  f.setLazyLoadMembers(true);
  f.setTimelineLimit(ADAPTER_SYNC_LIMIT);
  return JSON.stringify(f.getDefinition());
}

interface SyncBody {
  rooms?: { join?: Record<string, { timeline?: { events?: { type?: string; content?: { body?: unknown } }[] } }> };
}

async function rawFetchSync(server: TestSynapse, reader: MatrixAccount, expected: ReadonlySet<string>): Promise<SyncRound> {
  const login = await loginMatrix(server, reader, 'bench raw fetch');
  try {
    const clock = new Clock(server.pid());
    const url = `${server.baseUrl}/_matrix/client/v3/sync?timeout=0&filter=${encodeURIComponent(firstSyncFilter(reader.userId))}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${login.accessToken}` } });
    if (!res.ok) throw new Error(`/sync: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as SyncBody;
    const t = clock.stop();
    const joined = Object.values(body.rooms?.join ?? {});
    let messages = 0;
    for (const r of joined) for (const e of r.timeline?.events ?? []) if (e.type === 'm.room.message' && expected.has(String(e.content?.body))) messages++;
    return { ...t, rooms: joined.length, messages };
  } finally {
    await logout(server, login);
  }
}

async function rawSdkSync(server: TestSynapse, reader: MatrixAccount, expected: ReadonlySet<string>): Promise<SyncRound> {
  const login = await loginMatrix(server, reader, 'bench raw sdk');
  const client = createClient({ baseUrl: server.baseUrl, userId: reader.userId, deviceId: login.deviceId, accessToken: login.accessToken, logger: silent });
  try {
    const clock = new Clock(server.pid());
    const prepared = untilPrepared(client);
    await client.startClient({ initialSyncLimit: ADAPTER_SYNC_LIMIT, lazyLoadMembers: true });
    await prepared;
    const t = clock.stop();
    const rooms = client.getRooms().filter((r) => r.getMyMembership() === 'join');
    let messages = 0;
    for (const r of rooms) for (const e of r.getLiveTimeline().getEvents()) if (e.getType() === 'm.room.message' && expected.has(String(e.getContent()['body']))) messages++;
    return { ...t, rooms: rooms.length, messages };
  } finally {
    client.stopClient();
    await logout(server, login);
  }
}

async function logout(server: TestSynapse, login: MatrixLogin): Promise<void> {
  await matrixApi(server, login.accessToken, 'POST', '/logout', {}).catch(() => undefined);
}

function untilPrepared(client: MatrixClient): Promise<void> {
  return new Promise<void>((resolve) => {
    const on = (state: SyncState): void => {
      if (state !== SyncState.Prepared) return;
      client.off(ClientEvent.Sync, on);
      resolve();
    };
    client.on(ClientEvent.Sync, on);
  });
}

/** A profile (core + its temp folder) with the Matrix adapter, and what it stores, watched. */
interface Profile {
  core: CoreInternals;
  dir: string;
  /** Gets the text of every message stored (added, or updated when a late key decrypted a placeholder). */
  onText: ((text: string) => void) | null;
  onlineAt: number;
}

async function openProfile(): Promise<Profile> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-matrix-'));
  const core = createCore({ profileDir: dir, registry: new AdapterRegistry().register('matrix', createMatrixAdapter) });
  await core.start();
  const p: Profile = { core, dir, onText: null, onlineAt: Number.NaN };
  core.onEvent((e: ApiEvent) => {
    if (e.type === 'message.added' || e.type === 'message.updated') p.onText?.(e.message.text);
    else if (e.type === 'account.status' && e.account.status === 'online' && Number.isNaN(p.onlineAt)) p.onlineAt = performance.now();
  });
  return p;
}

async function closeProfile(p: Profile): Promise<void> {
  await p.core.close();
  rmSync(p.dir, { recursive: true, force: true });
}

/** Adds the account (the app's `accounts.add`, with a login made beforehand): the adapter connects. */
async function addAccount(p: Profile, server: TestSynapse, user: MatrixAccount, login: MatrixLogin): Promise<string> {
  const account = await p.core.call('accounts.add', {
    protocol: 'matrix',
    address: user.userId,
    displayName: user.name,
    settings: { homeserver: server.baseUrl },
    secrets: { accessToken: login.accessToken, deviceId: login.deviceId },
  });
  return account.id;
}

const rowCount = (p: Profile, accountId: string): number => p.core.ctx.db.prepare('SELECT count(*) FROM messages WHERE account_id = ?').pluck().get(accountId) as number;

/** Waits until nothing new is stored (and ingest is idle) for a second. */
async function settle(p: Profile, accountId: string, maxMs = 30_000): Promise<void> {
  let last = rowCount(p, accountId);
  let quietSince = performance.now();
  const end = performance.now() + maxMs;
  while (performance.now() < end) {
    await sleep(100);
    await p.core.ingest.idle();
    const now = rowCount(p, accountId);
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= 1_000) return;
  }
}

async function adapterSync(server: TestSynapse, reader: MatrixAccount, expected: readonly string[]): Promise<AdapterSyncRound> {
  const login = await loginMatrix(server, reader, 'Switchboard bench');
  const p = await openProfile();
  try {
    const arrivals = new Arrivals(expected);
    p.onText = (t) => arrivals.note(t);
    const clock = new Clock(server.pid());
    const accountId = await addAccount(p, server, reader, login);
    await arrivals.until(deadline(expected.length), 'adapter initial sync (stored)');
    await waitFor(() => p.core.ctx.accounts.isAvailable(accountId), 60_000, 'the account online');
    const t = clock.stop();
    await settle(p, accountId);
    const rows = rowCount(p, accountId);
    const rooms = p.core.ctx.db.prepare("SELECT count(*) FROM conversations WHERE account_id = ? AND kind = 'group'").pluck().get(accountId) as number;
    await p.core.ctx.accounts.stop(accountId);
    return { ...t, onlineMs: p.onlineAt - clock.t0, rooms, messages: arrivals.count, extraRows: rows - arrivals.count };
  } finally {
    p.onText = null;
    await closeProfile(p);
    await logout(server, login);
  }
}

// ---- decrypt rate ----

/** Holds a client's /sync requests (before they go out, and their answers before they come in) while closed. */
class SyncGate {
  private open = true;
  private waiting: (() => void)[] = [];
  readonly fetchFn: typeof globalThis.fetch = async (input, init) => {
    const sync = String(input instanceof Request ? input.url : input).includes('/sync');
    if (sync) await this.pass();
    const res = await fetch(input, init);
    if (sync) await this.pass();
    return res;
  };
  close(): void {
    this.open = false;
  }
  release(): void {
    this.open = true;
    for (const w of this.waiting.splice(0)) w();
  }
  private async pass(): Promise<void> {
    while (!this.open) await new Promise<void>((r) => this.waiting.push(r));
  }
}

/** A raw receiver: matrix-js-sdk, Rust crypto in memory, counting the texts it decrypts in one room. */
class RawReceiver {
  readonly gate = new SyncGate();
  client!: MatrixClient;
  /** Gets the text of every message decrypted in the room. */
  onText: ((text: unknown) => void) | null = null;

  constructor(
    private readonly server: TestSynapse,
    private readonly user: MatrixAccount,
    private readonly roomId: string,
    readonly login: MatrixLogin,
  ) {}

  async start(): Promise<void> {
    this.client = createClient({
      baseUrl: this.server.baseUrl,
      userId: this.user.userId,
      deviceId: this.login.deviceId,
      accessToken: this.login.accessToken,
      logger: silent,
      fetchFn: this.gate.fetchFn,
    });
    await this.client.initRustCrypto({ useIndexedDB: false });
    quietCryptoTracing();
    // Each event once: it is seen on the timeline, and again when a late key decrypts it.
    const noted = new Set<string>();
    const note = (ev: MatrixEvent): void => {
      const id = ev.getId();
      if (!id || noted.has(id) || ev.getRoomId() !== this.roomId || ev.getType() !== (EventType.RoomMessage as string)) return;
      noted.add(id);
      this.onText?.(ev.getContent()['body']);
    };
    this.client.on(RoomEvent.Timeline, (ev, room, _start, removed) => {
      if (removed || room?.roomId !== this.roomId) return;
      void this.client.decryptEventIfNeeded(ev).then(() => note(ev));
    });
    // A key that came after its message: the event decrypts then.
    this.client.on(MatrixEventEvent.Decrypted, (ev) => note(ev));
    const prepared = untilPrepared(this.client);
    await this.client.startClient({ initialSyncLimit: ADAPTER_SYNC_LIMIT, lazyLoadMembers: true });
    await prepared;
  }

  /** Pages back (50 a page) until every text of `backlog` is in or the room's start is reached. */
  async catchUp(backlog: Arrivals): Promise<number> {
    const room = this.client.getRoom(this.roomId);
    if (!room) throw new Error('the raw receiver does not know the room');
    let pages = 0;
    while (backlog.count < backlog.size && room.oldState.paginationToken !== null) {
      await this.client.scrollback(room, HISTORY_PAGE);
      pages++;
    }
    return pages;
  }

  stop(): void {
    this.gate.release();
    this.client.stopClient();
  }
}

/** Until the homeserver lists every one of these devices (their keys uploaded, so a sender can share room keys with them). */
async function devicesKnown(server: TestSynapse, token: string, want: Record<string, string[]>): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const res = await matrixApi<{ device_keys?: Record<string, Record<string, unknown>> }>(server, token, 'POST', '/keys/query', {
      device_keys: Object.fromEntries(Object.keys(want).map((u) => [u, []])),
    });
    if (Object.entries(want).every(([u, ds]) => ds.every((d) => res.device_keys?.[u]?.[d] !== undefined))) return;
    if (Date.now() > end) throw new Error('device keys not uploaded within 60 s');
    await sleep(100);
  }
}

interface DecryptSetup {
  roomId: string;
  peer: MatrixPeer;
  profiles: { p: Profile; accountId: string; row: AccountRow }[];
  raws: RawReceiver[];
}

/** The room, one adapter profile and one raw receiver per round, all online and decrypting a warm-up message. */
async function setUpDecrypt(server: TestSynapse, users: { peer: MatrixAccount; ada: MatrixAccount; raw: MatrixAccount }, rounds: number): Promise<DecryptSetup> {
  const peer = new MatrixPeer(server, users.peer);
  await peer.start();
  quietCryptoTracing();
  const { room_id: roomId } = await peer.client.createRoom({
    name: 'bench encrypted',
    preset: Preset.PrivateChat,
    invite: [users.ada.userId, users.raw.userId],
    initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: MEGOLM } }],
  });
  const adaLogins: MatrixLogin[] = [];
  const rawLogins: MatrixLogin[] = [];
  for (let r = 0; r < rounds; r++) {
    adaLogins.push(await loginMatrix(server, users.ada, `Switchboard bench ${r + 1}`));
    rawLogins.push(await loginMatrix(server, users.raw, `bench raw ${r + 1}`));
  }
  await matrixApi(server, adaLogins[0]!.accessToken, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
  await matrixApi(server, rawLogins[0]!.accessToken, 'POST', `/join/${encodeURIComponent(roomId)}`, {});

  const setup: DecryptSetup = { roomId, peer, profiles: [], raws: [] };
  for (let r = 0; r < rounds; r++) {
    const p = await openProfile();
    const accountId = await addAccount(p, server, users.ada, adaLogins[r]!);
    setup.profiles.push({ p, accountId, row: p.core.ctx.db.prepare('SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow });
    const raw = new RawReceiver(server, users.raw, roomId, rawLogins[r]!);
    await raw.start();
    setup.raws.push(raw);
  }
  for (const { p, accountId } of setup.profiles) await waitFor(() => p.core.ctx.accounts.isAvailable(accountId), 60_000, 'the account online');
  await devicesKnown(server, adaLogins[0]!.accessToken, { [users.ada.userId]: adaLogins.map((l) => l.deviceId), [users.raw.userId]: rawLogins.map((l) => l.deviceId) });

  // A warm-up every receiver decrypts proves the peer shares its room keys with all of them. The
  // peer may not have seen the last devices yet: a later message shares the session with them.
  for (let attempt = 1; ; attempt++) {
    const text = `warm-up ${attempt}`;
    const watches = [...setup.profiles, ...setup.raws].map((x) => {
      const w = new Arrivals([text]);
      if ('p' in x) x.p.onText = (t) => w.note(t);
      else x.onText = (t) => w.note(t);
      return w;
    });
    await peer.send(roomId, text);
    try {
      await Promise.all(watches.map((w) => w.until(5_000, text)));
      break;
    } catch (e) {
      if (attempt >= 10) throw new Error(`not every receiver decrypts the warm-up: ${(e as Error).message}`);
    }
  }
  // Offline: the adapters stopped (their sync position saved), the raw clients' /sync held.
  for (const { p, accountId } of setup.profiles) {
    await settle(p, accountId);
    p.onText = null;
    await p.core.ctx.accounts.stop(accountId);
  }
  for (const raw of setup.raws) {
    raw.onText = null;
    raw.gate.close();
  }
  return setup;
}

/** The backlog, then a marker sent after it (the newest event: its arrival means the catch-up sync is in). */
async function sendBacklog(peer: MatrixPeer, roomId: string, texts: readonly string[], marker: string): Promise<void> {
  await pool(texts, ENCRYPTED_PARALLEL, async (body) => {
    await peer.client.sendEvent(roomId, EventType.RoomMessage, { msgtype: MsgType.Text, body });
  });
  await peer.send(roomId, marker);
}

async function rawCatchUp(server: TestSynapse, raw: RawReceiver, texts: readonly string[], marker: string): Promise<DecryptRound> {
  const backlog = new Arrivals(texts);
  const newest = new Arrivals([marker]);
  raw.onText = (t) => {
    backlog.note(t);
    newest.note(t);
  };
  const clock = new Clock(server.pid());
  raw.gate.release();
  await newest.until(60_000, 'the raw receiver’s catch-up sync');
  const syncMs = clock.elapsed();
  const fromSync = backlog.count;
  const pages = await raw.catchUp(backlog);
  await backlog.until(deadline(texts.length), 'raw receiver: backlog decrypted');
  const t = clock.stop();
  await sleep(500);
  raw.stop();
  return {
    ...t,
    ms: backlog.allAt - clock.t0,
    perSecond: (texts.length * 1000) / (backlog.allAt - clock.t0),
    firstMs: backlog.firstAt - clock.t0,
    received: backlog.count,
    duplicates: backlog.duplicates,
    fromSync,
    syncMs,
    pages,
    placeholders: 0,
  };
}

async function adapterCatchUp(server: TestSynapse, s: DecryptSetup, round: number, texts: readonly string[], marker: string): Promise<DecryptRound> {
  const { p, accountId, row } = s.profiles[round]!;
  const backlog = new Arrivals(texts);
  const newest = new Arrivals([marker]);
  p.onText = (t) => {
    backlog.note(t);
    newest.note(t);
  };
  try {
    const clock = new Clock(server.pid());
    p.core.ctx.accounts.start(row);
    await newest.until(60_000, 'the adapter’s catch-up sync (the newest message stored)');
    const syncMs = clock.elapsed();
    const fromSync = backlog.count;
    // The adapter fills the gap the limited sync left by itself (paging back to the last stored event).
    const pages = Math.ceil((texts.length - fromSync) / HISTORY_PAGE);
    await backlog.until(deadline(texts.length), 'adapter: backlog stored decrypted');
    const t = clock.stop();
    await settle(p, accountId);
    const placeholders = p.core.ctx.db
      .prepare("SELECT count(*) FROM messages WHERE account_id = ? AND body LIKE 'Waiting for this message%'")
      .pluck()
      .get(accountId) as number;
    const ms = backlog.allAt - clock.t0;
    return { ...t, ms, perSecond: (texts.length * 1000) / ms, firstMs: backlog.firstAt - clock.t0, received: backlog.count, duplicates: backlog.duplicates, fromSync, syncMs, pages, placeholders };
  } finally {
    p.onText = null;
    await p.core.ctx.accounts.stop(accountId);
  }
}

// ---- the run ----

export async function runMatrixBenchmark(opts: MatrixBenchOptions): Promise<MatrixBenchResult> {
  const log = opts.log ?? (() => undefined);
  const rounds = opts.rounds ?? 3;
  const { rooms, events, encrypted } = opts;
  if (events < rooms) throw new Error('the Matrix bench needs at least one message per room');
  const started = performance.now();
  const unmute = muteConsoleChatter();
  const sdkWarnings = { n: 0 };
  const synapse = synapseVersion();
  const fillUsers: MatrixUser[] = [
    { name: 'filler', password: 'filler-pw' },
    { name: 'reader', password: 'reader-pw' },
  ];
  log(`matrix: starting Synapse ${synapse}`);
  const server = await startServer(fillUsers);
  let decrypt: DecryptSetup | null = null;
  try {
    const [filler, reader] = server.users as [MatrixAccount, MatrixAccount];
    const snapshot = join(CACHE_DIR, `matrix-fill-v${FILL_VERSION}-synapse-${synapse}-${rooms}-rooms-${events}-events.db`);
    const cached = opts.cache === true && existsSync(snapshot);
    const fillClock = new Clock(server.pid());
    if (cached) {
      log(`matrix: restoring the filled server from ${snapshot}`);
      await restoreSnapshot(server, snapshot);
    } else {
      log(`matrix: filling ${rooms} rooms with ${events} messages`);
      const fl = await loginMatrix(server, filler, 'bench filler');
      const rl = await loginMatrix(server, reader, 'bench fill reader');
      await fill(server, fl, rl, rooms, events);
      if (opts.cache === true) await saveSnapshot(server, snapshot);
    }
    const fillMs = fillClock.elapsed();
    log(`matrix: fill ${cached ? 'restored' : 'done'} in ${(fillMs / 1000).toFixed(1)} s`);

    // Initial sync, raw fetch / raw SDK / adapter in rotating order; one untimed fetch first warms Synapse's caches.
    const expected = newestTexts(rooms, events);
    const expectedSet = new Set(expected);
    await rawFetchSync(server, reader, expectedSet);
    const initialSync: MatrixBenchResult['initialSync'] = { fetch: [], sdk: [], adapter: [] };
    for (let r = 0; r < rounds; r++) {
      const steps = [
        async () => void initialSync.fetch.push(await rawFetchSync(server, reader, expectedSet)),
        async () => void initialSync.sdk.push(await rawSdkSync(server, reader, expectedSet)),
        async () => void initialSync.adapter.push(await adapterSync(server, reader, expected)),
      ];
      for (let k = 0; k < steps.length; k++) await steps[(k + r) % steps.length]!();
      const [f, s, a] = [initialSync.fetch.at(-1)!, initialSync.sdk.at(-1)!, initialSync.adapter.at(-1)!];
      log(`matrix round ${r + 1}: initial sync raw /sync ${(f.ms / 1000).toFixed(2)} s, raw SDK ${(s.ms / 1000).toFixed(2)} s, adapter ${(a.ms / 1000).toFixed(2)} s (online after ${(a.onlineMs / 1000).toFixed(2)} s)`);
    }

    // Decrypt rate: every receiving device set up first, then one backlog for all rounds.
    const [peerUser, ada, rawUser] = [
      await server.registerUser({ name: 'peer', password: 'peer-pw' }),
      await server.registerUser({ name: 'ada', password: 'ada-pw' }),
      await server.registerUser({ name: 'rawrx', password: 'rawrx-pw' }),
    ];
    log(`matrix: ${rounds} adapter profiles and ${rounds} raw receivers joining the encrypted room`);
    decrypt = await setUpDecrypt(server, { peer: peerUser, ada, raw: rawUser }, rounds);
    const texts = Array.from({ length: encrypted }, (_, k) => secretText(k));
    const marker = 'encrypted backlog: the newest message';
    const sendClock = new Clock(server.pid());
    await sendBacklog(decrypt.peer, decrypt.roomId, texts, marker);
    const encryptedFillMs = sendClock.elapsed();
    log(`matrix: ${encrypted} encrypted messages sent in ${(encryptedFillMs / 1000).toFixed(1)} s`);
    const result: MatrixBenchResult['decrypt'] = { raw: [], adapter: [] };
    for (let r = 0; r < rounds; r++) {
      const raw = async () => void result.raw.push(await rawCatchUp(server, decrypt!.raws[r]!, texts, marker));
      const ad = async () => void result.adapter.push(await adapterCatchUp(server, decrypt!, r, texts, marker));
      for (const step of r % 2 === 0 ? [raw, ad] : [ad, raw]) await step();
      const [x, a] = [result.raw.at(-1)!, result.adapter.at(-1)!];
      log(`matrix round ${r + 1}: decrypt raw SDK ${Math.round(x.perSecond)}/s (${x.pages} pages), adapter stored ${Math.round(a.perSecond)}/s (${a.pages} pages; ${a.fromSync} of ${encrypted} from its sync)`);
    }
    return {
      rooms,
      events,
      expectedStored: expected.length,
      encrypted,
      rounds,
      synapse,
      fill: { ms: fillMs, cached, perSecond: (events * 1000) / fillMs },
      encryptedFillMs,
      initialSync,
      decrypt: result,
      seconds: (performance.now() - started) / 1000,
      get sdkWarnings() {
        return sdkWarnings.n;
      },
    };
  } finally {
    if (decrypt) {
      for (const raw of decrypt.raws) raw.stop();
      for (const { p } of decrypt.profiles) await closeProfile(p);
      await decrypt.peer.stop();
    }
    await server.stop();
    sdkWarnings.n = unmute();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.SWITCHBOARD_LOG ??= 'warn';
  const quick = process.argv.includes('--quick');
  const { formatMatrixReport } = await import('./matrix-report.ts');
  await runMatrixBenchmark({ rooms: quick ? 50 : 200, events: quick ? 5_000 : 20_000, encrypted: quick ? 500 : 2_000, cache: true, log: (l) => console.log(`  ${l}`) })
    .then((r) => console.log(formatMatrixReport(r)))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
  // matrix-js-sdk never clears its requests' timeout timers (up to 110 s): exit instead of waiting them out.
  process.exit();
}
