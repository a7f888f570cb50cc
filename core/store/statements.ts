import type { Statement } from 'better-sqlite3';
import type { Db } from './open.ts';

/**
 * Prepared statements, compiled once per database and SQL text. better-sqlite3 does not cache,
 * and compiling on every call cost a third of ingest time (bench/). Plucking statements are
 * cached apart, because `.pluck()` changes a statement for every later user.
 */
const caches = new WeakMap<Db, Map<string, Statement>>();

function cached(db: Db, key: string, make: () => Statement): Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map<string, Statement>()));
  let s = cache.get(key);
  if (!s) cache.set(key, (s = make()));
  return s;
}

/** A statement returning rows (or run for its effect). */
export function stmt(db: Db, sql: string): Statement {
  return cached(db, sql, () => db.prepare(sql));
}

/** A statement returning the first column's value only. */
export function pluck(db: Db, sql: string): Statement {
  return cached(db, '\u0000pluck\u0000' + sql, () => db.prepare(sql).pluck());
}
