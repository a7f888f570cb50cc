/** Turns an XMPP benchmark result into the printed block (figure, baseline, ratio). */
import type { Delivery, XmppBenchResult } from './xmpp.ts';
import { median } from './stats.ts';

/** PERFORMANCE.md has no XMPP target; the nearest one: backlog ingest of the native protocol. */
export const NATIVE_BACKLOG_TARGET = 2_000;

/** Medians over the rounds of the figures the report shows. */
export function xmppMedians(r: XmppBenchResult): {
  burstAdapter: number;
  burstRaw: number;
  burstServer: number;
  burstMs: number;
  burstFirstMs: number;
  catchUpAdapter: number;
  catchUpMs: number;
  catchUpFirstMs: number;
  rawMam: number;
  rawOffline: number;
  archiveQueries: number;
  archiveItems: number;
  archiveDoneMs: number;
  reconnectQueries: number;
  reconnectItems: number;
  reconnectDoneMs: number;
  reconnectRows: number;
} {
  const m = <T>(xs: readonly T[], f: (x: T) => number) => median(xs.map(f));
  return {
    burstAdapter: m(r.burst.adapter, (x) => x.perSecond),
    burstRaw: m(r.burst.raw, (x) => x.perSecond),
    burstServer: m(r.burst.adapter, (x) => (r.messages * 1000) / x.serverMs),
    burstMs: m(r.burst.adapter, (x) => x.ms),
    burstFirstMs: m(r.burst.adapter, (x) => x.firstMs),
    catchUpAdapter: m(r.mam.adapter, (x) => x.perSecond),
    catchUpMs: m(r.mam.adapter, (x) => x.ms),
    catchUpFirstMs: m(r.mam.adapter, (x) => x.firstMs),
    rawMam: m(r.mam.raw, (x) => x.perSecond),
    rawOffline: m(r.mam.offline, (x) => x.perSecond),
    archiveQueries: m(r.mam.adapter, (x) => x.archiveQueries),
    archiveItems: m(r.mam.adapter, (x) => x.archiveItems),
    archiveDoneMs: m(r.mam.adapter, (x) => x.archiveDoneMs),
    reconnectQueries: m(r.mam.adapter, (x) => x.reconnect.archiveQueries),
    reconnectItems: m(r.mam.adapter, (x) => x.reconnect.archiveItems),
    reconnectDoneMs: m(r.mam.adapter, (x) => x.reconnect.archiveDoneMs),
    reconnectRows: Math.max(...r.mam.adapter.map((x) => x.reconnect.newRows)),
  };
}

const f = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
const rounds = (xs: readonly { perSecond: number }[]): string => xs.map((x) => f(x.perSecond)).join(' / ');
/** Median CPU share of Prosody and of this process over the timed span. */
const cpu = (xs: readonly Delivery[]): string => `CPU: Prosody ${pct(median(xs.map((x) => x.serverCpu)))}, this process ${pct(median(xs.map((x) => x.clientCpu)))}`;
const sum = (xs: readonly Delivery[], k: 'duplicates' | 'received'): number => xs.reduce((a, x) => a + x[k], 0);

export function formatXmppReport(r: XmppBenchResult): string {
  const m = xmppMedians(r);
  const n = (x: number) => x.toLocaleString('en-US');
  const missing = (xs: readonly Delivery[], each: number) => xs.length * each - sum(xs, 'received');
  const largestPage = Math.max(...r.mam.raw.map((x) => x.largestPage));
  const pages = median(r.mam.raw.map((x) => x.pages));
  const position = r.mam.adapter.every((x) => x.positionStored) ? 'yes' : `NO in ${r.mam.adapter.filter((x) => !x.positionStored).length} of ${r.rounds} rounds`;
  return [
    `xmpp: chat messages of ≈ 100 B through a local Prosody 0.12 (loopback, STARTTLS, stream management); the adapter inside a real core (stored = a row in messages); medians of ${r.rounds} alternating raw/adapter rounds`,
    `  burst receive, ${n(r.messages)} messages sent as fast as the server takes them, the account online and idle`,
    `    adapter: first send → every message stored      ${f(m.burstAdapter)} msg/s  (${s(m.burstMs)}; first stored after ${f(m.burstFirstMs)} ms; rounds ${rounds(r.burst.adapter)}; ${cpu(r.burst.adapter)})`,
    `    raw xmpp.js client: first send → all received   ${f(m.burstRaw)} msg/s  (rounds ${rounds(r.burst.raw)}; ${cpu(r.burst.raw)})`,
    `    the server routing the burst (ping answered)    ${f(m.burstServer)} msg/s  (with the adapter receiving; the sender is this process too)`,
    `    ratio adapter / raw client                      ${pct(m.burstAdapter / m.burstRaw)}`,
    `  catch-up after being offline, ${n(r.mamMessages)} messages waiting (Prosody keeps each in offline storage and in the archive)`,
    `    adapter: connect → every message stored         ${f(m.catchUpAdapter)} msg/s  (${s(m.catchUpMs)}; first stored after ${f(m.catchUpFirstMs)} ms; rounds ${rounds(r.mam.adapter)}; ${cpu(r.mam.adapter)})`,
    `      what came how: offline storage delivers them all after the initial presence; the archive catch-up (position kept after the first session: ${position})`,
    `      then made ${f(m.archiveQueries)} queries bringing ${f(m.archiveItems)} results, each a copy already stored; it ended ${s(m.archiveDoneMs)} after connect (server log, ±0.1 s)`,
    `      the next reconnect, nothing new waiting: ${f(m.reconnectQueries)} archive queries, ${f(m.reconnectItems)} results, ended ${s(m.reconnectDoneMs)} after connect; ${m.reconnectRows} rows added`,
    `    raw MAM query, ${r.page}/page asked (server gave ≤ ${largestPage}) ${f(m.rawMam)} msg/s  (${f(pages)} pages, from connect; rounds ${rounds(r.mam.raw)}; ${cpu(r.mam.raw)})`,
    `    raw client, offline delivery after presence     ${f(m.rawOffline)} msg/s  (from connect; rounds ${rounds(r.mam.offline)}; ${cpu(r.mam.offline)})`,
    `    ratio adapter / raw MAM query                   ${pct(m.catchUpAdapter / m.rawMam)}   (adapter / raw offline delivery ${pct(m.catchUpAdapter / m.rawOffline)})`,
    `  no XMPP target in PERFORMANCE.md; nearest, native backlog ingest ≥ ${n(NATIVE_BACKLOG_TARGET)} msg/s: burst ${m.burstAdapter >= NATIVE_BACKLOG_TARGET ? 'above' : 'below'}, catch-up ${m.catchUpAdapter >= NATIVE_BACKLOG_TARGET ? 'above' : 'below'}`,
    `  exactly once: adapter burst ${missing(r.burst.adapter, r.messages)} missing / ${sum(r.burst.adapter, 'duplicates')} duplicates, catch-up ${missing(r.mam.adapter, r.mamMessages)} / ${sum(r.mam.adapter, 'duplicates')}; raw burst ${sum(r.burst.raw, 'duplicates')} duplicates, raw MAM ${sum(r.mam.raw, 'duplicates')}, raw offline ${sum(r.mam.offline, 'duplicates')}`,
    `  server: ${r.server.quotaHits} archive quota hits, ${r.server.archiveFailures} messages not archived, ${r.server.bouncesToSender} error bounces to the sender; its debug log grew ${(r.server.logBytes / 1e6).toFixed(0)} MB`,
    `  whole xmpp run ${r.seconds.toFixed(1)} s`,
  ].join('\n');
}
