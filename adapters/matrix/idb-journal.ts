/**
 * A durable IndexedDB for the Matrix Rust crypto in plain Node.
 *
 * The Rust crypto's only persistent store is IndexedDB; in Node that is `fake-indexeddb`, which keeps
 * everything in memory. This module gives each account its own fake-indexeddb factory that is
 * pre-filled from the account's `AdapterStateStore` and that writes the effects of every committed
 * readwrite or versionchange transaction to that store in ONE synchronous `write`, before the
 * transaction's `complete` event reaches any listener. So once the crypto sees a write complete, it
 * survives a SIGKILL; an aborted transaction writes nothing. (A periodic snapshot lost room keys.)
 *
 * How the effects are captured: fake-indexeddb funnels every record change (put, add, delete by key or
 * range, clear, cursor update and delete) through three methods of its internal object store class,
 * each handed the transaction's rollback log. We wrap those three methods once per process and note
 * the touched primary keys per transaction (found through the rollback log); at commit we write each
 * touched key's *current* value, or its deletion. Schema changes only happen in versionchange
 * transactions, so at their commit we write the whole schema (it is small) and drop the records of
 * deleted object stores. Everything that is not one of our factories passes through untouched.
 *
 * Layout in the state store (`ns` defaults to `idb`):
 *   `${ns}:meta`               key = database name → v8(DbMeta): version, object stores, indexes, key generators
 *   `${ns}:r:${storeId}:${db}` key = order-preserving hex of the primary key → v8(value)
 * Object stores are named by a stable id, so renaming a store moves no records.
 */
import { deserialize, serialize } from 'node:v8';
import {
  IDBCursor as FakeCursor,
  IDBCursorWithValue as FakeCursorWithValue,
  IDBDatabase as FakeDatabase,
  IDBFactory as FakeFactory,
  IDBIndex as FakeIndex,
  IDBKeyRange as FakeKeyRange,
  IDBObjectStore as FakeObjectStore,
  IDBOpenDBRequest as FakeOpenDBRequest,
  IDBRequest as FakeRequest,
  IDBTransaction as FakeTransaction,
  IDBVersionChangeEvent as FakeVersionChangeEvent,
} from 'fake-indexeddb';
import type { AdapterStateStore, StateWrite } from '../contract.ts';
import { createAdapterLogger } from '../log.ts';

const log = createAdapterLogger('matrix.idb-journal');

/** Options of {@link openJournaledIndexedDB}. */
export interface JournalOptions {
  /** Prefix of the state namespaces this journal owns (default `idb`). */
  ns?: string;
}

// ---- fake-indexeddb internals we rely on (6.2.x), typed as narrowly as we use them ----

type KeyPath = string | string[] | null;
interface RawRecord {
  key: IDBValidKey;
  value: unknown;
}
interface RawRecordStore {
  get(key: IDBValidKey): RawRecord | undefined;
  put(record: RawRecord, noOverwrite?: boolean): RawRecord | undefined;
  values(range?: IDBKeyRange): Iterable<RawRecord>;
}
interface RawIndex {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
  initialized: boolean;
  storeRecord(record: RawRecord): void;
}
type RollbackLog = (() => void)[];
interface RawObjectStore {
  rawDatabase: RawDatabase;
  name: string;
  keyPath: KeyPath;
  autoIncrement: boolean;
  deleted: boolean;
  keyGenerator: { num: number } | null;
  records: RawRecordStore;
  rawIndexes: Map<string, RawIndex>;
  // Function-typed properties, not methods: we take them off the prototype and call them with `this`.
  storeRecord: (this: RawObjectStore, record: RawRecord, noOverwrite: boolean, rollbackLog?: RollbackLog) => IDBValidKey;
  deleteRecord: (this: RawObjectStore, key: IDBValidKey | IDBKeyRange, rollbackLog?: RollbackLog) => void;
  clear: (this: RawObjectStore, rollbackLog?: RollbackLog) => void;
}
interface RawDatabase {
  name: string;
  version: number;
  rawObjectStores: Map<string, RawObjectStore>;
}
interface RawTransaction {
  mode: IDBTransactionMode;
  _rollbackLog: RollbackLog;
  _abort(errName: string | null): void;
  dispatchEvent: (this: RawTransaction, event: Event) => boolean;
}
interface Internals {
  Database: new (name: string, version: number) => RawDatabase;
  ObjectStore: new (db: RawDatabase, name: string, keyPath: KeyPath, autoIncrement: boolean) => RawObjectStore;
  Index: new (store: RawObjectStore, name: string, keyPath: string | string[], multiEntry: boolean, unique: boolean) => RawIndex;
}

