/** Turns a benchmark result into the printed tables. */
import type { BenchResult } from './benchmark.ts';
import { QUERY_KINDS } from './queries.ts';

export interface Row {
  metric: string;
  sb: number;
  base: number | null;
  unit: string;
  /** Lower is better (times, sizes) or higher is better (rates). */
  better: 'lower' | 'higher';
  target: number | null;
}

const MB = 1024 * 1024;

/** The headline rows: every figure beside its baseline and target. */
export function headlineRows(r: BenchResult): Row[] {
  const q = r.query;
  const rows: Row[] = [
    { metric: 'ingest (push + flush, 2 000/batch)', sb: r.ingest.perSecond, base: r.ingestBaseline.perSecond, unit: 'msg/s', better: 'higher', target: 2_000 },
    { metric: 'cold start: createCore+start+first inbox page', sb: q.coldStartMs, base: q.coldStartBaselineMs, unit: 'ms', better: 'lower', target: 1_000 },
  ];
  if (r.isolated) {
    rows.push({ metric: '  same, from process start (node + tsx compile)', sb: q.firstPageAtMs, base: null, unit: 'ms', better: 'lower', target: null });
  }
  rows.push(
    { metric: 'inbox first page (50), warm, median', sb: q.inboxWarm.sb.p50, base: q.inboxWarm.base.p50, unit: 'ms', better: 'lower', target: null },
    { metric: `open conversation (${q.bigConversationMessages} msgs), newest 50, p50`, sb: q.pageNewest.sb.p50, base: q.pageNewest.base.p50, unit: 'ms', better: 'lower', target: 100 },
    { metric: '  newest 50, p95', sb: q.pageNewest.sb.p95, base: q.pageNewest.base.p95, unit: 'ms', better: 'lower', target: 100 },
    { metric: `  page at depth ${q.pageDeep.depth} (cursor), p50`, sb: q.pageDeep.sb.p50, base: q.pageDeep.base.p50, unit: 'ms', better: 'lower', target: 100 },
    { metric: '  page at depth (cursor), p95', sb: q.pageDeep.sb.p95, base: q.pageDeep.base.p95, unit: 'ms', better: 'lower', target: 100 },
    { metric: `search top 50, all queries (n=${q.search.all.sb.n}), p50`, sb: q.search.all.sb.p50, base: q.search.all.base.p50, unit: 'ms', better: 'lower', target: null },
    { metric: '  all queries, p95', sb: q.search.all.sb.p95, base: q.search.all.base.p95, unit: 'ms', better: 'lower', target: 50 },
    { metric: '  all queries, p99', sb: q.search.all.sb.p99, base: q.search.all.base.p99, unit: 'ms', better: 'lower', target: 100 },
    { metric: `search, common words (n=${q.search.byKind.common.sb.n}), p50`, sb: q.search.byKind.common.sb.p50, base: q.search.byKind.common.base.p50, unit: 'ms', better: 'lower', target: null },
    { metric: '  common words, p95', sb: q.search.byKind.common.sb.p95, base: q.search.byKind.common.base.p95, unit: 'ms', better: 'lower', target: 50 },
    { metric: '  common words, p99', sb: q.search.byKind.common.sb.p99, base: q.search.byKind.common.base.p99, unit: 'ms', better: 'lower', target: 100 },
    { metric: 'database on disk (main + WAL, checkpointed)', sb: r.dbBytes / MB, base: r.ingestBaseline.bytes / MB, unit: 'MB', better: 'lower', target: null },
    { metric: 'RSS after ingest (ingesting process)', sb: r.rssAfterIngestMb, base: null, unit: 'MB', better: 'lower', target: 350 },
    { metric: `RSS after reopen + first page${r.isolated ? ' (fresh process)' : ''}`, sb: q.rssAfterReopenMb, base: null, unit: 'MB', better: 'lower', target: 350 },
    { metric: '  RSS after pages + searches', sb: q.rssAfterQueriesMb, base: null, unit: 'MB', better: 'lower', target: 350 },
  );
  return rows;
}

