/**
 * The whole benchmark as a function: ingest (Switchboard and the raw baseline), then the query
 * phase on the ingested profile, in a fresh process unless `isolate` is false (the smoke test).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/create-core.ts';
import { DB_FILE } from '../core/store/open.ts';
import { TestNetwork } from '../test/support/test-adapter.ts';
import { makePlan, peerOf, type CorpusPlan } from './corpus.ts';
import {
  addBenchAccounts,
  checkpointedBytes,
  ingestBaseline,
  ingestSwitchboard,
  type BaselineIngestFigures,
  type IngestFigures,
} from './ingest.ts';
import { runQueryPhase, type QueryPhaseInput, type QueryPhaseResult } from './queries.ts';
import { rssMb } from './stats.ts';

export interface BenchOptions {
  conversations: number;
  messages: number;
  /** Keep the temporary folder (profile and baseline database) instead of deleting it. */
  keep?: boolean;
  /** Run the query phase in a fresh process (default); false runs it here. */
  isolate?: boolean;
  inboxIterations?: number;
  pageIterations?: number;
  searchRounds?: number;
  baselineSearchRounds?: number;
  log?: (line: string) => void;
}

export interface BenchResult {
  plan: CorpusPlan;
  dir: string;
  kept: boolean;
  isolated: boolean;
  ingest: IngestFigures;
  ingestBaseline: BaselineIngestFigures;
  rssAfterIngestMb: number;
  dbBytes: number;
  query: QueryPhaseResult & { modulesLoadedMs?: number };
  wallSeconds: number;
}

export async function runBenchmark(opts: BenchOptions): Promise<BenchResult> {
  const log = opts.log ?? (() => {});
  const wall = process.hrtime.bigint();
  const plan = makePlan(opts.conversations, opts.messages);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const profileDir = join(dir, 'profile');
  const isolate = opts.isolate ?? true;
  try {
    log(`profile ${profileDir}: ${plan.conversations} conversations, ${plan.messages} messages (${plan.bigConversationMessages} in the largest)`);
    const net = new TestNetwork();
    const core = createCore({ profileDir, registry: net.registry() });
    let ingest: IngestFigures;
    let rssAfterIngestMb: number;
    let dbBytes: number;
    try {
      await core.start();
      const accounts = await addBenchAccounts(core);
      const step = Math.max(Math.floor(plan.messages / 10), 1);
      let next = step;
      ingest = await ingestSwitchboard(core, net, accounts, plan, (done, s) => {
        if (done >= next) {
          log(`switchboard ingest ${done}/${plan.messages} (${Math.round(done / s)} msg/s)`);
          next += step;
        }
      });
      rssAfterIngestMb = rssMb();
      dbBytes = checkpointedBytes(core, join(profileDir, DB_FILE));
    } finally {
      await core.close();
    }

    const baselineFile = join(dir, 'baseline.sqlite');
    const ingestBase = ingestBaseline(baselineFile, plan, (done, s) => {
      if (done % Math.max(step10(plan.messages), 1) === 0) log(`baseline ingest ${done}/${plan.messages} (${Math.round(done / s)} rows/s)`);
    });
    if (!opts.keep) for (const f of [baselineFile, `${baselineFile}-wal`, `${baselineFile}-shm`]) rmSync(f, { force: true });

    const input: QueryPhaseInput = {
      profileDir,
      bigConversationAddress: peerOf(0, 'email').address,
      vocabularySize: plan.vocabularySize,
      inboxIterations: opts.inboxIterations ?? 50,
      pageIterations: opts.pageIterations ?? 100,
      searchRounds: opts.searchRounds ?? 5,
      baselineSearchRounds: opts.baselineSearchRounds ?? 2,
    };
    const query = isolate ? await queryPhaseInChild(input, join(dir, 'query-result.json')) : await runQueryPhase(input, log);
    return {
      plan,
      dir,
      kept: !!opts.keep,
      isolated: isolate,
      ingest,
      ingestBaseline: ingestBase,
      rssAfterIngestMb,
      dbBytes,
      query,
      wallSeconds: Number(process.hrtime.bigint() - wall) / 1e9,
    };
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** A tenth of the run, rounded to the 50 000 the baseline reports progress at. */
function step10(messages: number): number {
  return Math.max(50_000, Math.round(messages / 10 / 50_000) * 50_000);
}

/** Runs bench/reopen.ts with the same Node flags (the tsx loader) and reads its result file. */
async function queryPhaseInChild(input: QueryPhaseInput, outFile: string): Promise<QueryPhaseResult & { modulesLoadedMs: number }> {
  const script = fileURLToPath(new URL('./reopen.ts', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script, JSON.stringify(input), outFile], {
    stdio: 'inherit',
    env: process.env,
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`query phase process exited with ${code}`);
  return JSON.parse(readFileSync(outFile, 'utf8')) as QueryPhaseResult & { modulesLoadedMs: number };
}
