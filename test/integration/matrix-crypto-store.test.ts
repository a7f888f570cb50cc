/**
 * The Matrix Rust crypto (the real wasm OlmMachine) on the journaled fake-indexeddb, in a child
 * process that is SIGKILLed right after it reports: the next child on the same profile keeps the
 * device's identity keys and every Megolm room key that had been stored. (With a plain
 * fake-indexeddb the second child comes up as a new device with no keys; checked by hand with
 * `--plain`, see test/support/matrix-crypto-child.ts.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildReport } from '../support/matrix-crypto-child.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Run {
  report: ChildReport;
  /** Session ids the child said were stored (loop mode) before it died. */
  keys: string[];
}

/**
 * Starts a child, waits for READY (and in loop mode for `loopKeys` stored keys), SIGKILLs it and
 * resolves once it is gone (so the next child may open the profile).
 */
function runChild(profile: string, room: number, loopKeys = 0): Promise<Run> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', 'test/support/matrix-crypto-child.ts', profile, String(room), ...(loopKeys ? ['--loop'] : [])];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, SWITCHBOARD_LOG: 'warn' } });
    let report: ChildReport | null = null;
    const keys: string[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.stdout.on('data', (d: Buffer) => {
      buffered += String(d);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('READY ')) report = JSON.parse(line.slice(6)) as ChildReport;
        else if (line.startsWith('KEY ')) keys.push(line.slice(4));
        if (report && keys.length >= loopKeys) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (report && signal === 'SIGKILL') resolve({ report, keys });
      else reject(new Error(`child exited (${code ?? signal}) without reporting: ${stderr}`));
    });
  });
}

describe('Matrix crypto store on the journaled IndexedDB', () => {
  it('keeps the identity keys and room keys across SIGKILLs', { timeout: 120_000 }, async () => {
    const profile = mkdtempSync(join(tmpdir(), 'switchboard-matrix-crypto-'));
    dirs.push(profile);

    const first = (await runChild(profile, 1)).report;
    expect(first.before).toEqual([]);
    expect(first.after).toHaveLength(1);

    const second = (await runChild(profile, 2)).report;
    expect(second.identity).toEqual(first.identity);
    expect(second.before).toEqual(first.after);
    expect(second.after).toHaveLength(2);

    // Killed at an arbitrary moment while it keeps storing room keys: every key it had stored is there.
    const third = await runChild(profile, 3, 5);
    expect(third.report.identity).toEqual(first.identity);
    expect(third.report.before).toEqual(second.after);

    const fourth = (await runChild(profile, 4)).report;
    expect(fourth.identity).toEqual(first.identity);
    expect(fourth.before).toEqual(expect.arrayContaining([...third.report.after, ...third.keys]));
  });
});
