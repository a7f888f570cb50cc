/** Starts and stops a real relay process for tests: `node --import tsx cli.ts --port 0` in a temp dir. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CLI = join(HERE, 'cli.ts');

/** A relay process under test. */
export interface RelayProcess {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Collected stderr (log lines). */
  stderr(): string;
  /** SIGTERM, wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, wait for exit. */
  kill(): Promise<void>;
}

/** A fresh temp dir for relay data; removed by `removeDir`. */
export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'switchboard-relay-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Spawns the relay on 127.0.0.1, port 0, and resolves once it printed its listening line. */
export function startRelayProcess(dataDir: string, extraArgs: string[] = []): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--host', '127.0.0.1', '--data', dataDir, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start in time: ${err}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${String(code)} before listening: ${err}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /Switchboard relay listening on (ws:\/\/127\.0\.0\.1:(\d+))\n/.exec(out);
      if (!m?.[1] || !m[2] || child.pid === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const pid = child.pid;
      resolve({
        url: m[1],
        port: Number(m[2]),
        dataDir,
        pid,
        stderr: () => err,
        async stop() {
          // Never signal a pid that already exited: it may belong to another process by now.
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          process.kill(pid, 'SIGTERM');
          return waitExit(child);
        },
        async kill() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          process.kill(pid, 'SIGKILL');
          await waitExit(child);
        },
      });
    });
  });
}