// ---- what we persist ----

interface IndexMeta {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
interface StoreMeta {
  id: number;
  name: string;
  keyPath: KeyPath;
  autoIncrement: boolean;
  /** The key generator's current number (autoIncrement stores), so new keys never reuse old ones. */
  generator: number;
  indexes: IndexMeta[];
}
interface DbMeta {
  version: number;
  nextStoreId: number;
  stores: StoreMeta[];
}

/** One database of one journaled factory, with the schema as last written to the state store. */
interface DbJournal {
  readonly state: AdapterStateStore;
  readonly ns: string;
  readonly raw: RawDatabase;
  /** The persisted schema; replaced only after a successful write. */
  meta: DbMeta;
  /** Stable ids of object stores (persisted in meta); new stores get theirs at their versionchange commit. */
  readonly ids: WeakMap<RawObjectStore, number>;
  nextStoreId: number;
}

/** The primary keys one open transaction touched, per object store (encoded key → key). */
interface TxJournal {
  readonly db: DbJournal;
  readonly versionchange: boolean;
  readonly dirty: Map<RawObjectStore, Map<string, IDBValidKey>>;
}

const dbJournals = new WeakMap<RawDatabase, DbJournal>();
// Keyed by the rollback log because that is the one thing fake-indexeddb passes to the store methods.
const txJournals = new WeakMap<RollbackLog, TxJournal>();

const metaNs = (ns: string): string => `${ns}:meta`;
const recordNs = (ns: string, storeId: number, dbName: string): string => `${ns}:r:${storeId}:${dbName}`;

// ---- public API ----

/**
 * A new fake-indexeddb factory (one per account: accounts never share databases) holding everything
 * journaled in `state` under `opts.ns`, which from now on journals every committed write to `state`.
 */
export async function openJournaledIndexedDB(state: AdapterStateStore, opts: JournalOptions = {}): Promise<IDBFactory> {
  const ns = opts.ns ?? 'idb';
  const internals = await installOnce();
  const factory = new FakeFactory();
  const databases = new JournaledDatabases(state, ns);
  const started = performance.now();
  let records = 0;
  for (const [name, bytes] of state.list(metaNs(ns))) {
    const raw = restoreDatabase(internals, state, ns, name, deserialize(bytes) as DbMeta);
    records += raw.count;
    databases.restore(name, raw.db);
  }
  // The factory reads and writes its databases through this map; ours journals deleteDatabase.
  (factory as unknown as { _databases: Map<string, RawDatabase> })._databases = databases;
  if (databases.size > 0) log.info('restored', { databases: databases.size, records, ms: Math.round(performance.now() - started) });
  return factory;
}

/**
 * Deletes everything journaled under `ns` (a device the account no longer uses), in one write.
 * Not for a namespace a live factory is journaling into.
 */
export function dropJournal(state: AdapterStateStore, ns: string): number {
  const ops: StateWrite[] = [];
  for (const [name, bytes] of state.list(metaNs(ns))) {
    const meta = deserialize(bytes) as DbMeta;
    for (const store of meta.stores) for (const [key] of state.list(recordNs(ns, store.id, name))) ops.push({ ns: recordNs(ns, store.id, name), key, value: null });
    ops.push({ ns: metaNs(ns), key: name, value: null });
  }
  if (ops.length > 0) state.write(ops);
  return ops.length;
}

/**
 * Runs `fn` with `globalThis.indexedDB` set to `factory`, one call at a time across the process, and
 * restores the previous `indexedDB` afterwards. The Rust crypto store opens its database through the
 * global with a fixed name, so this is how each account gets its own; once opened, the store keeps its
 * database handle and no longer reads the global (see the tests).
 *
 * The IDB classes (`IDBKeyRange`, `IDBDatabase`, ...) are installed globally if absent and left
 * there: the Rust code builds key ranges and checks `instanceof` through those globals on every
 * later call, and fake-indexeddb's classes are the same for every factory.
 */
export function withGlobalIndexedDB<T>(factory: IDBFactory, fn: () => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    installClassGlobals();
    const previous = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    Object.defineProperty(globalThis, 'indexedDB', { value: factory, configurable: true, writable: true, enumerable: false });
    try {
      return await fn();
    } finally {
      if (previous) Object.defineProperty(globalThis, 'indexedDB', previous);
      else delete (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    }
  };
  const result = globalLock.then(run, run);
  globalLock = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

let globalLock: Promise<void> = Promise.resolve();

function installClassGlobals(): void {
  const classes: Record<string, unknown> = {
    IDBCursor: FakeCursor,
    IDBCursorWithValue: FakeCursorWithValue,
    IDBDatabase: FakeDatabase,
    IDBFactory: FakeFactory,
    IDBIndex: FakeIndex,
    IDBKeyRange: FakeKeyRange,
    IDBObjectStore: FakeObjectStore,
    IDBOpenDBRequest: FakeOpenDBRequest,
    IDBRequest: FakeRequest,
    IDBTransaction: FakeTransaction,
    IDBVersionChangeEvent: FakeVersionChangeEvent,
  };
  for (const [name, value] of Object.entries(classes)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true, enumerable: false });
  }
}

