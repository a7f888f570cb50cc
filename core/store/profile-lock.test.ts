import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations/index.ts';
import { DB_FILE, openDatabase } from './open.ts';
import { LOCK_FILE } from './profile-lock.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const REFUSED = /^This profile is already open in another Switchboard \(process (\d+)\)\. Close it first, or use another profile with --profile\.$/;

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the open to be refused');
}

function writeLock(dir: string, holder: unknown): void {
  writeFileSync(join(dir, LOCK_FILE), typeof holder === 'string' ? holder : JSON.stringify(holder));
}

function lockHolder(dir: string): { pid: number; hostname: string; startedAt: number } {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; hostname: string; startedAt: number };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once('exit', () => ok());
  });
}

/** A node process running `code`, tracked so a failed test does not leave it behind. */
function node(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** The first stdout line of a child, or its stderr when it exits first. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('\n')) ok(out.split('\n')[0]!);
    });
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    child.once('exit', (code) => fail(new Error(`child exited ${code}: ${err}`)));
  });
}

const OPEN_TS = pathToFileURL(join(import.meta.dirname, 'open.ts')).href;

/** Another process (through tsx, as the web mode runs) that opens the profile in PROFILE. */
function openerProcess(script: string, profile: string): ChildProcess {
  const code = `import { openDatabase } from ${JSON.stringify(OPEN_TS)};\nconst profile = process.env.PROFILE;\n${script}`;
  return node(['--import', 'tsx', '--input-type=module', '-e', code], { PROFILE: profile, SWITCHBOARD_LOG: 'error' });
}

