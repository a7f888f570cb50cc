import { describe, expect, it } from 'vitest';
import type { AdapterStateStore, StateWrite } from '../contract.ts';
import { MemoryStateStore } from './autocrypt/memory-store.ts';
import { LruCache } from './lru-cache.ts';
import { MailState, type MailboxCursor, type RoomState, type ThreadState } from './mail-state.ts';

/** A memory store that counts reads and writes, and can be told to fail its next write. */
class CountingStore implements AdapterStateStore {
  readonly inner = new MemoryStateStore();
  gets = 0;
  writes: StateWrite[][] = [];
  failNext = false;
  get(ns: string, key: string): Uint8Array | undefined {
    this.gets++;
    return this.inner.get(ns, key);
  }
  list(ns: string): [string, Uint8Array][] {
    return this.inner.list(ns);
  }
  write(ops: readonly StateWrite[]): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.writes.push([...ops]);
    this.inner.write(ops);
  }
}

const thread = (at: number, id = `m${at}@example.org`): ThreadState => ({ subject: 'hi', lastMessageId: id, references: [id], encrypted: false, at });

describe('MailState', () => {
  it('reads each key from the store once, values and absences alike', () => {
    const store = new CountingStore();
    const seed = new MailState(store);
    seed.setPeer('Bob@example.org', thread(1));
    seed.flush();
    const state = new MailState(store);
    store.gets = 0;
    for (let i = 0; i < 3; i++) {
      expect(state.peer('bob@example.org')?.at).toBe(1);
      expect(state.peer('carol@example.org')).toBeNull();
      expect(state.rootOf('<nope@example.org>')).toBeNull();
      expect(state.isKnown('bob@example.org')).toBe(false);
    }
    expect(store.gets).toBe(4);
  });

  it('shows writes to its own reads before they are flushed, and flushes them in one write', () => {
    const store = new CountingStore();
    const state = new MailState(store);
    state.setRoot('a@x', 'root@x');
    state.addKnown('Ann@Example.org');
    state.setRoom('root@x', { ...thread(5), participants: ['ann@example.org', 'bob@example.org'], title: 'Plans' });
    expect(state.rootOf('a@x')).toBe('root@x');
    expect(state.isKnown('ann@example.org')).toBe(true);
    expect(state.room('root@x')?.participants).toEqual(['ann@example.org', 'bob@example.org']);
    expect(store.writes).toHaveLength(0);
    expect(new MailState(store).rootOf('a@x')).toBeNull();

    state.flush();
    expect(store.writes).toHaveLength(1);
    const fresh = new MailState(store);
    expect(fresh.rootOf('a@x')).toBe('root@x');
    expect(fresh.isKnown('ANN@example.org')).toBe(true);
    expect(fresh.room('root@x')).toEqual(state.room('root@x'));
    // Adding a known address twice writes it once.
    state.addKnown('ann@example.org');
    state.flush();
    expect(store.writes).toHaveLength(1);
  });

  it('reads back what the store would give, not the object it was handed, and freezes what it hands out', () => {
    const state = new MailState(new MemoryStateStore());
    const cur: MailboxCursor = { uidValidity: '7', lastUid: 10, initialBelow: 0, bodiesBelow: undefined, windowStart: 1, highestModseq: null };
    state.setCursor('INBOX', cur);
    cur.lastUid = 99; // the caller's object is its own
    const read = state.cursor('INBOX');
    expect(read).toEqual({ uidValidity: '7', lastUid: 10, initialBelow: 0, windowStart: 1, highestModseq: null });
    expect(read && 'bodiesBelow' in read).toBe(false);
    expect(() => {
      (read as MailboxCursor).lastUid = 11;
    }).toThrow(TypeError);
    state.setRoom('r', { ...thread(1), participants: ['a@x'], title: 't' });
    expect(() => (state.room('r') as RoomState).participants.push('b@x')).toThrow(TypeError);
  });

  it('keeps nothing of a flush that failed: reads go back to what the store holds', () => {
    const store = new CountingStore();
    const state = new MailState(store);
    state.setPeer('bob@example.org', thread(1));
    state.flush();
    state.setPeer('bob@example.org', thread(2));
    state.setRoot('new@x', 'new@x');
    store.failNext = true;
    expect(() => state.flush()).toThrow('disk full');
    expect(state.peer('bob@example.org')?.at).toBe(1);
    expect(state.rootOf('new@x')).toBeNull();
    state.flush(); // nothing left over to write
    expect(store.writes).toHaveLength(1);
  });

  it('does not keep message locations or sent bytes in memory, but sees them before the flush', () => {
    const store = new CountingStore();
    const state = new MailState(store);
    state.setWhere('m@x', { mailbox: 'INBOX', uidValidity: '1', uid: 4 });
    expect(state.where('m@x')?.uid).toBe(4);
    state.flush();
    store.gets = 0;
    expect(state.where('m@x')?.uid).toBe(4);
    expect(state.where('m@x')?.uid).toBe(4);
    expect(store.gets).toBe(2);
  });

  it('commits writes staged by others with its next flush and says how it went', () => {
    const store = new CountingStore();
    const state = new MailState(store);
    const outcomes: boolean[] = [];
    state.setRoot('a@x', 'a@x');
    state.stage([{ ns: 'other', key: 'k', value: new Uint8Array([1]) }], (ok) => outcomes.push(ok));
    expect(outcomes).toEqual([]);
    state.flush();
    expect(outcomes).toEqual([true]);
    expect(store.writes).toEqual([[expect.objectContaining({ ns: 'email-root' }), expect.objectContaining({ ns: 'other', key: 'k' })]]);

    state.stage([{ ns: 'other', key: 'k2', value: new Uint8Array([2]) }], (ok) => outcomes.push(ok));
    store.failNext = true;
    expect(() => state.flush()).toThrow('disk full');
    expect(outcomes).toEqual([true, false]);
    state.stage([], (ok) => outcomes.push(ok));
    expect(outcomes).toEqual([true, false, true]);
  });

  it('keeps the send journal as before', () => {
    const store = new MemoryStateStore();
    const state = new MailState(store);
    const raw = new TextEncoder().encode('mail');
    state.composed('c1', { messageId: 'id1@x', stage: 'composed', sentAt: 1, encrypted: false }, raw);
    expect(new MailState(store).clientIdOf('id1@x')).toBe('c1');
    expect(state.clientIdOf('id1@x')).toBe('c1');
    state.advanceSent('c1', { messageId: 'id1@x', stage: 'sent', sentAt: 1, encrypted: false });
    expect(state.pendingSent()).toEqual(['c1']);
    expect(new TextDecoder().decode(state.rawOf('c1') ?? new Uint8Array())).toBe('mail');
    state.advanceSent('c1', { messageId: 'id1@x', stage: 'stored', sentAt: 1, encrypted: false });
    expect(state.rawOf('c1')).toBeNull();
    expect(state.pendingSent()).toEqual([]);
    expect(new MailState(store).sent('c1')?.stage).toBe('stored');
  });
});

describe('LruCache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
    const none = new LruCache<number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
  });
});