// ---- the factory's database map: journals deleteDatabase, registers new databases ----

class JournaledDatabases extends Map<string, RawDatabase> {
  constructor(
    private readonly state: AdapterStateStore,
    private readonly ns: string,
  ) {
    super();
  }

  /** Adds a database restored from the state store (already registered). */
  restore(name: string, raw: RawDatabase): void {
    super.set(name, raw);
  }

  /** fake-indexeddb creates a new database (version 0) here; nothing is persisted until its upgrade commits. */
  override set(name: string, raw: RawDatabase): this {
    if (!dbJournals.has(raw)) register(this.state, this.ns, raw, { version: 0, nextStoreId: 0, stores: [] }, new WeakMap());
    return super.set(name, raw);
  }

  /** fake-indexeddb deletes a database here, just before `deleteDatabase` succeeds: journal it first. */
  override delete(name: string): boolean {
    const raw = this.get(name);
    const journal = raw && dbJournals.get(raw);
    if (journal) {
      const ops: StateWrite[] = [{ ns: metaNs(this.ns), key: name, value: null }];
      for (const s of journal.meta.stores) dropRecords(journal, s.id, ops);
      journal.state.write(ops); // throws before the in-memory delete, so memory and disk stay alike
      dbJournals.delete(journal.raw);
    }
    return super.delete(name);
  }
}

function register(state: AdapterStateStore, ns: string, raw: RawDatabase, meta: DbMeta, ids: WeakMap<RawObjectStore, number>): DbJournal {
  const journal: DbJournal = { state, ns, raw, meta, ids, nextStoreId: meta.nextStoreId };
  dbJournals.set(raw, journal);
  return journal;
}

function dropRecords(journal: DbJournal, storeId: number, ops: StateWrite[]): void {
  const ns = recordNs(journal.ns, storeId, journal.raw.name);
  for (const [key] of journal.state.list(ns)) ops.push({ ns, key, value: null });
}

