import type { AdapterStateStore, StateWrite } from '../../adapters/contract.ts';
import type { Db } from './open.ts';
import { pluck, stmt } from './statements.ts';

/**
 * The durable key-value store of one account's adapter, in the profile database (`adapter_state`).
 * Values are bytes; removing the account removes its state (ON DELETE CASCADE).
 */
export function adapterStateStore(db: Db, accountId: string): AdapterStateStore {
  const writeAll = db.transaction((ops: readonly StateWrite[]) => {
    const put = stmt(
      db,
      `INSERT INTO adapter_state (account_id, ns, key, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, ns, key) DO UPDATE SET value = excluded.value`,
    );
    const remove = stmt(db, 'DELETE FROM adapter_state WHERE account_id = ? AND ns = ? AND key = ?');
    for (const op of ops) {
      if (typeof op.ns !== 'string' || typeof op.key !== 'string') throw new TypeError('adapter state: ns and key must be strings');
      if (op.value === null) remove.run(accountId, op.ns, op.key);
      else if (op.value instanceof Uint8Array) put.run(accountId, op.ns, op.key, op.value);
      else throw new TypeError('adapter state: a value must be a Uint8Array, or null to delete');
    }
  });
  return {
    get(ns, key) {
      const v = pluck(db, 'SELECT value FROM adapter_state WHERE account_id = ? AND ns = ? AND key = ?').get(accountId, ns, key) as
        | Buffer
        | undefined;
      return v === undefined ? undefined : bytes(v);
    },
    list(ns) {
      const rows = stmt(db, 'SELECT key, value FROM adapter_state WHERE account_id = ? AND ns = ? ORDER BY key').all(accountId, ns) as {
        key: string;
        value: Buffer;
      }[];
      return rows.map((r) => [r.key, bytes(r.value)]);
    },
    write(ops) {
      if (ops.length > 0) writeAll(ops);
    },
  };
}

/**
 * A plain Uint8Array copy with its own exact ArrayBuffer: a Buffer may sit in a shared pool, and
 * an adapter that reads `.buffer` must not see (or keep alive) other bytes.
 */
function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b);
}
