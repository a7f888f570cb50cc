import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../email/autocrypt/memory-store.ts';
import { openJournaledIndexedDB } from './idb-journal.ts';
import { forgetOldDevice, journalNamespace } from './sdk.ts';

/** Writes one record into a database of a journaled factory (as the crypto store would). */
async function writeSomething(state: MemoryStateStore, deviceId: string): Promise<void> {
  const factory = await openJournaledIndexedDB(state, { ns: journalNamespace(deviceId) });
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open('crypto', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('keys');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(String(req.error)));
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('keys', 'readwrite');
    tx.objectStore('keys').put(new Uint8Array([1, 2, 3]), 'olm-account');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(new Error(String(tx.error)));
  });
  db.close();
}

const entries = (state: MemoryStateStore, deviceId: string) =>
  state.list(`${journalNamespace(deviceId)}:meta`).length + state.list(`${journalNamespace(deviceId)}:r:0:crypto`).length;

describe('forgetOldDevice', () => {
  it('keeps the stores of the current device and deletes those of a device replaced by a new login', async () => {
    const state = new MemoryStateStore();
    forgetOldDevice(state, 'DEVA', 'acct');
    await writeSomething(state, 'DEVA');
    expect(entries(state, 'DEVA')).toBe(2);
    forgetOldDevice(state, 'DEVA', 'acct');
    expect(entries(state, 'DEVA')).toBe(2);
    forgetOldDevice(state, 'DEVB', 'acct');
    expect(entries(state, 'DEVA')).toBe(0);
    await writeSomething(state, 'DEVB');
    expect(entries(state, 'DEVB')).toBe(2);
  });
});