// ---- restore ----

function restoreDatabase(
  internals: Internals,
  state: AdapterStateStore,
  ns: string,
  name: string,
  meta: DbMeta,
): { db: RawDatabase; count: number } {
  const db = new internals.Database(name, meta.version);
  const ids = new WeakMap<RawObjectStore, number>();
  let count = 0;
  for (const s of meta.stores) {
    const store = new internals.ObjectStore(db, s.name, s.keyPath, s.autoIncrement);
    if (store.keyGenerator) store.keyGenerator.num = s.generator;
    const records: RawRecord[] = [];
    for (const [k, v] of state.list(recordNs(ns, s.id, name))) {
      const record = { key: decodeKey(k), value: deserialize(v) as unknown };
      store.records.put(record);
      records.push(record);
    }
    count += records.length;
    for (const m of s.indexes) {
      const index = new internals.Index(store, m.name, m.keyPath, m.multiEntry, m.unique);
      for (const record of records) index.storeRecord(record);
      index.initialized = true;
      store.rawIndexes.set(m.name, index);
    }
    db.rawObjectStores.set(s.name, store);
    ids.set(store, s.id);
  }
  register(state, ns, db, meta, ids);
  return { db, count };
}

// ---- commit ----

/** The schema as it is in memory now, giving new object stores their ids. */
function describe(journal: DbJournal): DbMeta {
  const stores: StoreMeta[] = [];
  for (const store of journal.raw.rawObjectStores.values()) {
    let id = journal.ids.get(store);
    if (id === undefined) journal.ids.set(store, (id = journal.nextStoreId++));
    stores.push({
      id,
      name: store.name,
      keyPath: store.keyPath,
      autoIncrement: store.autoIncrement,
      generator: store.keyGenerator?.num ?? 0,
      indexes: [...store.rawIndexes.values()].map((i) => ({ name: i.name, keyPath: i.keyPath, unique: i.unique, multiEntry: i.multiEntry })),
    });
  }
  return { version: journal.raw.version, nextStoreId: journal.nextStoreId, stores };
}

/** The state writes that make a committed transaction durable. */
function commitOps(tx: TxJournal): { ops: StateWrite[]; meta: DbMeta | null } {
  const { db: journal } = tx;
  const ops: StateWrite[] = [];
  let meta: DbMeta | null = null;
  if (tx.versionchange) {
    meta = describe(journal);
    const live = new Set(meta.stores.map((s) => s.id));
    for (const old of journal.meta.stores) if (!live.has(old.id)) dropRecords(journal, old.id, ops);
  }
  let generatorMoved = false;
  for (const [store, keys] of tx.dirty) {
    // A store deleted in this (versionchange) transaction: its records were dropped above.
    if (store.deleted || journal.raw.rawObjectStores.get(store.name) !== store) continue;
    const id = journal.ids.get(store);
    if (id === undefined) continue; // cannot happen: a store gets its id when the versionchange creating it commits
    const ns = recordNs(journal.ns, id, journal.raw.name);
    for (const [encoded, key] of keys) {
      const record = store.records.get(key);
      ops.push({ ns, key: encoded, value: record ? serialize(record.value) : null });
    }
    if (store.keyGenerator && store.keyGenerator.num !== journal.meta.stores.find((s) => s.id === id)?.generator) generatorMoved = true;
  }
  if (!meta && generatorMoved) meta = describe(journal);
  if (meta) ops.push({ ns: metaNs(journal.ns), key: journal.raw.name, value: serialize(meta) });
  return { ops, meta };
}

/** Writes a committing transaction; false (after logging) if the state store refused it. */
function commit(tx: TxJournal): boolean {
  try {
    const { ops, meta } = commitOps(tx);
    if (ops.length > 0) tx.db.state.write(ops);
    if (meta) tx.db.meta = meta;
    return true;
  } catch (e) {
    log.error('journal write failed; the transaction is aborted', { reason: e instanceof Error ? e.message : String(e) });
    return false;
  }
}

