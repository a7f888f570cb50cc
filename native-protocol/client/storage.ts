/**
 * Where the client keeps its state: keys, sessions, relationships, invites, mailboxes. A small
 * synchronous key-value interface so any embedded store fits (core gives each native account one
 * in its profile database; tests use `MemoryStorage`). `write` must apply all its operations
 * atomically: the client relies on that to advance a session and record what it decrypted together.
 */

export interface StorageWrite {
  ns: string;
  key: string;
  /** `null` deletes. */
  value: Uint8Array | null;
}

export interface ClientStorage {
  get(ns: string, key: string): Uint8Array | undefined;
  /** Every entry of a namespace, by key order. */
  list(ns: string): [key: string, value: Uint8Array][];
  write(ops: readonly StorageWrite[]): void;
}

/** In-memory storage for tests and benchmarks. `failNextWrite` simulates a crash before a commit. */
export class MemoryStorage implements ClientStorage {
  private readonly data = new Map<string, Map<string, Uint8Array>>();

  get(ns: string, key: string): Uint8Array | undefined {
    return this.data.get(ns)?.get(key);
  }

  list(ns: string): [string, Uint8Array][] {
    const m = this.data.get(ns);
    if (!m) return [];
    return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  write(ops: readonly StorageWrite[]): void {
    for (const op of ops) {
      let m = this.data.get(op.ns);
      if (!m) this.data.set(op.ns, (m = new Map<string, Uint8Array>()));
      if (op.value === null) m.delete(op.key);
      else m.set(op.key, op.value.slice());
    }
  }
}

/**
 * A transaction over a `ClientStorage`: reads see its own writes, nothing reaches the storage until
 * `commit`, which writes everything in one `write`. Used around libsignal calls, whose stores write
 * as they go, so a decrypt and what it produced land together or not at all.
 */
export class Tx implements ClientStorage {
  private readonly pending = new Map<string, StorageWrite>();
  /** Values read from the base once: a batch reads one session record many times. */
  private readonly reads = new Map<string, Uint8Array | undefined>();
  /** Decoded records by key, for `decodedOnce`; dropped when the key is written. */
  private readonly decoded = new Map<string, unknown>();

  constructor(readonly base: ClientStorage) {}

  get(ns: string, key: string): Uint8Array | undefined {
    const k = `${ns}\u0000${key}`;
    const w = this.pending.get(k);
    if (w) return w.value ?? undefined;
    if (this.reads.has(k)) return this.reads.get(k);
    const v = this.base.get(ns, key);
    this.reads.set(k, v);
    return v;
  }

  list(ns: string): [string, Uint8Array][] {
    const merged = new Map<string, Uint8Array>(this.base.list(ns));
    for (const w of this.pending.values()) {
      if (w.ns !== ns) continue;
      if (w.value === null) merged.delete(w.key);
      else merged.set(w.key, w.value);
    }
    return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  put(ns: string, key: string, value: Uint8Array | null): void {
    const k = `${ns}\u0000${key}`;
    this.pending.set(k, { ns, key, value });
    this.decoded.delete(k);
  }

  /**
   * The decoded form of a value, decoded once per transaction. Callers must treat it as read-only
   * (or write it back with `put`, which drops the cached form).
   */
  decodedOnce<T>(ns: string, key: string, decode: (raw: Uint8Array) => T): T | null {
    const k = `${ns}\u0000${key}`;
    if (this.decoded.has(k)) return this.decoded.get(k) as T;
    // A nested transaction that has not written the key shares its parent's decoded form.
    if (!this.pending.has(k) && this.base instanceof Tx) return this.base.decodedOnce(ns, key, decode);
    const raw = this.get(ns, key);
    const v = raw ? decode(raw) : null;
    this.decoded.set(k, v);
    return v;
  }

  /** Buffers the writes (a nested transaction commits into its parent this way). */
  write(ops: readonly StorageWrite[]): void {
    for (const op of ops) this.put(op.ns, op.key, op.value);
  }

  get size(): number {
    return this.pending.size;
  }

  commit(): void {
    if (this.pending.size === 0) return;
    this.base.write([...this.pending.values()]);
    this.pending.clear();
  }
}
