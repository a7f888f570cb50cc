import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapterStateStore } from './adapter-state.ts';
import { openDatabase, type Db } from './open.ts';
import { insertAccount } from './test-fixtures.ts';

const bytes = (...b: number[]) => new Uint8Array(b);

const open: Db[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function db(): Db {
  const d = openDatabase(':memory:');
  open.push(d);
  return d;
}

describe('adapterStateStore', () => {
  it('writes, reads back and overwrites bytes; an unknown key is undefined', () => {
    const d = db();
    const store = adapterStateStore(d, insertAccount(d));
    expect(store.get('keys', 'identity')).toBeUndefined();
    store.write([{ ns: 'keys', key: 'identity', value: bytes(1, 2, 3) }]);
    const got = store.get('keys', 'identity');
    expect(got).toEqual(bytes(1, 2, 3));
    // A plain Uint8Array with its own buffer, not a Node Buffer over a shared pool.
    expect(Buffer.isBuffer(got)).toBe(false);
    expect(got?.buffer.byteLength).toBe(3);
    store.write([{ ns: 'keys', key: 'identity', value: bytes(9) }]);
    expect(store.get('keys', 'identity')).toEqual(bytes(9));
  });

  it('keeps an empty value apart from a missing one', () => {
    const d = db();
    const store = adapterStateStore(d, insertAccount(d));
    store.write([{ ns: 'sync', key: 'cursor', value: new Uint8Array(0) }]);
    expect(store.get('sync', 'cursor')).toEqual(new Uint8Array(0));
    expect(store.list('sync')).toEqual([['cursor', new Uint8Array(0)]]);
  });

  it('deletes with value null (deleting a missing key is fine)', () => {
    const d = db();
    const store = adapterStateStore(d, insertAccount(d));
    store.write([{ ns: 'sessions', key: 'ada', value: bytes(1) }]);
    store.write([
      { ns: 'sessions', key: 'ada', value: null },
      { ns: 'sessions', key: 'never-there', value: null },
    ]);
    expect(store.get('sessions', 'ada')).toBeUndefined();
    expect(store.list('sessions')).toEqual([]);
  });

  it('lists one namespace by key order', () => {
    const d = db();
    const store = adapterStateStore(d, insertAccount(d));
    store.write([
      { ns: 'prekeys', key: '0003', value: bytes(3) },
      { ns: 'prekeys', key: '0001', value: bytes(1) },
      { ns: 'other', key: '0000', value: bytes(0) },
      { ns: 'prekeys', key: '0002', value: bytes(2) },
    ]);
    expect(store.list('prekeys')).toEqual([
      ['0001', bytes(1)],
      ['0002', bytes(2)],
      ['0003', bytes(3)],
    ]);
    expect(store.list('nothing')).toEqual([]);
  });

  it('keeps each account to its own state', () => {
    const d = db();
    const a = adapterStateStore(d, insertAccount(d));
    const b = adapterStateStore(d, insertAccount(d));
    a.write([{ ns: 'keys', key: 'identity', value: bytes(1) }]);
    b.write([{ ns: 'keys', key: 'identity', value: bytes(2) }]);
    expect(a.get('keys', 'identity')).toEqual(bytes(1));
    expect(b.get('keys', 'identity')).toEqual(bytes(2));
    b.write([{ ns: 'keys', key: 'identity', value: null }]);
    expect(a.list('keys')).toEqual([['identity', bytes(1)]]);
  });

  it('applies a write all or nothing', () => {
    const d = db();
    const store = adapterStateStore(d, insertAccount(d));
    store.write([{ ns: 'keys', key: 'old', value: bytes(1) }]);
    expect(() =>
      store.write([
        { ns: 'keys', key: 'new', value: bytes(2) },
        { ns: 'keys', key: 'old', value: null },
        { ns: 'keys', key: 'bad', value: 'not bytes' as unknown as Uint8Array },
      ]),
    ).toThrow(/must be a Uint8Array/);
    expect(store.list('keys')).toEqual([['old', bytes(1)]]);
  });

  it('compiles its statements once, not on every call', () => {
    const d = db();
    const store = adapterStateStore(d, insertAccount(d));
    store.write([{ ns: 'warm', key: 'up', value: bytes(0) }]);
    store.get('warm', 'up');
    store.list('warm');
    const prepare = vi.spyOn(d, 'prepare');
    const exec = vi.spyOn(d, 'exec');
    const ops = Array.from({ length: 100 }, (_, i) => ({ ns: 'bulk', key: String(i).padStart(3, '0'), value: bytes(i) }));
    store.write(ops);
    store.get('bulk', '000');
    store.list('bulk');
    expect(prepare).not.toHaveBeenCalled();
    expect(exec).not.toHaveBeenCalled();
    expect(store.list('bulk')).toHaveLength(100);
  });

  it('survives closing and reopening the profile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-state-'));
    dirs.push(dir);
    const first = openDatabase(dir);
    const accountId = insertAccount(first);
    adapterStateStore(first, accountId).write([{ ns: 'keys', key: 'identity', value: bytes(7, 7) }]);
    first.close();
    const again = openDatabase(dir);
    open.push(again);
    expect(adapterStateStore(again, accountId).get('keys', 'identity')).toEqual(bytes(7, 7));
  });

  it('goes with its account', () => {
    const d = db();
    const accountId = insertAccount(d);
    const store = adapterStateStore(d, accountId);
    store.write([{ ns: 'keys', key: 'identity', value: bytes(1) }]);
    d.prepare('DELETE FROM accounts WHERE id = ?').run(accountId);
    expect(store.list('keys')).toEqual([]);
    expect(d.prepare('SELECT count(*) FROM adapter_state').pluck().get()).toBe(0);
  });
});
