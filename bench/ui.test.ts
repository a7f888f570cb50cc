/**
 * Smoke test of the UI benchmark: the corpus is what the plan says, and a tiny run in Chromium
 * produces every figure. Never asserts a timing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATIC_DIR } from '../test/e2e/support.ts';
import { formatUiReport, uiRows } from './report.ts';
import { runUiBenchmark, summariseFrames } from './ui.ts';
import { makeUiPlan, uiCorpus, uiPlanMessages } from './ui-profile.ts';

describe('UI benchmark corpus', () => {
  it('gives every conversation its messages, the big one its share and the newest message', () => {
    const plan = makeUiPlan(40, 500, 3);
    const all = [...uiCorpus(plan)];
    expect(all).toHaveLength(uiPlanMessages(plan));
    expect(all).toHaveLength(500 + 39 * 3);
    const counts = new Map<number, number>();
    for (const m of all) counts.set(m.conversation, (counts.get(m.conversation) ?? 0) + 1);
    expect(counts.get(0)).toBe(500);
    for (let k = 1; k < 40; k++) expect(counts.get(k), `conversation ${k}`).toBe(3);
    expect(all.at(-1)?.conversation).toBe(0);
    expect(all.every((m, i) => i === 0 || m.sentAt > all[i - 1]!.sentAt)).toBe(true);
    expect(all.at(-1)!.sentAt).toBeLessThan(Date.now());
    expect([...uiCorpus(plan)]).toEqual(all);
  });

  it('summarises frames: late frames over 20 ms, long tasks', () => {
    const s = summariseFrames([
      { intervals: [16.6, 16.8, 33.3, 16.7, 66.7], work: [5, 20, 8], longTasks: [{ start: 0, duration: 60 }], longFrames: [], elapsed: 150 },
    ]);
    expect(s.frames).toBe(5);
    expect(s.over16).toBe(2);
    expect(s.over50).toBe(1);
    expect(s.workOver16).toBe(1);
    expect(s.longTasks).toBe(1);
    expect(s.longTaskMs).toBe(60);
  });
});

describe.skipIf(!existsSync(join(STATIC_DIR, 'index.html')))('UI benchmark run (tiny, Chromium)', () => {
  it('scrolls, opens, pages and reports every figure', { timeout: 90_000 }, async () => {
    const r = await runUiBenchmark({ conversations: 150, bigMessages: 400, opens: 2, olderPages: 2, rawRuns: 3 });
    expect(r.profile.conversationsStored).toBe(150);
    expect(r.profile.bigConversationStored).toBe(400);
    expect(r.scroll.rowsLoaded).toBe(150);
    expect(r.scroll.timedOut).toBe(false);
    expect(r.scroll.frames.frames).toBeGreaterThan(10);
    expect(r.open.paintMs).toHaveLength(2);
    expect(r.open.switchAwayPaintMs).toHaveLength(1);
    for (const ms of [...r.open.paintMs, ...r.open.domMs]) expect(ms).toBeGreaterThan(0);
    expect(r.older.pages.map((p) => p.after)).toEqual([100, 150]);
    expect(r.older.pages.every((p) => p.placeKept)).toBe(true);
    // Read on to 250 messages (400 - 3 pages), then 3 timed pages.
    expect(r.deep.pages.map((p) => p.after)).toEqual([300, 350, 400]);
    for (const row of uiRows(r)) expect(Number.isFinite(row.sb), row.metric).toBe(true);
    expect(formatUiReport(r)).toContain('headless');
    expect(existsSync(r.dir)).toBe(false);
  });
});