describe('profile lock', () => {
  it('refuses a second open of a profile while the first is open, and leaves the first alone', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const holder = lockHolder(dir);
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(Math.abs(holder.startedAt - Date.now())).toBeLessThan(60_000);
    if (process.platform !== 'win32') expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);

    const message = refusal(() => openDatabase(dir));
    expect(message).toMatch(REFUSED);
    expect(message).toContain(`process ${process.pid}`);
    // The refused open neither released nor replaced the lock, and the first connection still works.
    expect(lockHolder(dir)).toEqual(holder);
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    // The same folder by another spelling is the same profile.
    expect(refusal(() => openDatabase(`${dir}${sep}.${sep}`))).toMatch(REFUSED);
    db.close();
  });

  it('releases the lock on close, so the same process can open the profile again', () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    first.exec("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('x')");
    first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    first.close(); // a second close changes nothing

    const again = openDatabase(dir);
    expect(again.prepare('SELECT v FROM kept').pluck().get()).toBe('x');
    expect(lockHolder(dir).pid).toBe(process.pid);
    again.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('does not lock a throwaway in-memory database', () => {
    const a = openDatabase(':memory:');
    const b = openDatabase(':memory:');
    a.close();
    b.close();
  });

  it('releases the lock when the open fails (a profile from a newer build)', () => {
    const dir = tempDir();
    const raw = new Database(join(dir, DB_FILE));
    raw.pragma(`user_version = ${(MIGRATIONS.at(-1)?.version ?? 0) + 1}`);
    raw.close();
    expect(() => openDatabase(dir)).toThrow(/newer Switchboard/);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    // Not "already open": the failed attempt left nothing behind.
    expect(() => openDatabase(dir)).toThrow(/newer Switchboard/);
  });

  it('takes over the lock of a process that is no longer running', async () => {
    const dir = tempDir();
    const gone = node(['-e', '']);
    await exited(gone);
    writeLock(dir, { pid: gone.pid, hostname: hostname(), startedAt: Date.now() - 1_000 });
    const db = openDatabase(dir);
    expect(lockHolder(dir).pid).toBe(process.pid);
    db.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it.each([
    ['not JSON', 'garbage{'],
    ['JSON null', 'null'],
    ['no pid', JSON.stringify({ hostname: hostname(), startedAt: 1 })],
    ['pid 0 (the process group)', JSON.stringify({ pid: 0, hostname: hostname(), startedAt: 1 })],
    ['a negative pid', JSON.stringify({ pid: -1, hostname: hostname(), startedAt: 1 })],
    ['a string pid', JSON.stringify({ pid: String(process.pid), hostname: hostname(), startedAt: 1 })],
    ['an empty file', ''],
  ])('takes over a garbage lock file: %s', (_what, text) => {
    const dir = tempDir();
    writeLock(dir, text);
    const db = openDatabase(dir);
    expect(lockHolder(dir).pid).toBe(process.pid);
    db.close();
  });

  it('refuses a lock held by another live process, and takes it over once that process is gone', async () => {
    const dir = tempDir();
    const other = node(['-e', 'setTimeout(() => {}, 30000)']);
    await new Promise((ok) => other.once('spawn', ok));
    writeLock(dir, { pid: other.pid, hostname: hostname(), startedAt: Date.now() });

    const message = refusal(() => openDatabase(dir));
    expect(message).toMatch(REFUSED);
    expect(message).toContain(`process ${other.pid}`);
    expect(lockHolder(dir).pid).toBe(other.pid);
    expect(existsSync(join(dir, DB_FILE))).toBe(false); // refused before SQLite touched the folder

    other.kill('SIGKILL'); // a crash: nothing released the lock
    await exited(other);
    const db = openDatabase(dir);
    expect(lockHolder(dir).pid).toBe(process.pid);
    db.close();
  });

  it('takes over a lock with its own pid written before this process started (a restarted container)', () => {
    const dir = tempDir();
    const processStart = Date.now() - process.uptime() * 1000;
    writeLock(dir, { pid: process.pid, hostname: hostname(), startedAt: processStart - 60_000 });
    const db = openDatabase(dir);
    expect(lockHolder(dir).startedAt).toBeGreaterThanOrEqual(processStart);
    db.close();
  });

  it('refuses a lock with its own pid written since this process started (another thread of it)', () => {
    const dir = tempDir();
    writeLock(dir, { pid: process.pid, hostname: hostname(), startedAt: Date.now() });
    expect(refusal(() => openDatabase(dir))).toMatch(REFUSED);
  });

  it('refuses a lock from another machine, whose processes it cannot check, and says how to clear it', () => {
    const dir = tempDir();
    writeLock(dir, { pid: 4242, hostname: 'elsewhere.example', startedAt: Date.now() - 3_600_000 });
    const message = refusal(() => openDatabase(dir));
    expect(message).toContain('already open in another Switchboard (process 4242 on elsewhere.example)');
    expect(message).toContain(join(realpathSync(dir), LOCK_FILE));
  });

  it('only removes its own lock on close, never one that replaced it', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const other = JSON.stringify({ pid: 4242, hostname: hostname(), startedAt: Date.now() });
    writeLock(dir, other);
    db.close();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });

  it('refuses an open while another process has the profile open, and the lock dies with that process', async () => {
    const dir = tempDir();
    const holder = openerProcess(`openDatabase(profile); console.log('open ' + process.pid); setInterval(() => {}, 1000);`, dir);
    expect(await firstLine(holder)).toBe(`open ${holder.pid}`);

    const message = refusal(() => openDatabase(dir));
    expect(message).toMatch(REFUSED);
    expect(message).toContain(`process ${holder.pid}`);

    holder.kill('SIGKILL');
    await exited(holder);
    const db = openDatabase(dir);
    db.close();
  });

  it('releases the lock when a process exits without closing the database', async () => {
    const dir = tempDir();
    const quitter = openerProcess(`openDatabase(profile); console.log('open');`, dir);
    expect(await firstLine(quitter)).toBe('open');
    await exited(quitter);
    expect(quitter.exitCode).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('lets exactly one of several processes starting together take over a stale lock', async () => {
    const dir = tempDir();
    const gone = node(['-e', '']);
    await exited(gone);
    writeLock(dir, { pid: gone.pid, hostname: hostname(), startedAt: Date.now() - 1_000 });
    // Each waits for a shared start time, then opens; a winner keeps the profile open until told to stop.
    const startAt = Date.now() + 3_000;
    const racers = Array.from({ length: 4 }, () =>
      openerProcess(
        `while (Date.now() < ${startAt}) {}
         try { openDatabase(profile); console.log('won'); setTimeout(() => {}, 15000); }
         catch (e) { console.log(String(e.message).startsWith('This profile is already open') ? 'refused' : 'error ' + e.message); }`,
        dir,
      ),
    );
    const results = await Promise.all(racers.map(firstLine));
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    expect(results.filter((r) => r === 'refused')).toHaveLength(racers.length - 1);
  }, 30_000);
});
