/** Turns a Matrix benchmark result into the printed block (figure, baseline, ratio). */
import type { DecryptRound, MatrixBenchResult, Timing } from './matrix.ts';
import { ADAPTER_SYNC_LIMIT, HISTORY_PAGE } from './matrix.ts';
import { median } from './stats.ts';

/** PERFORMANCE.md has no Matrix target; the nearest one: backlog ingest of the native protocol. */
export const NATIVE_BACKLOG_TARGET = 2_000;

/** Medians over the rounds of the figures the report shows. */
export function matrixMedians(r: MatrixBenchResult): {
  syncAdapterMs: number;
  syncOnlineMs: number;
  syncSdkMs: number;
  syncFetchMs: number;
  decryptAdapter: number;
  decryptRaw: number;
  decryptAdapterSyncMs: number;
  decryptRawSyncMs: number;
} {
  const m = <T>(xs: readonly T[], f: (x: T) => number) => median(xs.map(f));
  return {
    syncAdapterMs: m(r.initialSync.adapter, (x) => x.ms),
    syncOnlineMs: m(r.initialSync.adapter, (x) => x.onlineMs),
    syncSdkMs: m(r.initialSync.sdk, (x) => x.ms),
    syncFetchMs: m(r.initialSync.fetch, (x) => x.ms),
    decryptAdapter: m(r.decrypt.adapter, (x) => x.perSecond),
    decryptRaw: m(r.decrypt.raw, (x) => x.perSecond),
    decryptAdapterSyncMs: m(r.decrypt.adapter, (x) => x.syncMs),
    decryptRawSyncMs: m(r.decrypt.raw, (x) => x.syncMs),
  };
}

const f = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const n = (x: number): string => x.toLocaleString('en-US');
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : '—');
const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
const times = (xs: readonly { ms: number }[]): string => xs.map((x) => s(x.ms)).join(' / ');
const rates = (xs: readonly { perSecond: number }[]): string => xs.map((x) => f(x.perSecond)).join(' / ');
/** Median CPU share of Synapse and of this process over the timed span. */
const cpu = (xs: readonly Timing[]): string => `CPU: Synapse ${pct(median(xs.map((x) => x.serverCpu)))}, this process ${pct(median(xs.map((x) => x.clientCpu)))}`;
const counts = (xs: readonly { messages: number; rooms: number }[]): string => [...new Set(xs.map((x) => `${n(x.messages)} in ${n(x.rooms)} rooms`))].join(', ');
const sum = (xs: readonly DecryptRound[], k: 'duplicates' | 'placeholders' | 'received'): number => xs.reduce((a, x) => a + x[k], 0);

export function formatMatrixReport(r: MatrixBenchResult): string {
  const m = matrixMedians(r);
  const fill = r.fill.cached
    ? `restored from a snapshot in ${s(r.fill.ms)} (filling it through the client-server API runs at ≈ 70–90 events/s here)`
    : `filled through the client-server API in ${s(r.fill.ms)}, ${f(r.fill.perSecond)} events/s (kept as a snapshot when run with the cache)`;
  const ad = r.decrypt.adapter;
  const missing = (xs: readonly DecryptRound[]) => xs.length * r.encrypted - sum(xs, 'received');
  return [
    `matrix: a local Synapse ${r.synapse} (loopback, plain HTTP, its data on tmpfs); the adapter inside a real core (stored = a row in messages); medians of ${r.rounds} rounds, raw and adapter runs in rotating order`,
    `  initial sync of a fresh account (new device, new profile): ${n(r.rooms)} rooms holding ${n(r.events)} plain messages; ${fill}`,
    `    the adapter asks ${ADAPTER_SYNC_LIMIT} events a room, so a first sync stores ${n(r.expectedStored)} messages (the newest of each room), not ${n(r.events)}`,
    `    adapter: connect → online and every room's newest stored  ${s(m.syncAdapterMs)}  (online after ${s(m.syncOnlineMs)}; rounds ${times(r.initialSync.adapter)}; stored ${counts(r.initialSync.adapter)}; ${cpu(r.initialSync.adapter)})`,
    `    raw matrix-js-sdk, no crypto, MemoryStore: start → PREPARED   ${s(m.syncSdkMs)}  (rounds ${times(r.initialSync.sdk)}; holds ${counts(r.initialSync.sdk)}; ${cpu(r.initialSync.sdk)})`,
    `    raw fetch of /sync, the same filter: request → parsed      ${s(m.syncFetchMs)}  (rounds ${times(r.initialSync.fetch)}; holds ${counts(r.initialSync.fetch)}; ${cpu(r.initialSync.fetch)})`,
    `    ratio adapter / raw SDK  ${(m.syncAdapterMs / m.syncSdkMs).toFixed(2)}× the time;  adapter / raw /sync  ${(m.syncAdapterMs / m.syncFetchMs).toFixed(2)}×  (raw SDK / raw /sync ${(m.syncSdkMs / m.syncFetchMs).toFixed(2)}×)`,
    `  decrypt rate: ${n(r.encrypted)} encrypted messages (Megolm, Rust crypto) sent while the receiver was offline (sending them took ${s(r.encryptedFillMs)}), then connect → all decrypted`,
    `    a catch-up /sync brings a room's newest 10 events (limited: a gap); the rest by paging back, ${HISTORY_PAGE} a page: the adapter fills the gap by itself`,
    `    (its sync stored ${[...new Set(ad.map((x) => x.fromSync))].join(' / ')} of ${n(r.encrypted)}; the raw client is paged back by the bench with scrollback)`,
    `    adapter: connect → every message stored, decrypted        ${f(m.decryptAdapter)} msg/s  (newest in after ${s(m.decryptAdapterSyncMs)}; ≈ ${ad.map((x) => x.pages).join(' / ')} pages; rounds ${rates(ad)}; ${cpu(ad)})`,
    `    raw matrix-js-sdk + Rust crypto in memory: → all decrypted ${f(m.decryptRaw)} msg/s  (newest in after ${s(m.decryptRawSyncMs)}; ${r.decrypt.raw.map((x) => x.pages).join(' / ')} pages; rounds ${rates(r.decrypt.raw)}; ${cpu(r.decrypt.raw)})`,
    `    ratio adapter / raw SDK                                   ${pct(m.decryptAdapter / m.decryptRaw)}`,
    `  no Matrix target in PERFORMANCE.md; nearest, native backlog ingest ≥ ${n(NATIVE_BACKLOG_TARGET)} msg/s: decrypt ${m.decryptAdapter >= NATIVE_BACKLOG_TARGET ? 'above' : 'below'}`,
    `  exactly once: adapter ${missing(ad)} missing / ${sum(ad, 'duplicates')} duplicates / ${sum(ad, 'placeholders')} placeholders left, initial sync ${r.initialSync.adapter.reduce((a, x) => a + x.extraRows, 0)} extra rows; raw ${missing(r.decrypt.raw)} missing / ${sum(r.decrypt.raw, 'duplicates')} duplicates`,
    `  ${r.sdkWarnings} console warnings of matrix-js-sdk muted during the run (its module logger; "Adding default global … push rule" at each client start among them)`,
    `  whole matrix run ${r.seconds.toFixed(1)} s`,
  ].join('\n');
}
