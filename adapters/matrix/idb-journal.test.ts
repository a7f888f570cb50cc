import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../email/autocrypt/memory-store.ts';
import type { AdapterStateStore, StateWrite } from '../contract.ts';
import { decodeKey, encodeKey, openJournaledIndexedDB, withGlobalIndexedDB } from './idb-journal.ts';

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('request failed'));
  });
}

function open(factory: IDBFactory, name: string, version?: number, upgrade?: (db: IDBDatabase, tx: IDBTransaction) => void): Promise<IDBDatabase> {
  const request = factory.open(name, version);
  request.onupgradeneeded = () => upgrade?.(request.result, request.transaction as IDBTransaction);
  return done(request);
}

/** Runs `fn` in a transaction and resolves when it completes (rejects on abort). */
function run(db: IDBDatabase, stores: string[], fn: (tx: IDBTransaction) => void): Promise<void> {
  const tx = db.transaction(stores, 'readwrite');
  fn(tx);
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

function getAll<T = unknown>(db: IDBDatabase, store: string): Promise<T[]> {
  return done(db.transaction(store).objectStore(store).getAll()) as Promise<T[]>;
}

/** The same state in a fresh factory, as after a restart. */
async function reopen(state: AdapterStateStore, name: string): Promise<IDBDatabase> {
  return open(await openJournaledIndexedDB(state), name);
}

describe('openJournaledIndexedDB', () => {
  it('records, indexes, autoIncrement keys and versions survive a reopen', async () => {
    const state = new MemoryStateStore();
    const db = await open(await openJournaledIndexedDB(state), 'crypto', 3, (d) => {
      const s = d.createObjectStore('sessions', { keyPath: ['room', 'id'] });
      s.createIndex('byRoom', 'room');
      s.createIndex('tags', 'tags', { multiEntry: true });
      d.createObjectStore('log', { autoIncrement: true });
      d.createObjectStore('kv').createIndex('uniq', 'u', { unique: true });
    });
    await run(db, ['sessions', 'log', 'kv'], (tx) => {
      tx.objectStore('sessions').put({ room: '!a', id: 's1', key: new Uint8Array([1, 2, 3]), tags: ['x', 'y'] });
      tx.objectStore('sessions').put({ room: '!b', id: 's2', key: new Uint8Array([4]), tags: ['y'] });
      tx.objectStore('log').add({ n: 1 });
      tx.objectStore('log').add({ n: 2 });
      tx.objectStore('kv').put({ u: 1, m: new Map([['a', 1]]), when: new Date(5) }, new Uint8Array([9, 9]));
      tx.objectStore('kv').put('plain', -0.5);
    });
    // Delete the last auto key: a restart must still not hand it out again.
    await run(db, ['log'], (tx) => tx.objectStore('log').delete(2));
    db.close();

    const again = await reopen(state, 'crypto');
    expect(again.version).toBe(3);
    expect([...again.objectStoreNames]).toEqual(['kv', 'log', 'sessions']);
    const tx = again.transaction(['sessions', 'log', 'kv']);
    const sessions = tx.objectStore('sessions');
    expect(await done(sessions.index('byRoom').getAll('!b'))).toEqual([{ room: '!b', id: 's2', key: new Uint8Array([4]), tags: ['y'] }]);
    expect(await done(sessions.index('tags').count('y'))).toBe(2);
    expect(sessions.index('tags').multiEntry).toBe(true);
    expect(await done(tx.objectStore('kv').get(new Uint8Array([9, 9])))).toEqual({ u: 1, m: new Map([['a', 1]]), when: new Date(5) });
    expect(await done(tx.objectStore('kv').get(-0.5))).toBe('plain');
    expect(tx.objectStore('kv').index('uniq').unique).toBe(true);
    expect(await done(tx.objectStore('log').getAllKeys())).toEqual([1]);
    await run(again, ['log'], (t) => t.objectStore('log').add({ n: 3 }));
    expect(await done(again.transaction('log').objectStore('log').getAllKeys())).toEqual([1, 3]);
    // The unique index still holds after the restore.
    await expect(run(again, ['kv'], (t) => t.objectStore('kv').add({ u: 1 }, 'other'))).rejects.toThrow();
  });

  it('cursor update and delete, range delete and clear are journaled', async () => {
    const state = new MemoryStateStore();
    const db = await open(await openJournaledIndexedDB(state), 'db', 1, (d) => {
      d.createObjectStore('a');
      d.createObjectStore('b');
    });
    await run(db, ['a', 'b'], (tx) => {
      for (let i = 0; i < 10; i++) tx.objectStore('a').put({ i }, i);
      tx.objectStore('b').put('gone', 'x');
    });
    await run(db, ['a', 'b'], (tx) => {
      const request = tx.objectStore('a').openCursor();
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) return;
        const { i } = cursor.value as { i: number };
        if (i % 2 === 0) cursor.update({ i, even: true });
        else if (i === 1) cursor.delete();
        cursor.continue();
      };
      tx.objectStore('a').delete(IDBKeyRange.bound(7, 9));
      tx.objectStore('b').clear();
    });
    db.close();
    const again = await reopen(state, 'db');
    expect(await getAll(again, 'a')).toEqual([{ i: 0, even: true }, { i: 2, even: true }, { i: 3 }, { i: 4, even: true }, { i: 5 }, { i: 6, even: true }]);
    expect(await getAll(again, 'b')).toEqual([]);
  });

  it('an aborted transaction writes nothing, and neither does a failed upgrade', async () => {
    const state = new MemoryStateStore();
    const factory = await openJournaledIndexedDB(state);
    const db = await open(factory, 'db', 1, (d) => d.createObjectStore('s'));
    await run(db, ['s'], (tx) => tx.objectStore('s').put('kept', 1));
    const writes = spyWrites(state);
    await expect(
      run(db, ['s'], (tx) => {
        tx.objectStore('s').put('lost', 2);
        tx.objectStore('s').delete(1);
        tx.abort();
      }),
    ).rejects.toThrow();
    expect(writes).toEqual([]);
    db.close();
    await expect(
      open(factory, 'db', 2, (d, tx) => {
        d.createObjectStore('t');
        tx.abort();
      }),
    ).rejects.toThrow();
    expect(writes).toEqual([]);
    const again = await reopen(state, 'db');
    expect(again.version).toBe(1);
    expect(await getAll(again, 's')).toEqual(['kept']);
  });

  it('writes one atomic batch before the app sees complete', async () => {
    const state = new MemoryStateStore();
    const db = await open(await openJournaledIndexedDB(state), 'db', 1, (d) => d.createObjectStore('s'));
    const writes = spyWrites(state);
    const tx = db.transaction('s', 'readwrite');
    for (let i = 0; i < 5; i++) tx.objectStore('s').put(i, i);
    const seen = await new Promise<number>((resolve) => {
      tx.addEventListener('complete', () => resolve(writes.length));
    });
    expect(seen).toBe(1);
    expect(writes[0]).toHaveLength(5);
  });

  it('a failed journal write aborts the transaction and leaves memory as it was', async () => {
    const state = new MemoryStateStore();
    const db = await open(await openJournaledIndexedDB(state), 'db', 1, (d) => d.createObjectStore('s'));
    await run(db, ['s'], (tx) => tx.objectStore('s').put('old', 1));
    const write = state.write.bind(state);
    state.write = () => {
      throw new Error('disk full');
    };
    await expect(run(db, ['s'], (tx) => tx.objectStore('s').put('new', 1))).rejects.toThrow();
    state.write = write;
    expect(await getAll(db, 's')).toEqual(['old']);
  });

  it('deleteDatabase, deleteObjectStore, deleteIndex, a rename and a version upgrade persist', async () => {
    const state = new MemoryStateStore();
    const factory = await openJournaledIndexedDB(state);
    const gone = await open(factory, 'gone', 1, (d) => d.createObjectStore('s'));
    await run(gone, ['s'], (tx) => tx.objectStore('s').put(1, 1));
    gone.close();
    await done(factory.deleteDatabase('gone'));

    const v1 = await open(factory, 'db', 1, (d) => {
      d.createObjectStore('old').createIndex('i', 'x');
      d.createObjectStore('drop');
    });
    await run(v1, ['old', 'drop'], (tx) => {
      tx.objectStore('old').put({ x: 1 }, 'k');
      tx.objectStore('drop').put('bye', 'k');
    });
    v1.close();
    const v2 = await open(factory, 'db', 2, (d, tx) => {
      d.deleteObjectStore('drop');
      const store = tx.objectStore('old');
      store.deleteIndex('i');
      store.name = 'renamed';
      store.createIndex('j', 'x');
      d.createObjectStore('drop').put('new', 'k2');
    });
    v2.close();

    const fresh = await openJournaledIndexedDB(state);
    expect((await fresh.databases()).map((d) => d.name)).toEqual(['db']);
    const again = await open(fresh, 'db');
    expect(again.version).toBe(2);
    expect([...again.objectStoreNames]).toEqual(['drop', 'renamed']);
    const store = again.transaction('renamed').objectStore('renamed');
    expect([...store.indexNames]).toEqual(['j']);
    expect(await done(store.index('j').getKey(1))).toBe('k');
    expect(await getAll(again, 'drop')).toEqual(['new']);
    // Nothing of the deleted database or store is left behind in the state.
    expect(state.list('idb:r:0:gone')).toEqual([]);
    expect(state.list('idb:r:1:db')).toEqual([]);
  });

  it('two factories are independent, on one state store with two namespaces too', async () => {
    const state = new MemoryStateStore();
    const a = await openJournaledIndexedDB(state, { ns: 'a' });
    const b = await openJournaledIndexedDB(state, { ns: 'b' });
    const da = await open(a, 'db', 1, (d) => d.createObjectStore('s'));
    const db = await open(b, 'db', 1, (d) => d.createObjectStore('s'));
    await run(da, ['s'], (tx) => tx.objectStore('s').put('A', 1));
    await run(db, ['s'], (tx) => tx.objectStore('s').put('B', 1));
    expect(await getAll(da, 's')).toEqual(['A']);
    expect(await getAll(db, 's')).toEqual(['B']);
    expect(await getAll(await open(await openJournaledIndexedDB(state, { ns: 'a' }), 'db'), 's')).toEqual(['A']);
    expect(await getAll(await open(await openJournaledIndexedDB(state, { ns: 'b' }), 'db'), 's')).toEqual(['B']);
  });

  it('a plain fake-indexeddb factory is not journaled', async () => {
    const state = new MemoryStateStore();
    await openJournaledIndexedDB(state); // installs the hooks
    const writes = spyWrites(state);
    const db = await open(new IDBFactory(), 'db', 1, (d) => d.createObjectStore('s'));
    await run(db, ['s'], (tx) => tx.objectStore('s').put(1, 1));
    expect(writes).toEqual([]);
  });
});