// ---- the hooks, installed once per process ----

let installed: Promise<Internals> | null = null;

function installOnce(): Promise<Internals> {
  installed ??= probeInternals().then((internals) => {
    patchObjectStore(internals.ObjectStore.prototype as RawObjectStore);
    patchTransactions();
    return internals;
  });
  return installed;
}

/**
 * fake-indexeddb does not export its internal Database / ObjectStore / Index classes (and a deep
 * import by path would break in the bundled Electron main), so we take them from a scratch database.
 */
async function probeInternals(): Promise<Internals> {
  const request = new FakeFactory().open('probe', 1);
  request.onupgradeneeded = () => request.result.createObjectStore('s').createIndex('i', 'k');
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('fake-indexeddb probe failed'));
  });
  const raw = (db as unknown as { _rawDatabase: RawDatabase })._rawDatabase;
  const store = raw.rawObjectStores.get('s');
  const index = store?.rawIndexes.get('i');
  db.close();
  if (!store || !index) throw new Error('fake-indexeddb internals not as expected');
  return {
    Database: raw.constructor as Internals['Database'],
    ObjectStore: store.constructor as Internals['ObjectStore'],
    Index: index.constructor as Internals['Index'],
  };
}

function touched(store: RawObjectStore, rollbackLog: RollbackLog | undefined): Map<string, IDBValidKey> | undefined {
  // A rollback re-stores or deletes without a log: that undoes, it is never journaled.
  const tx = rollbackLog && txJournals.get(rollbackLog);
  if (!tx) return undefined;
  let keys = tx.dirty.get(store);
  if (!keys) tx.dirty.set(store, (keys = new Map<string, IDBValidKey>()));
  return keys;
}

function patchObjectStore(proto: RawObjectStore): void {
  const { storeRecord, deleteRecord, clear } = proto;
  proto.storeRecord = function (this: RawObjectStore, record, noOverwrite, rollbackLog) {
    try {
      return storeRecord.call(this, record, noOverwrite, rollbackLog);
    } finally {
      // Also after a failure: whatever is in memory at commit is what gets written.
      if (record.key !== undefined) touched(this, rollbackLog)?.set(encodeKey(record.key), record.key);
    }
  };
  proto.deleteRecord = function (this: RawObjectStore, key, rollbackLog) {
    const keys = touched(this, rollbackLog);
    if (keys) {
      const range = key instanceof FakeKeyRange ? key : FakeKeyRange.only(key);
      for (const record of this.records.values(range)) keys.set(encodeKey(record.key), record.key);
    }
    deleteRecord.call(this, key, rollbackLog);
  };
  proto.clear = function (this: RawObjectStore, rollbackLog) {
    const keys = touched(this, rollbackLog);
    if (keys) for (const record of this.records.values()) keys.set(encodeKey(record.key), record.key);
    clear.call(this, rollbackLog);
  };
}

function patchTransactions(): void {
  const proto = FakeDatabase.prototype as unknown as { transaction: (this: { _rawDatabase: RawDatabase }, ...a: unknown[]) => RawTransaction };
  const transaction = proto.transaction;
  proto.transaction = function (...args) {
    const tx = transaction.apply(this, args);
    const db = dbJournals.get(this._rawDatabase);
    if (db && tx.mode !== 'readonly') {
      txJournals.set(tx._rollbackLog, { db, versionchange: tx.mode === 'versionchange', dirty: new Map() });
      const dispatch = tx.dispatchEvent;
      // Own property on our transactions only: write the journal before any `complete` listener runs.
      tx.dispatchEvent = function (this: RawTransaction, event: Event): boolean {
        if (event.type === 'complete') {
          const journal = txJournals.get(this._rollbackLog);
          txJournals.delete(this._rollbackLog);
          if (journal && !commit(journal)) {
            // Not durable, so not committed: undo in memory and report an abort, as a failed commit does.
            this._abort('UnknownError');
            return false;
          }
        }
        return dispatch.call(this, event);
      };
    }
    return tx;
  };
}

