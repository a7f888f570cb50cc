/** Turns a relay benchmark result into the printed table (same columns as the core report). */
import type { RelayBenchResult, RelayPhase } from './relay.ts';
// Types only: the core report's module loads the core, which the relay benchmark does not need.
import type { Row } from './report.ts';

/** PERFORMANCE.md: relay store-and-forward, durable, loopback. */
export const RELAY_TARGET_PER_SECOND = 20_000;
export const RELAY_TARGET_P99_MS = 50;

export function relayRows(r: RelayBenchResult): Row[] {
  const s = r.saturating;
  const p = r.paced;
  return [
    { metric: `store-and-forward, saturating: deposit → fetched by owner`, sb: s.perSecond, base: r.baseline.perSecond, unit: 'msg/s', better: 'higher', target: RELAY_TARGET_PER_SECOND },
    { metric: '  latency deposit sent → fetched, p50', sb: s.latency.p50, base: null, unit: 'ms', better: 'lower', target: null },
    { metric: '  latency, p99', sb: s.latency.p99, base: null, unit: 'ms', better: 'lower', target: null },
    { metric: `paced at ${r.opts.pacedRate.toLocaleString('en-US')} msg/s offered: fetched`, sb: p.perSecond, base: null, unit: 'msg/s', better: 'higher', target: null },
    { metric: '  latency deposit sent → fetched, p50', sb: p.latency.p50, base: null, unit: 'ms', better: 'lower', target: null },
    { metric: '  latency, p95', sb: p.latency.p95, base: null, unit: 'ms', better: 'lower', target: null },
    { metric: '  latency, p99', sb: p.latency.p99, base: null, unit: 'ms', better: 'lower', target: RELAY_TARGET_P99_MS },
    { metric: '  latency, max', sb: p.latency.max, base: null, unit: 'ms', better: 'lower', target: null },
    { metric: 'relay process RSS at the end', sb: r.relayRssMb, base: null, unit: 'MB', better: 'lower', target: null },
  ];
}

/** PASS / MISS against the target, as in the core report. */
export function verdict(row: Row): 'PASS' | 'MISS' | 'info' {
  if (row.target === null) return 'info';
  return (row.better === 'higher' ? row.sb >= row.target : row.sb <= row.target) ? 'PASS' : 'MISS';
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

function phaseLine(name: string, p: RelayPhase): string {
  return (
    `${name}: ${p.messages.toLocaleString('en-US')} messages in ${fmt(p.seconds)} s; ${p.depositFrames.toLocaleString('en-US')} deposit frames, ` +
    `${p.fetches.toLocaleString('en-US')} fetch frames (${fmt(p.messages / Math.max(p.fetches, 1))} msg each), ${p.acks.toLocaleString('en-US')} ack frames; ` +
    `relay CPU ${fmt(p.relayCpu)} % of one core; relay disk writes ${fmt(p.diskBytesPerMessage / 1024)} KiB per message`
  );
}

export function formatRelayReport(r: RelayBenchResult): string {
  const o = r.opts;
  return [
    '',
    `Relay benchmark: ${o.mailboxes.toLocaleString('en-US')} mailboxes, ${o.blobBytes} B blobs, ${o.senders} sender connections, one owner connection ` +
      `(subscribed to all, fetch on waiting, ack; ${o.receiver === 'batch' ? `fetch-many of up to ${o.mailboxesPerFetch} mailboxes, ${o.fetchFrames} in flight` : 'one fetch and one ack per mailbox'}); ` +
      `SQLite WAL + synchronous=FULL`,
    table(
      ['metric', 'Switchboard', 'baseline', 'ratio SB/base', 'unit', 'target', 'meets'],
      relayRows(r).map((row) => [
        row.metric,
        fmt(row.sb),
        fmt(row.base),
        row.base ? `${(row.sb / row.base).toFixed(2)}×` : '—',
        row.unit,
        row.target === null ? '—' : `${row.better === 'higher' ? '≥' : '≤'} ${fmt(row.target)}`,
        verdict(row),
      ]),
    ),
    '',
    `Baseline: raw better-sqlite3 on the same disk, the relay's table, WAL + FULL: per ${o.batch} messages one insert transaction, ` +
      `a select per touched mailbox, one delete transaction (${fmt(r.baseline.seconds)} s for ${r.baseline.messages.toLocaleString('en-US')}).`,
    phaseLine(`Saturating (${o.window} frames × ${o.batch} in flight per sender)`, r.saturating),
    phaseLine(`Paced (${o.pacedRate.toLocaleString('en-US')} msg/s for ${o.pacedSeconds} s, latency from the tick that issued each message)`, r.paced),
    `Whole relay run ${fmt(r.wallSeconds)} s${r.kept ? `; kept ${r.dir}` : ''}`,
  ].join('\n');
}
