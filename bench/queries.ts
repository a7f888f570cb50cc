/**
 * Phases 2–5 on an ingested profile: cold start to the first inbox page, warm inbox, opening and
 * scrolling a large conversation, search, RSS. Every Switchboard figure goes through
 * `core.call(...)` (validation, handler, view mapping); every baseline is the raw SQL on the same
 * connection. Run in a fresh process by bench/reopen.ts so the RSS is that of a core that only
 * opened the profile, not of the process that ingested it.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createCore } from '../core/create-core.ts';
import { encodeCursor } from '../core/store/cursor.ts';
import { DB_FILE } from '../core/store/open.ts';
import { toFtsQuery } from '../core/store/search.ts';
import { TestNetwork } from '../test/support/test-adapter.ts';
import { buildVocabulary, prng, SEEDED_WORD } from './corpus.ts';
import { msSince, rssMb, summarise, type Summary } from './stats.ts';

export type QueryKind = 'common' | 'content' | 'rare' | 'two-word' | 'prefix';
export const QUERY_KINDS: readonly QueryKind[] = ['common', 'content', 'rare', 'two-word', 'prefix'];

export interface BenchQuery {
  kind: QueryKind;
  text: string;
}

/** The search workload: what people type, from "the" to a word seen a few dozen times. */
export function searchQueries(vocabularySize: number): BenchQuery[] {
  const vocab = buildVocabulary(vocabularySize);
  const tail = (f: number) => vocab[Math.floor(vocab.length * f)]!;
  const rare = [tail(0.62), tail(0.71), tail(0.8), tail(0.9), tail(0.97)];
  const q = (kind: QueryKind, texts: string[]) => texts.map((text) => ({ kind, text }));
  return [
    ...q('common', ['the', 'and', 'to', 'you', 'of', 'is']),
    ...q('content', ['meeting', 'dinner', 'train', 'invoice', 'birthday', 'coffee', 'project', 'passport', 'umbrella', 'tennis']),
    ...q('rare', [SEEDED_WORD, ...rare]),
    ...q('two-word', ['meeting tomorrow', 'the train', 'see you', 'coffee tomorrow', 'thanks for dinner', `the ${rare[0]!}`, `invoice ${rare[1]!}`]),
    ...q('prefix', ['th', 'wh', 'mee', 'tomo', 'conf', 'pass', rare[2]!.slice(0, 4)]),
  ];
}

export interface QueryPhaseInput {
  profileDir: string;
  /** The peer address of the large conversation. */
  bigConversationAddress: string;
  vocabularySize: number;
  inboxIterations: number;
  pageIterations: number;
  /** Timed rounds over the whole query set (after one untimed warm-up round). */
  searchRounds: number;
  baselineSearchRounds: number;
}

export interface Paired {
  sb: Summary;
  base: Summary;
}

export interface PerQuery {
  kind: QueryKind;
  query: string;
  hits: number;
  sbMedianMs: number;
  baseMedianMs: number;
}

export interface QueryPhaseResult {
  /** createCore + start + first `conversations.list` page (50). */
  coldStartMs: number;
  /** Raw: open a connection and run the inbox SQL once. */
  coldStartBaselineMs: number;
  /** performance.now() when the first page arrived: since process start in a fresh process. */
  firstPageAtMs: number;
  firstPageItems: number;
  rssAfterReopenMb: number;
  rssAfterQueriesMb: number;
  inboxWarm: Paired;
  bigConversationMessages: number;
  pageNewest: Paired;
  pageDeep: Paired & { depth: number };
  search: { all: Paired; byKind: Record<QueryKind, Paired>; perQuery: PerQuery[]; errors: string[] };
  seededHits: number;
  /** Exact-term match counts of common words (how big "the" is). */
  commonMatches: Record<string, number>;
  /** Raw FTS5 `MATCH 'the' ORDER BY rank LIMIT 50` (exact term, as PERFORMANCE.md measured it). */
  rawRankTheMs: number;
  plans: Record<string, string>;
  /** Where the bytes are: the largest tables and indexes (dbstat), and two columns' raw size. */
  storage: { objects: { name: string; mb: number }[]; bodyMb: number; factsMb: number };
}

