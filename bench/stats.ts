/** Timing helpers and order statistics for the benchmark. */
import { readFileSync } from 'node:fs';

/** Milliseconds elapsed since `start` (a `process.hrtime.bigint()` reading). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `fn` and returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: msSince(start) };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarise(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
  };
}

/** Resident set size in MB. */
export function rssMb(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** CPU time so far in ms: a process's by pid (from /proc, clock ticks of 10 ms), and this process's. */
export function cpuNow(pid: number | null): { server: number; client: number } {
  let server = Number.NaN;
  if (pid !== null) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      server = (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // Not Linux, or the process is gone: no server figure.
    }
  }
  const c = process.cpuUsage();
  return { server, client: (c.user + c.system) / 1000 };
}
