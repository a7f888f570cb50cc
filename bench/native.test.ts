/**
 * Smoke test of the native-protocol benchmark: the same code with a tiny load. Checks that every
 * message is decrypted and stored and every figure is produced; never asserts a timing.
 */
import { describe, expect, it } from 'vitest';
import { formatNativeReport, runNativeBenchmark } from './native.ts';

describe('native benchmark (tiny)', () => {
  it('decrypts and stores every message and produces every figure', async () => {
    // The benchmark itself throws unless the core stored exactly `messages` messages.
    const r = await runNativeBenchmark({ messages: 200, setups: 5 });
    for (const v of [r.raw.roundPerSecond, r.client.roundPerSecond, r.pqxdh.rawPerSecond, r.pqxdh.clientPerSecond, r.backlog.perSecond]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(r.backlog.messages).toBe(200);
    expect(formatNativeReport(r)).toContain('ratio client / raw');
  }, 60_000);
});
