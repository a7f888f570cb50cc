/**
 * One Switchboard per profile folder. The desktop app and the web mode share the default profile,
 * and two cores on one database would each run an outbox and could send every queued message twice.
 *
 * The lock is a file, `switchboard.lock`, created with O_EXCL and holding `{pid, hostname, startedAt}`.
 * A lock whose process is gone (or which cannot be read) is stale and is taken over; a lock of a live
 * process refuses the open with a message the user can act on. A process releases its lock when the
 * database closes, and at the latest when it exits; after a crash the next start finds it stale.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file inside a profile folder. */
export const LOCK_FILE = 'switchboard.lock';

export interface ProfileLock {
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
/** A lock with our own pid written this much before this process started is from an earlier process. */
const OWN_PID_SLACK_MS = 1_000;
const MAX_ATTEMPTS = 3;

/** Locks held by this module instance (key: the folder's real path), released at exit if still held. */
const held = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const release of [...held.values()]) release();
  });
}

export function alreadyOpenMessage(pid: number): string {
  return `This profile is already open in another Switchboard (process ${pid}). Close it first, or use another profile with --profile.`;
}

function refused(holder: Holder, file: string): Error {
  if (holder.hostname !== hostname()) {
    return new Error(
      `This profile is already open in another Switchboard (process ${holder.pid} on ${holder.hostname}). ` +
        `Close it first, or use another profile with --profile. If Switchboard is not running there, delete ${file}.`,
    );
  }
  return new Error(alreadyOpenMessage(holder.pid));
}

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
    if (
      v === null ||
      typeof v !== 'object' ||
      !Number.isSafeInteger(v.pid) ||
      (v.pid as number) <= 0 ||
      typeof v.hostname !== 'string' ||
      typeof v.startedAt !== 'number' ||
      !Number.isFinite(v.startedAt)
    ) {
      return null;
    }
    return { pid: v.pid as number, hostname: v.hostname, startedAt: v.startedAt };
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, but another user's. Anything but ESRCH is taken as alive: refusing is the safe side.
    return code(e) !== 'ESRCH';
  }
}

/** Whether a well-formed lock still belongs to a running Switchboard (as far as this host can tell). */
function holderLive(h: Holder): boolean {
  // Another machine (a profile on a shared drive): its processes cannot be checked from here.
  if (h.hostname !== hostname()) return true;
  if (h.pid === process.pid) {
    // Our pid. Written before this process started, it is a previous process that had the same pid
    // (containers restart as pid 1); otherwise another thread of this process holds it.
    const processStartedAt = Date.now() - process.uptime() * 1000;
    return h.startedAt >= processStartedAt - OWN_PID_SLACK_MS;
  }
  return pidAlive(h.pid);
}

/**
 * Reads the current lock. An empty file may be one another process has just created and not yet
 * written: it gets a moment before it counts as garbage.
 */
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
 * stale lock only one moves it; if what we moved turns out to be a fresh lock another process
 * has just created, it goes back, and the next exclusive create decides.
 */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if (code(e) === 'ENOENT') return;
    throw e;
  }
  const moved = readText(aside) ?? '';
  if (moved !== staleText) {
    try {
      linkSync(aside, file);
    } catch (e) {
      if (code(e) !== 'EEXIST' && !existsSync(file)) renameSync(aside, file);
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Already renamed back.
  }
}

/**
 * Takes the exclusive lock on a profile folder (which must exist), or throws a clear error when
 * another Switchboard has it open.
 */
export function acquireProfileLock(profileDir: string): ProfileLock {
  const key = realpathSync(profileDir);
  const file = join(key, LOCK_FILE);
  if (held.has(key)) throw new Error(alreadyOpenMessage(process.pid));
  const text = `${JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: Date.now() } satisfies Holder)}\n`;

  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw new Error(`Could not lock the profile folder ${profileDir}: ${(e as Error).message}`);
      const current = readLock(file);
      if (current?.holder && holderLive(current.holder)) throw refused(current.holder, file);
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`Could not lock the profile folder ${profileDir}: ${file} keeps changing. Is another Switchboard starting?`);
      }
      // Stale or garbage: out of the way, and the exclusive create decides. Gone already: just retry.
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
      throw new Error(`Could not lock the profile folder ${profileDir}: ${(e as Error).message}`);
    }
    closeSync(fd);
    break;
  }

  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    held.delete(key);
    // Only our own lock: never one another process has taken over meanwhile.
    if (readText(file) === text) {
      try {
        unlinkSync(file);
      } catch {
        // Gone already.
      }
    }
  };
  held.set(key, release);
  installExitHook();
  return { file, release };
}
