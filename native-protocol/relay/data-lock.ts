/**
 * One relay per data folder. Two relay processes on one SQLite file would both accept deposits and
 * hand out seqs; SQLite would keep the file consistent, but subscriptions (`waiting`) live in one
 * process only, so clients of the other would never be woken — and an operator who started a
 * second relay by mistake should hear about it at once, not find out from missing wake-ups.
 *
 * The lock is a file, `relay.lock`, created with O_EXCL and holding `{pid, hostname, startedAt}`.
 * A lock whose process is gone (or which cannot be read) is stale and is taken over; a lock of a
 * live process refuses the start with a message naming that pid. The lock is released on close and
 * at the latest at exit; after a SIGKILL or a crash the next start finds it stale.
 *
 * The same scheme as Switchboard's profile lock (core/store/profile-lock.ts), written again here
 * because native-protocol stands alone and may not import core.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file inside a relay's `--data` folder. */
export const LOCK_FILE = 'relay.lock';

/** A held data-folder lock. */
export interface DataLock {
  readonly file: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

interface Holder {
  pid: number;
  hostname: string;
  startedAt: number;
}

/** How long an empty lock file may be "being written" by the process that just created it. */
const EMPTY_GRACE_MS = 200;
const EMPTY_POLL_MS = 20;
/** A lock with our own pid written this much before this process started is from an earlier process (containers restart as pid 1). */
const OWN_PID_SLACK_MS = 1_000;
const MAX_ATTEMPTS = 3;

const releaseAtExit = new Set<() => void>();
let exitHookInstalled = false;

function code(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The lock file's text, or null when it is gone. Unreadable counts as empty (garbage). */
function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    return code(e) === 'ENOENT' ? null : '';
  }
}

function parseHolder(text: string): Holder | null {
  try {
    const v = JSON.parse(text) as Partial<Holder> | null;
    if (v === null || typeof v !== 'object') return null;
    const { pid, hostname: host, startedAt } = v;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
    if (typeof host !== 'string' || typeof startedAt !== 'number' || !Number.isFinite(startedAt)) return null;
    return { pid, hostname: host, startedAt };
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, but another user's. Anything but ESRCH counts as alive: refusing is the safe side.
    return code(e) !== 'ESRCH';
  }
}

function holderLive(h: Holder): boolean {
  // A data folder on a shared drive, locked from another machine: its processes cannot be checked.
  if (h.hostname !== hostname()) return true;
  if (h.pid === process.pid) {
    const processStartedAt = Date.now() - process.uptime() * 1000;
    return h.startedAt >= processStartedAt - OWN_PID_SLACK_MS;
  }
  return pidAlive(h.pid);
}

/** The current lock; an empty file gets a moment (its creator may not have written it yet). */
function readLock(file: string): { text: string; holder: Holder | null } | null {
  let text = readText(file);
  for (let waited = 0; text === '' && waited < EMPTY_GRACE_MS; waited += EMPTY_POLL_MS) {
    sleepSync(EMPTY_POLL_MS);
    text = readText(file);
  }
  return text === null ? null : { text, holder: parseHolder(text) };
}

/**
 * Moves a stale lock out of the way. Renaming is atomic, so of two processes taking over the same
 * stale lock only one moves it; if what was moved is a fresh lock another process has just
 * created, it goes back, and the next exclusive create decides.
 */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if (code(e) === 'ENOENT') return;
    throw e;
  }
  if ((readText(aside) ?? '') !== staleText) {
    try {
      linkSync(aside, file);
    } catch (e) {
      if (code(e) !== 'EEXIST' && !existsSync(file)) renameSync(aside, file);
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Renamed back already.
  }
}

/** The message a second relay on a locked folder exits with. */
export function inUseMessage(dir: string, h: Holder, file: string): string {
  const where = h.hostname === hostname() ? `process ${h.pid}` : `process ${h.pid} on ${h.hostname}`;
  return `data folder ${dir} is in use by another relay (${where}); stop it first, or use another --data folder. If no relay is running there, delete ${file}.`;
}

/** Takes the exclusive lock on a relay data folder (which must exist), or throws a clear error. */
export function acquireDataLock(dir: string): DataLock {
  const file = join(dir, LOCK_FILE);
  const text = `${JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: Date.now() } satisfies Holder)}\n`;
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw new Error(`could not lock data folder ${dir}: ${(e as Error).message}`);
      const current = readLock(file);
      if (current?.holder && holderLive(current.holder)) throw new Error(inUseMessage(dir, current.holder, file));
      if (attempt >= MAX_ATTEMPTS) throw new Error(`could not lock data folder ${dir}: ${file} keeps changing; is another relay starting?`);
      if (current !== null) removeStale(file, current.text);
      continue;
    }
    try {
      writeSync(fd, text);
    } catch (e) {
      closeSync(fd);
      try {
        unlinkSync(file);
      } catch {
        // Nothing to clean up.
      }
      throw new Error(`could not lock data folder ${dir}: ${(e as Error).message}`);
    }
    closeSync(fd);
    break;
  }

  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    releaseAtExit.delete(release);
    // Only our own lock, never one another process has taken over meanwhile.
    if (readText(file) === text) {
      try {
        unlinkSync(file);
      } catch {
        // Gone already.
      }
    }
  };
  releaseAtExit.add(release);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const r of [...releaseAtExit]) r();
    });
  }
  return { file, release };
}
