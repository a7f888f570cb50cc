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
import type { AdapterStateStore } from '../contract.ts';
import { createAdapterLogger } from '../log.ts';
import { openJournaledIndexedDB, withGlobalIndexedDB } from './idb-journal.ts';

const log = createAdapterLogger('matrix.sdk');

/** What the client is built from: the account's homeserver, its login and its state store. */
export interface ClientOptions {
  baseUrl: string;
  userId: string;
  deviceId: string;
  accessToken: string;
  state: AdapterStateStore;
}

/**
 * The SDK's own log, reduced to its warnings and errors in our format. Its debug and info lines
 * are many per sync (and some name rooms and users), so they are dropped.
 */
function sdkLogger(prefix = 'sdk'): Logger {
  const line = (level: 'warn' | 'error') => (...msg: unknown[]) => {
    const first = msg.find((m): m is string => typeof m === 'string');
    const error = msg.find((m): m is Error => m instanceof Error);
    sdkLog[level](`${prefix}: ${(first ?? '').slice(0, 300)}`, error ? { error: error.message.slice(0, 300) } : undefined);
  };
  const quiet = (): void => undefined;
  return { trace: quiet, debug: quiet, info: quiet, warn: line('warn'), error: line('error'), getChild: (ns: string) => sdkLogger(`${prefix}${ns}`) };
}
const sdkLog = createAdapterLogger('matrix.sdk-log');

/** The crypto's tracing (debug level by default, turned on by `initRustCrypto`) down to warnings. */
function quietCryptoTracing(): void {
  try {
    if (Tracing.isAvailable()) new Tracing(LoggerLevel.Warn).turnOn();
  } catch (e) {
    log.warn('could not lower the crypto log level', { error: (e as Error).message });
  }
}

/** The state namespace prefix of one device's databases: a new login (device) starts clean. */
export function journalNamespace(deviceId: string): string {
  return `mx-idb-${deviceId}`;
}

/** A started-up store and a client with crypto ready; `startClient` is the caller's. */
export async function openClient(o: ClientOptions): Promise<{ client: MatrixClient; store: IndexedDBStore }> {
  const factory = await openJournaledIndexedDB(o.state, { ns: journalNamespace(o.deviceId) });
  const store = new IndexedDBStore({ indexedDB: factory, dbName: 'switchboard-sync', localStorage: undefined });
  const client = createClient({
    baseUrl: o.baseUrl,
    userId: o.userId,
    deviceId: o.deviceId,
    accessToken: o.accessToken,
    store,
    timelineSupport: true,
    logger: sdkLogger(),
  });
  // The store reads the saved sync into the client it belongs to: after createClient, not before.
  await store.startup();
  // The crypto store opens its database through the global indexedDB under a fixed name: this
  // account's factory is the global while it opens, so accounts never share one.
  await withGlobalIndexedDB(factory, () => client.initRustCrypto({ useIndexedDB: true }));
  quietCryptoTracing();
  return { client, store };
}
