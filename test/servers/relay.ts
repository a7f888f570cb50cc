/**
 * Our relay as a real server for the suite: a `native-protocol/relay` process on 127.0.0.1, an
 * ephemeral port and a temp data folder, stopped by its pid. `restart()` brings a new process up
 * on the same folder and the same port, so a client that lost its connection (a SIGKILL, a
 * restart) reconnects to the same URL, as it would to a production relay.
 */
import { makeDataDir, removeDir, RelayStartError, startRelayProcess, type RelayProcess } from '../../native-protocol/relay/test-support.ts';

export interface StartRelayOptions {
  /** Data folder to use (kept by cleanup); default: a fresh temp folder (removed by cleanup). */
  dataDir?: string;
  /** Extra CLI flags, e.g. `['--quota-count', '5']`; kept across restarts. */
  args?: string[];
}

/** A relay under test. url, port, pid and stderr are those of the current process. */
export interface TestRelay extends RelayProcess {
  /**
   * Starts a new relay process on the same data folder and port (stopping the current one with
   * SIGTERM first if it still runs). Retries for a few seconds while the port is still held.
   */
  restart(): Promise<TestRelay>;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes the data folder if this module made it. Idempotent. */
  cleanup(): Promise<void>;
}

/** How long restart() keeps trying to bind the old port. */
const REBIND_WINDOW_MS = 5_000;
const REBIND_PAUSE_MS = 100;
const STOP_GRACE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portBusy(e: unknown): boolean {
  return e instanceof RelayStartError && /EADDRINUSE/.test(e.stderr);
}

/** Starts `--port port`, retrying while the port is still in use (another socket, or a slow exit). */
async function startOnPort(dataDir: string, args: string[], port: number): Promise<RelayProcess> {
  const deadline = Date.now() + REBIND_WINDOW_MS;
  for (;;) {
    try {
      return await startRelayProcess(dataDir, args, { port });
    } catch (e) {
      if (!portBusy(e) || Date.now() >= deadline) throw e;
      await sleep(REBIND_PAUSE_MS);
    }
  }
}

/** SIGTERM, and SIGKILL if the relay has not exited after STOP_GRACE_MS. */
async function stopWithin(p: RelayProcess): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
  const outcome = await Promise.race([p.stop(), late]);
  clearTimeout(timer);
  if (outcome === 'late') await p.kill();
}

/** Starts a relay process on 127.0.0.1 (an ephemeral port) with its own temp data folder unless one is given. */
export async function startRelay(opts: StartRelayOptions = {}): Promise<TestRelay> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? makeDataDir();
  const args = opts.args ?? [];
  let current: RelayProcess;
  try {
    current = await startRelayProcess(dataDir, args);
  } catch (e) {
    if (ownDir) removeDir(dataDir);
    throw e;
  }
  let cleaned = false;
  const relay: TestRelay = {
    get url() {
      return current.url;
    },
    get port() {
      return current.port;
    },
    get pid() {
      return current.pid;
    },
    dataDir,
    stderr: () => current.stderr(),
    stop: () => current.stop(),
    kill: () => current.kill(),
    async restart() {
      if (cleaned) throw new Error('restart() after cleanup()');
      await stopWithin(current);
      current = await startOnPort(dataDir, args, current.port);
      return relay;
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await stopWithin(current);
      if (ownDir) removeDir(dataDir);
    },
  };
  return relay;
}
