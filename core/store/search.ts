import type { Db } from './open.ts';
import { stmt } from './statements.ts';

/** Most words a query keeps; more add nothing a person would notice and cost time. */
const MAX_TERMS = 16;
/** Above this many matches, ranking every match costs too much (see PERFORMANCE.md): newest first. */
export const RANK_CANDIDATE_CAP = 5_000;

/**
 * Turns whatever a person typed into a safe FTS5 query: words (letters, digits, marks) each quoted,
 * all required, the last one as a prefix. Punctuation, operators, quotes, `:)`, `{}` and emoji
 * are separators, never syntax, so no input can raise an FTS syntax error. Null: nothing to find.
 */
export function toFtsQuery(input: string): string | null {
  const words = input.normalize('NFKC').match(/[\p{L}\p{N}\p{M}]+/gu);
  if (!words || words.length === 0) return null;
  const kept = words.slice(0, MAX_TERMS);
  return kept.map((w, i) => `"${w}"${i === kept.length - 1 ? '*' : ''}`).join(' ');
}

export interface SearchRow {
  seq: number;
  snippet: string;
}

/**
 * Finds messages: best-ranked first when the match set is small enough to rank, newest first when
 * a common word matches too many messages to rank in time.
 */
export function searchMessages(db: Db, input: string, limit: number): SearchRow[] {
  const q = toFtsQuery(input);
  if (q === null) return [];
  const count = (
    stmt(db, 'SELECT count(*) AS n FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)')
      .get(q, RANK_CANDIDATE_CAP) as { n: number }
  ).n;
  if (count === 0) return [];
  const order = count < RANK_CANDIDATE_CAP ? 'rank' : 'rowid DESC';
  return stmt(db, 
      `SELECT rowid AS seq, snippet(messages_fts, 0, char(1), char(2), '…', 16) AS snippet
       FROM messages_fts WHERE messages_fts MATCH ? ORDER BY ${order} LIMIT ?`,
    )
    .all(q, limit) as SearchRow[];
}
