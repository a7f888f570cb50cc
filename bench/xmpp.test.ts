/**
 * Smoke test of the XMPP benchmark: the same code with a tiny burst against the real test Prosody.
 * The benchmark throws unless every message arrives (raw) or is stored (adapter, in a real core);
 * this checks each arrived exactly once and every figure is produced. Never asserts a timing.
 */
import { describe, expect, it } from 'vitest';
import { runXmppBenchmark } from './xmpp.ts';
import { formatXmppReport, xmppMedians } from './xmpp-report.ts';

describe('XMPP benchmark (tiny)', () => {
  it('stores every burst and catch-up message exactly once and produces every figure', async () => {
    const N = 200;
    const r = await runXmppBenchmark({ messages: N, rounds: 1 });
    expect(r.messages).toBe(N);
    expect(r.mamMessages).toBe(N);
    // Exactly once: every message of each phase arrived (or was stored), none twice.
    for (const d of [...r.burst.raw, ...r.burst.adapter, ...r.mam.raw, ...r.mam.offline, ...r.mam.adapter]) {
      expect(d.received).toBe(N);
      expect(d.duplicates).toBe(0);
    }
    const [catchUp] = r.mam.adapter;
    expect(catchUp?.positionStored).toBe(true);
    // The archive catch-up ran and brought copies only; a reconnect with nothing new stores nothing.
    expect(catchUp?.archiveQueries).toBeGreaterThan(0);
    expect(catchUp?.reconnect.newRows).toBe(0);
    const m = xmppMedians(r);
    for (const v of [m.burstAdapter, m.burstRaw, m.burstServer, m.burstFirstMs, m.catchUpAdapter, m.catchUpFirstMs, m.rawMam, m.rawOffline, m.archiveDoneMs]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(r.mam.raw[0]?.pages).toBeGreaterThan(0);
    expect(r.server.archiveFailures).toBe(0);
    expect(r.server.bouncesToSender).toBe(0);
    const report = formatXmppReport(r);
    expect(report).toContain('ratio adapter / raw client');
    expect(report).toContain('ratio adapter / raw MAM query');
    expect(report).not.toContain('NaN');
  }, 90_000);
});