const INBOX_SQL = `SELECT c.*, m.body AS last_body FROM conversations c LEFT JOIN messages m ON m.seq = c.last_message_seq
  WHERE c.folder = 'inbox' ORDER BY c.pinned DESC, c.last_activity_at DESC, c.id DESC LIMIT 50`;
const PAGE_SQL = `SELECT * FROM messages WHERE conversation_id = ? ORDER BY sent_at DESC, seq DESC LIMIT 50`;
const PAGE_BEFORE_SQL = `SELECT * FROM messages WHERE conversation_id = ? AND (sent_at, seq) < (?, ?) ORDER BY sent_at DESC, seq DESC LIMIT 50`;
const RANK_SQL = `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank LIMIT 50`;

async function repeat(n: number, fn: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await fn();
    out.push(msSince(start));
  }
  return out;
}

function shuffled<T>(items: readonly T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export async function runQueryPhase(input: QueryPhaseInput, log: (line: string) => void = () => {}): Promise<QueryPhaseResult> {
  const file = join(input.profileDir, DB_FILE);

  // Cold start: nothing of this profile is in this process yet (the OS file cache is warm).
  const net = new TestNetwork();
  const coldStart = process.hrtime.bigint();
  const core = createCore({ profileDir: input.profileDir, registry: net.registry() });
  await core.start();
  const first = await core.call('conversations.list', { limit: 50 });
  const coldStartMs = msSince(coldStart);
  const firstPageAtMs = performance.now();
  const rssAfterReopenMb = rssMb();
  log(`cold start ${coldStartMs.toFixed(1)} ms, ${first.items.length} conversations on the first page`);

  const rawStart = process.hrtime.bigint();
  const raw = new Database(file, { readonly: true });
  raw.prepare(INBOX_SQL).all();
  const coldStartBaselineMs = msSince(rawStart);
  raw.close();

  try {
    const db = core.ctx.db;
    const inboxSb = await repeat(input.inboxIterations, () => core.call('conversations.list', { limit: 50 }));
    const inboxStmt = db.prepare(INBOX_SQL);
    const inboxBase = await repeat(input.inboxIterations, () => inboxStmt.all());

    // The large conversation, found by its peer's address.
    const bigId = db
      .prepare('SELECT c.id FROM conversations c JOIN identities i ON i.contact_id = c.contact_id WHERE i.address = ?')
      .pluck()
      .get(input.bigConversationAddress) as string | undefined;
    if (!bigId) throw new Error(`large conversation ${input.bigConversationAddress} not found`);
    const bigCount = db.prepare('SELECT count(*) FROM messages WHERE conversation_id = ?').pluck().get(bigId) as number;
    const newestSb = await repeat(input.pageIterations, () => core.call('messages.page', { conversationId: bigId, limit: 50 }));
    const pageStmt = db.prepare(PAGE_SQL);
    const newestBase = await repeat(input.pageIterations, () => pageStmt.all(bigId));

    const depth = Math.floor(bigCount / 2);
    const anchor = db
      .prepare('SELECT sent_at, seq FROM messages WHERE conversation_id = ? ORDER BY sent_at DESC, seq DESC LIMIT 1 OFFSET ?')
      .get(bigId, depth) as { sent_at: number; seq: number };
    const cursor = encodeCursor([anchor.sent_at, anchor.seq]);
    const deepSb = await repeat(input.pageIterations, () => core.call('messages.page', { conversationId: bigId, cursor, limit: 50 }));
    const beforeStmt = db.prepare(PAGE_BEFORE_SQL);
    const deepBase = await repeat(input.pageIterations, () => beforeStmt.all(bigId, anchor.sent_at, anchor.seq));
    log(`conversation pages: ${bigCount} messages, newest p50 ${summarise(newestSb).p50.toFixed(2)} ms`);

    // Search: one untimed warm-up round, then timed rounds in a shuffled order.
    const queries = searchQueries(input.vocabularySize);
    const rnd = prng(99);
    const sbTimes = new Map<BenchQuery, number[]>(queries.map((q) => [q, []]));
    const baseTimes = new Map<BenchQuery, number[]>(queries.map((q) => [q, []]));
    const hits = new Map<BenchQuery, number>();
    const errors: string[] = [];
    for (let round = 0; round <= input.searchRounds; round++) {
      for (const q of shuffled(queries, rnd)) {
        const start = process.hrtime.bigint();
        try {
          const r = await core.call('search', { query: q.text, limit: 50 });
          hits.set(q, r.length);
        } catch (e) {
          errors.push(`${q.text}: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (round > 0) sbTimes.get(q)!.push(msSince(start));
      }
    }
    log(`search: ${queries.length} queries × ${input.searchRounds} rounds done`);
    const rankStmt = db.prepare(RANK_SQL);
    for (let round = 0; round < input.baselineSearchRounds; round++) {
      for (const q of shuffled(queries, rnd)) {
        const fts = toFtsQuery(q.text);
        if (fts === null) continue;
        const start = process.hrtime.bigint();
        rankStmt.all(fts);
        baseTimes.get(q)!.push(msSince(start));
      }
    }
    log(`raw FTS5 rank baseline: ${input.baselineSearchRounds} rounds done`);
    const pool = (kinds: readonly QueryKind[], times: Map<BenchQuery, number[]>) =>
      queries.filter((q) => kinds.includes(q.kind)).flatMap((q) => times.get(q)!);
    const pair = (kinds: readonly QueryKind[]): Paired => ({ sb: summarise(pool(kinds, sbTimes)), base: summarise(pool(kinds, baseTimes)) });
    const byKind = Object.fromEntries(QUERY_KINDS.map((k) => [k, pair([k])])) as Record<QueryKind, Paired>;
    const perQuery: PerQuery[] = queries.map((q) => ({
      kind: q.kind,
      query: q.text,
      hits: hits.get(q) ?? -1,
      sbMedianMs: summarise(sbTimes.get(q)!).p50,
      baseMedianMs: summarise(baseTimes.get(q)!).p50,
    }));

    const seededHits = (await core.call('search', { query: SEEDED_WORD, limit: 500 })).length;
    const count = db.prepare('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?').pluck();
    const commonMatches: Record<string, number> = {};
    for (const w of ['the', 'and']) commonMatches[w] = count.get(`"${w}"`) as number;
    const rawRankTheMs = summarise(await repeat(3, () => rankStmt.all('the'))).p50;

    const plan = (sql: string, ...params: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
    const plans: Record<string, string> = {
      inbox: plan(INBOX_SQL),
      'messages.page': plan(PAGE_SQL, bigId),
      'messages.page (cursor)': plan(PAGE_BEFORE_SQL, bigId, 0, 0),
      'outbox.start': plan(`UPDATE messages SET status = 'queued' WHERE status = 'sending' AND id IN (SELECT message_id FROM outbox)`),
      'search hit row': plan('SELECT m.*, c.title FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.seq = ?', 1),
    };

    const rssAfterQueriesMb = rssMb();
    const storage = storageBreakdown(db);
    return {
      coldStartMs,
      coldStartBaselineMs,
      firstPageAtMs,
      firstPageItems: first.items.length,
      rssAfterReopenMb,
      rssAfterQueriesMb,
      inboxWarm: { sb: summarise(inboxSb), base: summarise(inboxBase) },
      bigConversationMessages: bigCount,
      pageNewest: { sb: summarise(newestSb), base: summarise(newestBase) },
      pageDeep: { sb: summarise(deepSb), base: summarise(deepBase), depth },
      search: { all: pair(QUERY_KINDS), byKind, perQuery, errors },
      seededHits,
      commonMatches,
      rawRankTheMs,
      plans,
      storage,
    };
  } finally {
    await core.close();
  }
}

/** The largest tables and indexes, how much is body text, and the shared security-facts JSON. */
function storageBreakdown(db: ReturnType<typeof createCore>['ctx']['db']): QueryPhaseResult['storage'] {
  let objects: { name: string; mb: number }[] = [];
  try {
    objects = db.prepare('SELECT name, sum(pgsize) / 1048576.0 AS mb FROM dbstat GROUP BY name ORDER BY mb DESC LIMIT 8').all() as typeof objects;
  } catch {
    // SQLite built without the dbstat table: the column sums below still say a lot.
  }
  const cols = db
    .prepare(
      `SELECT (SELECT sum(length(body)) FROM messages) / 1048576.0 AS bodyMb,
              (SELECT sum(length(json)) FROM security_facts) / 1048576.0 AS factsMb`,
    )
    .get() as {
    bodyMb: number | null;
    factsMb: number | null;
  };
  return { objects, bodyMb: cols.bodyMb ?? 0, factsMb: cols.factsMb ?? 0 };
}
