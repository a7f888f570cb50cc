/**
 * Smoke test of the email benchmark: the same code with a tiny mailbox against the real test mail
 * servers. The benchmark itself throws unless every message arrives as exactly one message event
 * and every IDLE probe arrives; this checks every figure is produced. Never asserts a timing.
 */
import { describe, expect, it } from 'vitest';
import { runEmailBenchmark } from './email.ts';
import { emailMedians, formatEmailReport } from './email-report.ts';

describe('email benchmark (tiny)', () => {
  it('lists every message, fills in every body (400: the newest 250 whole, the rest from headers first) and produces every figure', async () => {
    const r = await runEmailBenchmark({ messages: 400, rounds: 1, idleMessages: 2 });
    expect(r.messages).toBe(400);
    expect(r.adapter.map((a) => a.events)).toEqual([400]);
    const m = emailMedians(r);
    for (const v of [m.adapter, m.adapterFull, m.headersBatched, m.headersAll, m.headersSource, r.coldPerSecond, r.mailbox.fillPerSecond, r.idle.maildir.p50, r.idle.smtp.max]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(r.idle.maildir.n).toBe(2);
    expect(r.idle.smtp.n).toBe(2);
    const report = formatEmailReport(r);
    expect(report).toContain('ratio listed / raw headers');
    expect(report).toMatch(/OK|MISSED/);
  }, 120_000);
});
