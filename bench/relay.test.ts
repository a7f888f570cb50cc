/**
 * Smoke test of the relay benchmark: the same code with a tiny load against a real relay process.
 * Checks that every message arrives once and every figure is produced; never asserts a timing.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatRelayReport, relayRows } from './relay-report.ts';
import { runRelayBenchmark } from './relay.ts';

describe('relay benchmark (tiny)', () => {
  it.each(['batch', 'per-mailbox'] as const)('delivers every message of both phases and produces every figure (%s receiver)', async (receiver) => {
    const r = await runRelayBenchmark({ mailboxes: 20, messages: 600, batch: 50, senders: 2, window: 2, pacedRate: 1_000, pacedSeconds: 0.5, receiver, fetchFrames: 2, mailboxesPerFetch: 8 });
    expect(r.saturating.messages).toBe(600);
    expect(r.paced.messages).toBe(500);
    expect(r.baseline.messages).toBe(600);
    for (const phase of [r.saturating, r.paced]) {
      expect(phase.fetches).toBeGreaterThan(0);
      expect(phase.acks).toBeGreaterThan(0);
      expect(phase.latency.n).toBe(phase.messages);
      expect(phase.latency.max).toBeGreaterThanOrEqual(0);
    }
    for (const row of relayRows(r)) {
      expect(Number.isFinite(row.sb), row.metric).toBe(true);
      expect(row.sb, row.metric).toBeGreaterThan(0);
    }
    expect(formatRelayReport(r)).toContain('store-and-forward');
    expect(existsSync(r.dir)).toBe(false);
  }, 60_000);
});
