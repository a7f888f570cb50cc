import type { SecurityFacts } from '../../adapters/contract.ts';
import { parseFacts } from '../ingest/validate.ts';
import type { Db } from './open.ts';
import { pluck, stmt } from './statements.ts';

/**
 * Messages refer to their security facts by id: a profile sees a handful of distinct fact sets,
 * and storing the JSON on each of a million messages doubled the text stored (bench/).
 */
/**
 * Parsed facts by id. Only ids read back from the database are cached, never ids being written:
 * a write can still roll back (one bad event's savepoint) and its id be reused.
 */
const parsedById = new WeakMap<Db, Map<number, SecurityFacts | null>>();

/** The same facts always serialise the same way, whatever order an adapter built them in. */
export function canonicalFacts(f: SecurityFacts): string {
  return JSON.stringify({
    transport: f.transport,
    endToEnd: f.endToEnd,
    forwardSecrecy: f.forwardSecrecy,
    identity: f.identity,
    metadataProtection: f.metadataProtection,
    postQuantum: f.postQuantum,
    downgradeResistant: f.downgradeResistant,
    ...(f.serverPlaintext !== undefined ? { serverPlaintext: f.serverPlaintext } : {}),
  });
}

/** The id of a fact set, stored on first sight. */
export function factsIdOf(db: Db, facts: SecurityFacts | null): number | null {
  if (facts === null) return null;
  const json = canonicalFacts(facts);
  const found = pluck(db, 'SELECT id FROM security_facts WHERE json = ?').get(json) as number | undefined;
  return found ?? (pluck(db, 'INSERT INTO security_facts (json) VALUES (?) RETURNING id').get(json) as number);
}

/** The facts behind an id, or null for none (or a damaged row). */
export function factsById(db: Db, id: number | null): SecurityFacts | null {
  if (id === null) return null;
  let cache = parsedById.get(db);
  if (!cache) parsedById.set(db, (cache = new Map<number, SecurityFacts | null>()));
  if (cache.has(id)) return cache.get(id) ?? null;
  const row = stmt(db, 'SELECT json FROM security_facts WHERE id = ?').get(id) as { json: string } | undefined;
  const facts = parseFacts(row?.json ?? null);
  if (db.inTransaction) return facts;
  cache.set(id, facts);
  return facts;
}
