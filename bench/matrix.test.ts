/**
 * Smoke test of the Matrix benchmark: the same code at a tiny size against the real test Synapse
 * (3 rooms × 5 messages, 10 encrypted, one round, no snapshot). The benchmark throws unless every
 * message arrives (raw) or is stored (adapter, in a real core); this checks each arrived exactly
 * once and every figure is produced. Never asserts a timing.
 */
import { describe, expect, it } from 'vitest';
import { runMatrixBenchmark } from './matrix.ts';
import { formatMatrixReport, matrixMedians } from './matrix-report.ts';

describe('Matrix benchmark (tiny)', () => {
  it('syncs and decrypts every message exactly once and produces every figure', async () => {
    const r = await runMatrixBenchmark({ rooms: 3, events: 15, encrypted: 10, rounds: 1 });
    // Every room holds 5 messages, fewer than the adapter's 20 a room: all 15 come in the first sync.
    expect(r.expectedStored).toBe(15);
    for (const x of [...r.initialSync.fetch, ...r.initialSync.sdk, ...r.initialSync.adapter]) {
      expect(x.rooms).toBe(3);
      expect(x.messages).toBe(15);
    }
    expect(r.initialSync.adapter[0]?.extraRows).toBe(0);
    for (const d of [...r.decrypt.raw, ...r.decrypt.adapter]) {
      expect(d.received).toBe(10);
      expect(d.duplicates).toBe(0);
      expect(d.placeholders).toBe(0);
    }
    const m = matrixMedians(r);
    for (const v of Object.values(m)) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    const report = formatMatrixReport(r);
    expect(report).toContain('ratio adapter / raw SDK');
    expect(report).not.toContain('NaN');
  }, 120_000);
});