// ---- keys: an injective, order-preserving ASCII encoding of IndexedDB keys ----
// Type tags sort like IndexedDB's key types (number < date < string < binary < array); "0" ends a
// string, binary or array and sorts before any element, so a prefix sorts first. ASCII only, so the
// same order holds in SQLite (BINARY collation) and in JavaScript string comparison.

const f64 = new DataView(new ArrayBuffer(8));

function sortableNumber(n: number): string {
  f64.setFloat64(0, n === 0 ? 0 : n); // -0 and 0 are the same key
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const neg = hi >>> 31 === 1;
  const h = neg ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
  const l = neg ? ~lo >>> 0 : lo;
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
}

function unsortableNumber(hex: string): number {
  let hi = parseInt(hex.slice(0, 8), 16);
  let lo = parseInt(hex.slice(8, 16), 16);
  if (hi >>> 31 === 1) hi = (hi & 0x7fffffff) >>> 0;
  else [hi, lo] = [~hi >>> 0, ~lo >>> 0];
  f64.setUint32(0, hi);
  f64.setUint32(4, lo);
  return f64.getFloat64(0);
}

/** The state key of an IndexedDB key. Exported for tests. */
export function encodeKey(key: IDBValidKey): string {
  if (typeof key === 'number') return 'a' + sortableNumber(key);
  if (key instanceof Date) return 'b' + sortableNumber(key.getTime());
  if (typeof key === 'string') {
    let out = 'c';
    for (let i = 0; i < key.length; i++) out += '1' + key.charCodeAt(i).toString(16).padStart(4, '0');
    return out + '0';
  }
  if (Array.isArray(key)) return 'e' + key.map((k) => encodeKey(k)).join('') + '0';
  const bytes = key instanceof ArrayBuffer ? new Uint8Array(key) : new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
  let out = 'd';
  for (const b of bytes) out += '1' + b.toString(16).padStart(2, '0');
  return out + '0';
}

/** The IndexedDB key of a state key (binary keys come back as ArrayBuffer, as fake-indexeddb keeps them). */
export function decodeKey(encoded: string): IDBValidKey {
  const [key, end] = decodeAt(encoded, 0);
  if (end !== encoded.length) throw new Error('idb journal: malformed key');
  return key;
}

function decodeAt(s: string, at: number): [IDBValidKey, number] {
  const tag = s[at];
  switch (tag ?? '') {
    case 'a':
      return [unsortableNumber(s.slice(at + 1, at + 17)), at + 17];
    case 'b':
      return [new Date(unsortableNumber(s.slice(at + 1, at + 17))), at + 17];
    case 'c': {
      const units: number[] = [];
      let i = at + 1;
      for (; s[i] === '1'; i += 5) units.push(parseInt(s.slice(i + 1, i + 5), 16));
      if (s[i] !== '0') throw new Error('idb journal: malformed string key');
      // In chunks: String.fromCharCode with very many arguments overflows the stack.
      let out = '';
      for (let c = 0; c < units.length; c += 4096) out += String.fromCharCode(...units.slice(c, c + 4096));
      return [out, i + 1];
    }
    case 'd': {
      const bytes: number[] = [];
      let i = at + 1;
      for (; s[i] === '1'; i += 3) bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      if (s[i] !== '0') throw new Error('idb journal: malformed binary key');
      return [new Uint8Array(bytes).buffer, i + 1];
    }
    case 'e': {
      const items: IDBValidKey[] = [];
      let i = at + 1;
      while (s[i] !== '0') {
        if (i >= s.length) throw new Error('idb journal: malformed array key');
        const [item, next] = decodeAt(s, i);
        items.push(item);
        i = next;
      }
      return [items, i + 1];
    }
    default:
      throw new Error('idb journal: malformed key');
  }
}
