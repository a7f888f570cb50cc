/**
 * An in-memory `AdapterStateStore`, for tests and for tools that need Autocrypt state without core's
 * SQLite store. Same semantics: synchronous, `write` applies every op or none, `list` in key order.
 */
import type { AdapterStateStore, StateWrite } from '../../contract.ts';

/** A Map-backed adapter state store. */
export class MemoryStateStore implements AdapterStateStore {
  private readonly data = new Map<string, Map<string, Uint8Array>>();

  get(ns: string, key: string): Uint8Array | undefined {
    const value = this.data.get(ns)?.get(key);
    return value && value.slice(); // a copy, as a database read would be
  }

  list(ns: string): [key: string, value: Uint8Array][] {
    const entries: [string, Uint8Array][] = [...(this.data.get(ns)?.entries() ?? [])];
    return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.slice()]);
  }

  write(ops: readonly StateWrite[]): void {
    for (const op of ops) {
      let ns = this.data.get(op.ns);
      if (!ns) this.data.set(op.ns, (ns = new Map<string, Uint8Array>()));
      if (op.value === null) ns.delete(op.key);
      else ns.set(op.key, op.value.slice());
    }
  }
}
