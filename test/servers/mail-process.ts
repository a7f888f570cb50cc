/**
 * Process and port helpers for the mail test servers (test/servers/mail.ts): free ports on
 * 127.0.0.1, waiting for a server's greeting, and finding every process a server left behind by
 * reading /proc (Linux only, like Dovecot and Postfix themselves here).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

export const HOST = '127.0.0.1';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `count` distinct ports the OS considers free on 127.0.0.1 right now. Dovecot and Postfix need a
 * port number in their config (neither can listen on port 0 and report it), so there is a short
 * window in which another program may take one; the caller retries the start when that happens.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('listen(0) gave no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/**
 * Connects to HOST:port and resolves with the server's first line (its greeting), or null when
 * nothing answers (connection refused, closed, or no line within `timeoutMs`).
 */
export function readGreeting(port: number, timeoutMs = 1_000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let data = '';
    const done = (line: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\n');
      if (end >= 0) done(data.slice(0, end).trimEnd());
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}

/** True when something accepts TCP connections on HOST:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A process as /proc shows it: enough to tell whose it is. */
export interface ProcInfo {
  pid: number;
  pgid: number;
  /** One-letter state from /proc/PID/stat; 'Z' is a zombie (exited, not yet reaped). */
  state: string;
  cmdline: string;
  environ: string;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    let environ = '';
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      // Not readable (another user's process when we are not root): match on the other fields.
    }
    return { pid, pgid: Number(fields[2]), state: fields[0] ?? '?', cmdline, environ };
  } catch {
    return null; // exited while we looked
  }
}

/** Every live process (zombies left out: they hold no port, file or memory) matching `match`. */
export function liveProcesses(match: (p: ProcInfo) => boolean): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const info = readProc(pid);
    if (info !== null && info.state !== 'Z' && match(info)) found.push(info);
  }
  return found;
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already exited
    }
  }
}

/** Polls `check` every 25 ms until it returns true or `timeoutMs` has passed; returns its last answer. */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

/** The last `lines` lines of a log file, or a note that it does not exist. */
export function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path})`;
  }
}
