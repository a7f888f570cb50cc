/**
 * Smoke test of the benchmark: the same functions with a tiny corpus, in this process.
 * Checks that every figure is produced and sane; never asserts a timing.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildVocabulary, corpus, makePlan, seededCount, SEEDED_WORD } from './corpus.ts';
import { runBenchmark } from './benchmark.ts';
import { formatReport, headlineRows } from './report.ts';
import { percentile } from './stats.ts';

describe('benchmark corpus', () => {
  it('is deterministic and puts the large conversation and the seeded word where the plan says', () => {
    const plan = makePlan(20, 1_000);
    const a = [...corpus(plan)];
    const b = [...corpus(plan)];
    expect(a).toEqual(b);
    expect(a).toHaveLength(1_000);
    expect(a.filter((m) => m.conversation === 0)).toHaveLength(plan.bigConversationMessages);
    expect(a.filter((m) => m.text.includes(SEEDED_WORD))).toHaveLength(seededCount(1_000));
    expect(a.every((m, i) => i === 0 || m.sentAt > a[i - 1]!.sentAt)).toBe(true);
    expect(a.every((m) => m.sentAt < Date.now())).toBe(true);
  });

  it('gives common words most of the mass and rare words a little', () => {
    const vocab = buildVocabulary(5_000);
    expect(new Set(vocab).size).toBe(5_000);
    expect(vocab[0]).toBe('the');
    const texts = [...corpus({ ...makePlan(10, 2_000), vocabularySize: 5_000 }, vocab)].map((m) => m.text.toLowerCase());
    const withThe = texts.filter((t) => /\bthe\b/.test(t)).length;
    expect(withThe).toBeGreaterThan(texts.length / 5);
  });

  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('benchmark run (tiny)', () => {
  it('stores what it feeds and produces every figure', async () => {
    const r = await runBenchmark({
      conversations: 50,
      messages: 2_000,
      isolate: false,
      inboxIterations: 3,
      pageIterations: 3,
      searchRounds: 1,
      baselineSearchRounds: 1,
    });
    expect(r.ingest.messagesFed).toBe(2_000);
    expect(r.ingest.messagesStored).toBe(2_000);
    expect(r.ingest.conversationsStored).toBe(r.ingest.conversationsFed);
    expect(r.ingestBaseline.rows).toBe(2_000);
    expect(r.query.firstPageItems).toBe(Math.min(50, r.ingest.conversationsStored));
    expect(r.query.bigConversationMessages).toBe(r.plan.bigConversationMessages);
    expect(r.query.seededHits).toBe(seededCount(2_000));
    expect(r.query.search.errors).toEqual([]);
    expect(r.query.commonMatches.the).toBeGreaterThan(0);
    expect(r.query.search.perQuery.find((q) => q.query === SEEDED_WORD)?.hits).toBe(seededCount(2_000));
    expect(r.dbBytes).toBeGreaterThan(0);
    for (const row of headlineRows(r)) {
      expect(Number.isFinite(row.sb), row.metric).toBe(true);
      expect(row.sb, row.metric).toBeGreaterThan(0);
    }
    expect(formatReport(r)).toContain('cold start');
    expect(existsSync(r.dir)).toBe(false);
  });
});