export function verdict(row: Row): 'PASS' | 'MISS' | 'info' {
  if (row.target === null) return 'info';
  const ok = row.better === 'higher' ? row.sb >= row.target : row.sb <= row.target;
  return ok ? 'PASS' : 'MISS';
}

function fmt(n: number | null): string {
  if (n === null || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(r: BenchResult): string {
  const q = r.query;
  const out: string[] = [];
  out.push('', `Switchboard benchmark: ${r.plan.conversations.toLocaleString('en-US')} conversations, ${r.plan.messages.toLocaleString('en-US')} messages`);
  out.push(
    table(
      ['metric', 'Switchboard', 'baseline', 'ratio SB/base', 'unit', 'target', 'meets'],
      headlineRows(r).map((row) => [
        row.metric,
        fmt(row.sb),
        fmt(row.base),
        row.base ? `${(row.sb / row.base).toFixed(2)}×` : '—',
        row.unit,
        row.target === null ? '—' : `${row.better === 'higher' ? '≥' : '≤'} ${fmt(row.target)}`,
        verdict(row),
      ]),
    ),
  );
  out.push(
    '',
    'Baselines: ingest = raw better-sqlite3 INSERTs of the same rows into a bare table (UNIQUE uuidv7 id) with an FTS5 index, 1 000 per transaction;',
    'cold start = open a raw read-only connection + the inbox SQL; pages = the same SELECT prepared once on the core\'s connection;',
    'search = raw FTS5 MATCH (the same FTS expression Switchboard builds) ORDER BY rank LIMIT 50 on the core\'s connection.',
    '',
    'Search by kind (ms)',
    table(
      ['kind', 'n', 'SB p50', 'SB p95', 'SB p99', 'raw rank p50', 'raw rank p95'],
      QUERY_KINDS.map((k) => {
        const p = q.search.byKind[k];
        return [k, String(p.sb.n), fmt(p.sb.p50), fmt(p.sb.p95), fmt(p.sb.p99), fmt(p.base.p50), fmt(p.base.p95)];
      }),
    ),
    '',
    'Search per query (medians, ms)',
    table(
      ['query', 'kind', 'hits', 'SB', 'raw rank'],
      q.search.perQuery.map((p) => [JSON.stringify(p.query), p.kind, String(p.hits), fmt(p.sbMedianMs), fmt(p.baseMedianMs)]),
    ),
    '',
    `Matches: ${Object.entries(q.commonMatches).map(([w, n]) => `"${w}" ${n.toLocaleString('en-US')}`).join(', ')} of ${r.ingest.messagesStored.toLocaleString('en-US')} messages; ` +
      `raw FTS5 MATCH 'the' ORDER BY rank LIMIT 50 (exact term, PERFORMANCE.md measured 233 ms): ${fmt(q.rawRankTheMs)} ms`,
    `Counts: fed ${r.ingest.messagesFed} messages / ${r.ingest.conversationsFed} conversations, stored ${r.ingest.messagesStored} / ${r.ingest.conversationsStored}; ` +
      `seeded word hits ${q.seededHits}; first inbox page ${q.firstPageItems} conversations`,
    `Ingest time: Switchboard ${fmt(r.ingest.seconds)} s, baseline ${fmt(r.ingestBaseline.seconds)} s` +
      (q.modulesLoadedMs !== undefined ? `; query process loaded its modules ${fmt(q.modulesLoadedMs)} ms after start` : ''),
  );
  out.push(
    `Storage: body text ${fmt(q.storage.bodyMb)} MB, shared security-facts JSON ${fmt(q.storage.factsMb)} MB; largest objects: ` +
      q.storage.objects.map((o) => `${o.name} ${fmt(o.mb)} MB`).join(', '),
  );
  if (q.search.errors.length > 0) out.push(`Search errors (${q.search.errors.length}): ${q.search.errors.slice(0, 5).join(' | ')}`);
  out.push('', 'Query plans');
  for (const [name, plan] of Object.entries(q.plans)) out.push(`  ${name}: ${plan}`);
  out.push('', `Whole run ${fmt(r.wallSeconds)} s${r.kept ? `; kept ${r.dir}` : ''}`);
  return out.join('\n');
}
