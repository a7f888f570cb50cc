/**
 * Builds a matrix-js-sdk client for one account, with everything it keeps in IndexedDB made
 * durable: the sync state (`IndexedDBStore`: the last sync token and the rooms' state, so a restart
 * resumes instead of syncing from scratch) and the Rust crypto store (the device's Olm account and
 * the room keys). Both live in the account's own fake-indexeddb factory, journaled into the
 * account's adapter state in the profile database (`idb-journal.ts`): every completed write
 * transaction is durable before the SDK sees it complete, so a SIGKILL loses nothing it had
 * finished writing.
 */
import { createClient, IndexedDBStore, type MatrixClient } from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import { LoggerLevel, Tracing } from '@matrix-org/matrix-sdk-crypto-wasm';
import loglevel from 'loglevel';
import type { AdapterStateStore } from '../contract.ts';
import { createAdapterLogger } from '../log.ts';
import { dropJournal, openJournaledIndexedDB, withGlobalIndexedDB } from './idb-journal.ts';

const log = createAdapterLogger('matrix.sdk');

/** What the client is built from: the account's homeserver, its login and its state store. */
export interface ClientOptions {
  /** For the log lines. */
  accountId: string;
  baseUrl: string;
  userId: string;
  deviceId: string;
  accessToken: string;
  state: AdapterStateStore;
}

const sdkLog = createAdapterLogger('matrix.sdk-log');
/**
 * Warnings the SDK gives on every start that say nothing wrong: the homeserver's push rules lack
 * ones the SDK adds itself, and Switchboard does not use secret storage (see docs/matrix.md).
 */
const ROUTINE = /^(Adding default global (override|underride) push rule|resetCrossSigning: Secret storage is not yet set up)/;

/**
 * One SDK warning or error in our log: its first text (cut) and the message of an error passed
 * with it, never the other arguments (events, keys). Routine start-up warnings are dropped.
 */
function forward(level: 'warn' | 'error', prefix: string, msg: unknown[], meta: Record<string, unknown>): void {
  const first = msg.find((m): m is string => typeof m === 'string');
  if (first !== undefined && ROUTINE.test(first)) return;
  const error = msg.find((m): m is Error => m instanceof Error);
  sdkLog[level](`${prefix}: ${(first ?? '').slice(0, 300)}`, { ...meta, ...(error ? { error: error.message.slice(0, 300) } : {}) });
}

/**
 * The client's own log, reduced to its warnings and errors in our format. Its debug and info lines
 * are many per sync (and some name rooms and users), so they are dropped.
 */
function sdkLogger(accountId: string, prefix = 'sdk'): Logger {
  const quiet = (): void => undefined;
  return {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (...msg: unknown[]) => forward('warn', prefix, msg, { accountId }),
    error: (...msg: unknown[]) => forward('error', prefix, msg, { accountId }),
    getChild: (ns: string) => sdkLogger(accountId, `${prefix}${ns}`),
  };
}

/**
 * The SDK's module-level loggers (sync loop, push rules, stores) write through loglevel straight to
 * the console at debug level. Every one of them, and every one made later (children copy their
 * parent's factory), is routed to our log with warnings and errors only.
 */
function quietSdkLogs(): void {
  const factory: loglevel.MethodFactory = (method) =>
    method === 'warn' || method === 'error' ? (...msg: unknown[]) => forward(method, 'sdk', msg, {}) : () => undefined;
  for (const [name, l] of Object.entries(loglevel.getLoggers())) {
    if (!name.startsWith('matrix') || l.methodFactory === factory) continue;
    l.methodFactory = factory;
    l.rebuild();
  }
}
let sdkLogsQuiet = false;

/**
 * The crypto's tracing: `initRustCrypto` turns it on at debug level (process-wide) every time an
 * account starts, which prints the store's schema migrations and every key upload to stdout. Every
 * `turnOn` from now on is at warning level.
 */
export function quietCryptoTracing(): void {
  try {
    const proto = Tracing.prototype as Tracing & { switchboardQuiet?: true };
    if (proto.switchboardQuiet) return;
    const turnOn = Object.getOwnPropertyDescriptor(proto, 'turnOn')?.value as (this: Tracing) => void;
    proto.turnOn = function (this: Tracing) {
      this.minLevel = LoggerLevel.Warn;
      turnOn.call(this);
    };
    proto.switchboardQuiet = true;
    if (Tracing.isAvailable()) new Tracing(LoggerLevel.Warn).turnOn();
  } catch (e) {
    log.warn('could not lower the crypto log level', { error: (e as Error).message });
  }
}

/** The state namespace prefix of one device's databases: a new login (device) starts clean. */
export function journalNamespace(deviceId: string): string {
  return `mx-idb-${deviceId}`;
}

const NS_DEVICE = 'mx-device';

/**
 * Remembers which device the account's stores belong to; after a new login (a new device) the old
 * device's keys and sync state are deleted: that device was logged out, its keys serve nobody.
 */
export function forgetOldDevice(state: AdapterStateStore, deviceId: string, accountId: string): void {
  const enc = new TextEncoder();
  const previous = state.get(NS_DEVICE, 'current');
  const old = previous ? new TextDecoder().decode(previous) : null;
  if (old === deviceId) return;
  if (old !== null) {
    const n = dropJournal(state, journalNamespace(old));
    log.info('the stores of a previous device were deleted', { accountId, entries: n });
  }
  state.write([{ ns: NS_DEVICE, key: 'current', value: enc.encode(deviceId) }]);
}

/**
 * The account's state store, until `close()`: the crypto may still finish a write or two after
 * the client stopped (and the profile database may be closing). Those are dropped, as a crash at
 * that moment would drop them: the next start reads what was durable before.
 */
export class ClosableState implements AdapterStateStore {
  private closed = false;
  private dropped = 0;
  constructor(
    private readonly inner: AdapterStateStore,
    private readonly accountId: string,
  ) {}
  get(ns: string, key: string): Uint8Array | undefined {
    return this.inner.get(ns, key);
  }
  list(ns: string): [string, Uint8Array][] {
    return this.inner.list(ns);
  }
  write(ops: Parameters<AdapterStateStore['write']>[0]): void {
    if (!this.closed) return this.inner.write(ops);
    if (this.dropped++ === 0) log.info('a store write after the account stopped was dropped', { accountId: this.accountId });
  }
  close(): void {
    this.closed = true;
  }
}

/** A started-up store and a client with crypto ready; `startClient` is the caller's. */
export async function openClient(o: ClientOptions): Promise<{ client: MatrixClient; store: IndexedDBStore }> {
  if (!sdkLogsQuiet) {
    quietSdkLogs();
    quietCryptoTracing();
    sdkLogsQuiet = true;
  }
  forgetOldDevice(o.state, o.deviceId, o.accountId);
  const factory = await openJournaledIndexedDB(o.state, { ns: journalNamespace(o.deviceId) });
  const store = new IndexedDBStore({ indexedDB: factory, dbName: 'switchboard-sync', localStorage: undefined });
  const client = createClient({
    baseUrl: o.baseUrl,
    userId: o.userId,
    deviceId: o.deviceId,
    accessToken: o.accessToken,
    store,
    timelineSupport: true,
    logger: sdkLogger(o.accountId),
  });
  // The store reads the saved sync into the client it belongs to: after createClient, not before.
  await store.startup();
  // The crypto store opens its database through the global indexedDB under a fixed name: this
  // account's factory is the global while it opens, so accounts never share one.
  await withGlobalIndexedDB(factory, () => client.initRustCrypto({ useIndexedDB: true }));
  return { client, store };
}
