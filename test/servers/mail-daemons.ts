/**
 * Starting and stopping one Dovecot or one Postfix of the mail test servers. Each daemon runs in
 * the foreground as a child of the test process, in a new process group, with a clean environment;
 * stopping it waits until no process of it is left (SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { MailLayout } from './mail-config.ts';
import { liveProcesses, logTail, pollUntil, readGreeting, signalAll, sleep, type ProcInfo } from './mail-process.ts';

export const DOVECOT = '/usr/sbin/dovecot';
export const POSTFIX = '/usr/sbin/postfix';

const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
/** Neither daemon needs anything from the test's environment; PATH is for postfix-script. */
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/** A running daemon: its processes, its logs, and how to stop it. */
export interface Daemon {
  readonly name: 'dovecot' | 'postfix';
  /** The master process (Dovecot's, or Postfix's `master`). */
  readonly masterPid: number;
  /** Live processes of this daemon (zombies excluded). */
  processes(): ProcInfo[];
  /** Stops every process of the daemon; resolves once none is left. Idempotent. */
  stop(): Promise<void>;
}

/** Why a daemon did not come up, with what it wrote; `portTaken` when a listen port was in use. */
export class MailServerStartError extends Error {
  /** The temp folder of the failed start (already removed), to check nothing of it runs. */
  dir = '';
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
    this.name = 'MailServerStartError';
  }
}

function spawnForeground(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: ENV, cwd: '/' });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return { child, output: () => out };
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Waits for `ready`; throws a MailServerStartError with the daemon's output and log if it exits first or times out. */
async function awaitReady(name: string, child: ChildProcess, ready: () => Promise<boolean>, report: () => string): Promise<void> {
  let up = false;
  await pollUntil(async () => exited(child) || (up = await ready()), START_TIMEOUT_MS);
  if (up) return;
  await sleep(50); // let the last output arrive
  const text = report();
  const why = exited(child) ? `exited with ${String(child.exitCode ?? child.signalCode)}` : `not ready after ${START_TIMEOUT_MS} ms`;
  throw new MailServerStartError(`${name} ${why}:\n${text}`, /address already in use/i.test(text));
}

/**
 * SIGTERM the master, then its helpers at once (Dovecot's master otherwise waits a second for
 * them, and its auth keeps serving a client such as Postfix's smtpd after the master is gone);
 * once the master is gone SIGTERM what is left (a helper it started meanwhile), SIGKILL what is
 * still there after the grace period, and wait until nothing of it is left.
 */
async function stopAll(master: number, child: ChildProcess, mine: () => ProcInfo[]): Promise<void> {
  const others = () => mine().map((p) => p.pid).filter((pid) => pid !== master);
  signalAll([master], 'SIGTERM');
  signalAll(others(), 'SIGTERM');
  await pollUntil(() => !mine().some((p) => p.pid === master), STOP_GRACE_MS);
  signalAll(others(), 'SIGTERM');
  if (!(await pollUntil(() => mine().length === 0, STOP_GRACE_MS))) signalAll(mine().map((p) => p.pid), 'SIGKILL');
  if (!(await pollUntil(() => mine().length === 0, STOP_GRACE_MS))) {
    throw new Error(`processes left after SIGKILL: ${mine().map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
  }
  if (!(await waitExit(child, STOP_GRACE_MS))) signalAll([child.pid ?? -1], 'SIGKILL');
}

function daemon(name: Daemon['name'], masterPid: number, child: ChildProcess, mine: () => ProcInfo[]): Daemon {
  let stopping: Promise<void> | undefined;
  return {
    name,
    masterPid,
    processes: mine,
    stop: () => (stopping ??= stopAll(masterPid, child, mine)),
  };
}

/**
 * Dovecot in the foreground (`-F`) from our config only. It runs as root and gives mail processes
 * the mail uid (from the passwd-file), login processes `dovenull`, auth `dovecot`.
 */
export async function startDovecot(l: MailLayout): Promise<Daemon> {
  const { child, output } = spawnForeground(DOVECOT, ['-F', '-c', l.dovecotConf]);
  const pgid = child.pid ?? -1;
  // Dovecot's helpers stay in its process group; its process titles name the (unique) instance.
  const instance = l.dir.split('/').pop() ?? '\0';
  const mine = () => liveProcesses((p) => p.pgid === pgid || p.cmdline.includes(instance));
  const ready = async () =>
    existsSync(l.authSocket) &&
    (await readGreeting(l.ports.imap))?.startsWith('* OK') === true &&
    (await readGreeting(l.ports.lmtp))?.startsWith('220') === true;
  const d = daemon('dovecot', pgid, child, mine);
  try {
    await awaitReady('dovecot', child, ready, () => `${output()}\n${logTail(l.dovecotLog)}`);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return d;
}

/**
 * Postfix from its private config folder: `postfix -c DIR start-fg` runs its integrity check, then
 * `master` in the foreground under postfix-script. `master` makes its own session, so its processes
 * are found by that process group and by MAIL_CONFIG (which every Postfix daemon inherits).
 */
export async function startPostfix(l: MailLayout): Promise<Daemon> {
  const { child, output } = spawnForeground(POSTFIX, ['-c', l.postfixConfig, 'start-fg']);
  const scriptPgid = child.pid ?? -1;
  const pidFile = `${l.postfixQueue}/pid/master.pid`;
  const masterPid = (): number => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || -1;
    } catch {
      return -1;
    }
  };
  const marker = `MAIL_CONFIG=${l.postfixConfig}\0`;
  const mine = () => {
    const master = masterPid();
    return liveProcesses((p) => p.pgid === scriptPgid || (master > 0 && p.pgid === master) || p.environ.includes(marker));
  };
  const ready = async () => masterPid() > 0 && (await readGreeting(l.ports.submission))?.startsWith('220') === true;
  try {
    await awaitReady('postfix', child, ready, () => `${output()}\n${logTail(l.postfixLog)}`);
  } catch (e) {
    await daemon('postfix', masterPid() > 0 ? masterPid() : scriptPgid, child, mine).stop();
    throw e;
  }
  return daemon('postfix', masterPid(), child, mine);
}

/** SIGKILL every process of these daemons at once, synchronously (for process exit). */
export function killNow(daemons: Iterable<Daemon>): void {
  for (const d of daemons) signalAll([d.masterPid, ...d.processes().map((p) => p.pid)], 'SIGKILL');
}