describe('withGlobalIndexedDB', () => {
  it('sets the global for one call at a time; a database opened through it stays with its factory', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    const stateA = new MemoryStateStore();
    const stateB = new MemoryStateStore();
    const a = await openJournaledIndexedDB(stateA);
    const b = await openJournaledIndexedDB(stateB);
    const order: string[] = [];
    const openVia = (name: string, factory: IDBFactory) =>
      withGlobalIndexedDB(factory, async () => {
        order.push(`${name} in`);
        expect(globalThis.indexedDB).toBe(factory);
        const db = await open(globalThis.indexedDB, 'matrix-js-sdk::crypto', 1, (d) => d.createObjectStore('s'));
        await new Promise((r) => setTimeout(r, 10));
        order.push(`${name} out`);
        return db;
      });
    const [dbA, dbB] = await Promise.all([openVia('A', a), openVia('B', b)]);
    expect(order).toEqual(['A in', 'A out', 'B in', 'B out']);
    expect(Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')).toEqual(before);
    // Later writes go to the database each one opened, wherever the global points now.
    await withGlobalIndexedDB(b, async () => {
      await run(dbA, ['s'], (tx) => tx.objectStore('s').put('from A', 1));
    });
    await run(dbB, ['s'], (tx) => tx.objectStore('s').put('from B', 1));
    expect(await getAll(await open(await openJournaledIndexedDB(stateA), 'matrix-js-sdk::crypto'), 's')).toEqual(['from A']);
    expect(await getAll(await open(await openJournaledIndexedDB(stateB), 'matrix-js-sdk::crypto'), 's')).toEqual(['from B']);
  });

  it('restores the global when fn throws, and the next call still runs', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    const factory = await openJournaledIndexedDB(new MemoryStateStore());
    await expect(withGlobalIndexedDB(factory, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')).toEqual(before);
    expect(await withGlobalIndexedDB(factory, async () => 7)).toBe(7);
  });
});

describe('key encoding', () => {
  const keys: IDBValidKey[] = [-Infinity, -1.5, 0, 1, 2 ** 40, Infinity, new Date(-1), new Date(3), '', 'a', 'a\u0000', 'ab', 'b', '\ud83d\ude00', new Uint8Array([]).buffer, new Uint8Array([0]).buffer, new Uint8Array([0, 1]).buffer, new Uint8Array([255]).buffer, [], [1], [1, 'a'], ['a'], [[]]];

  it('round-trips and sorts like IndexedDB', () => {
    const encoded = keys.map(encodeKey);
    expect(encoded.map(decodeKey)).toEqual(keys);
    expect([...encoded].sort()).toEqual(encoded);
    expect(encodeKey(-0)).toBe(encodeKey(0));
  });
});

/** Records every batch written to `state` from now on. */
function spyWrites(state: MemoryStateStore): (readonly StateWrite[])[] {
  const writes: (readonly StateWrite[])[] = [];
  const write = state.write.bind(state);
  state.write = (ops) => {
    writes.push(ops);
    write(ops);
  };
  return writes;
}
