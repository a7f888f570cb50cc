/**
 * Starts and stops a real relay process for tests: `node --import tsx cli.ts --port 0` in a temp
 * dir. The relay's own tests use it directly; the rest of the suite goes through
 * test/servers/relay.ts, which adds restart on the same port and cleanup.
 */
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

/** Why a relay process did not come up: it exited first (with its code and stderr), or took too long. */
export class RelayStartError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'RelayStartError';
  }
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

/**
 * Spawns the relay on 127.0.0.1 and resolves once it printed its listening line; rejects with a
 * RelayStartError if it exits first or takes longer than 15 s. `port` defaults to 0 (the OS picks);
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof` for a profile written at exit).
 */
export function startRelayProcess(dataDir: string, extraArgs: string[] = [], opts: { port?: number; nodeArgs?: string[] } = {}): Promise<RelayProcess> {
  const port = String(opts.port ?? 0);
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', CLI, '--port', port, '--host', '127.0.0.1', '--data', dataDir, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new RelayStartError(`relay did not start in time: ${err}`, err, null));
    }, 15_000);
    // 'close', not 'exit': it comes after stderr has been read to the end, so the message is whole.
    const early = (code: number | null): void => {
      clearTimeout(timer);
      reject(new RelayStartError(`relay exited with ${String(code)} before listening: ${err}`, err, code));
    };
    child.once('close', early);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /Switchboard relay listening on (ws:\/\/127\.0\.0\.1:(\d+))\n/.exec(out);
      if (!m?.[1] || !m[2] || child.pid === undefined) return;
      clearTimeout(timer);
      child.off('close', early);
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
