/**
 * Real mail servers for the suite: Dovecot (IMAP + LMTP, users in a passwd-file, Maildir) and
 * Postfix (submission with SASL through Dovecot's auth socket, delivery to Dovecot over LMTP),
 * both from Debian (`apt-get install dovecot-imapd dovecot-lmtpd postfix`, see .ci/run), on
 * 127.0.0.1 ephemeral ports, all state in one temp folder, no system config or service used.
 *
 * Needs root: Postfix's master only runs as root, and Dovecot as root hands mail to the `mail`
 * user (it refuses uid 0 for mail). Plain TCP only (no TLS): the tests talk over loopback.
 */
import { accessSync, chmodSync, chownSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dovecotConf, passwdLine, postfixMainCf, postfixMasterCf, type MailLayout } from './mail-config.ts';
import { DOVECOT, killNow, MailServerStartError, POSTFIX, startDovecot, startPostfix, type Daemon } from './mail-daemons.ts';
import { dropMessage, ensureMailFolder, type MailOwner } from './mail-maildir.ts';
import { freePorts, HOST, liveProcesses, logTail, pollUntil, sleep, type ProcInfo } from './mail-process.ts';

const run = promisify(execFile);
const DOVEADM = '/usr/bin/doveadm';

export { MailServerStartError } from './mail-daemons.ts';

/** A mail account to create: log in with `name` (or the full address) and `password`. */
export interface MailUser {
  name: string;
  password: string;
}

/** An account on the test servers. */
export interface MailAccount extends MailUser {
  /** `name@domain`. */
  address: string;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface StartMailServersOptions {
  users: MailUser[];
  /** Default `switchboard.test` (a reserved name: nothing outside this machine answers for it). */
  domain?: string;
  /** Fixed ports instead of ephemeral ones (then a taken port fails the start instead of a retry). */
  ports?: Partial<MailLayout['ports']>;
  /** The IMAP capabilities Dovecot announces instead of its own (e.g. without IDLE). */
  imapCapability?: string;
}

/** Where deliverRaw puts a message. */
export interface DeliverOptions {
  /** Default INBOX; another name ("Sent", "Archive/2024") is created if missing. */
  mailbox?: string;
  /** Mark it \Seen (it goes to cur/ instead of new/). */
  seen?: boolean;
}

/** A running Dovecot + Postfix pair. */
export interface MailServers {
  /** IMAP, plain TCP (no STARTTLS), PLAIN/LOGIN auth. */
  imap: Endpoint;
  /** Dovecot's LMTP: delivers to any user of `domain`, no auth. */
  lmtp: Endpoint;
  /** Postfix submission: plain TCP, SASL PLAIN/LOGIN required to send; only `domain` is reachable. */
  submission: Endpoint;
  domain: string;
  /** The accounts, including those added by addUser. */
  users: MailAccount[];
  /** The temp folder holding config, logs and mail (removed by stop). */
  dir: string;
  /** Adds an account; resolves once Dovecot (and so Postfix's SASL) accepts its password. */
  addUser(user: MailUser): Promise<MailAccount>;
  /** Stops Dovecot (every process of it) and starts it again on the same ports and mail. */
  restartDovecot(): Promise<void>;
  /**
   * Puts `message` (the raw RFC 822 bytes, unchanged) into a user's mailbox by writing a Maildir
   * file; IMAP sees it at the next NOOP/SELECT, IDLE at once. Returns the file's path.
   */
  deliverRaw(user: string, message: Uint8Array | string, opts?: DeliverOptions): Promise<string>;
  /** Live processes of both servers (zombies excluded). */
  processes(): ProcInfo[];
  /** The servers' logs so far, for a failing test's message. */
  logs(): { dovecot: string; postfix: string };
  /** Stops both servers (nothing of them left running) and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_DOMAIN = 'switchboard.test';
const START_ATTEMPTS = 3;
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/**
 * Dovecot re-reads a changed passwd-file, but looks at it at most once a second: a login right
 * after addUser could still be refused. Wait until its auth process accepts the new password.
 */
async function untilDovecotAccepts(l: MailLayout, user: MailUser): Promise<void> {
  const test = () =>
    run(DOVEADM, ['-c', l.dovecotConf, 'auth', 'test', user.name, user.password]).then(
      () => true,
      () => false,
    );
  if (!(await pollUntil(test, 5_000))) throw new Error(`Dovecot does not accept the new user ${user.name}:\n${logTail(l.dovecotLog)}`);
}

/** Every daemon not yet stopped, killed if the test process exits without stopping it. */
const running = new Set<Daemon>();
/** Temp folders of pairs not yet stopped, removed by the same exit hook. */
const folders = new Set<string>();
const killRunning = () => {
  killNow(running);
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
};

/** Tracks a started daemon; the exit hook is there only while something runs (no listener pile-up). */
function track(d: Daemon): void {
  if (running.size === 0) process.on('exit', killRunning);
  running.add(d);
}

async function stopTracked(d: Daemon): Promise<void> {
  try {
    await d.stop();
  } finally {
    running.delete(d);
    if (running.size === 0) process.off('exit', killRunning);
  }
}

function idOf(file: '/etc/passwd' | '/etc/group', name: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const id = Number(line?.split(':')[2]);
  if (line === undefined || !Number.isInteger(id)) throw new Error(`no ${name} in ${file}: install dovecot-imapd dovecot-lmtpd postfix (see .ci/run)`);
  return id;
}

function checkHost(): void {
  if (process.getuid?.() !== 0) throw new Error('startMailServers needs root: Postfix runs its master as root, Dovecot hands mail to the mail uid');
  for (const bin of [DOVECOT, POSTFIX]) {
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      throw new Error(`${bin} missing: apt-get install dovecot-imapd dovecot-lmtpd postfix (see .ci/run)`);
    }
  }
}

function validUser(u: MailUser): void {
  if (!NAME.test(u.name)) throw new Error(`user name not allowed: ${JSON.stringify(u.name)}`);
  if (u.password === '' || /[:\n\r\0]/.test(u.password)) throw new Error(`password of ${u.name} must be non-empty, without ':' or line breaks`);
}

function makeLayout(dir: string, domain: string, ports: number[], mail: MailOwner): MailLayout {
  const [imap = 0, lmtp = 0, submission = 0] = ports;
  return {
    dir,
    domain,
    ports: { imap, lmtp, submission },
    dovecotConf: join(dir, 'dovecot.conf'),
    dovecotBase: join(dir, 'dovecot-run'),
    dovecotLog: join(dir, 'dovecot.log'),
    usersFile: join(dir, 'users'),
    mailRoot: join(dir, 'mail'),
    authSocket: join(dir, 'auth-postfix'),
    postfixConfig: join(dir, 'postfix'),
    postfixQueue: join(dir, 'postfix-queue'),
    postfixData: join(dir, 'postfix-data'),
    postfixLog: join(dir, 'postfix.log'),
    mailUid: mail.uid,
    mailGid: mail.gid,
  };
}

/**
 * Writes every file both servers need. The folder is 0711 so the daemons' own users can reach
 * what is theirs: mail (mail uid, 0700), the passwd-file (group dovecot, 0640), Postfix's data.
 */
function writeFiles(l: MailLayout, users: MailUser[]): void {
  chmodSync(l.dir, 0o711);
  mkdirSync(l.mailRoot, { mode: 0o700 });
  chownSync(l.mailRoot, l.mailUid, l.mailGid);
  writeFileSync(l.usersFile, users.map((u) => passwdLine(l, u.name, u.password)).join(''), { mode: 0o640 });
  chownSync(l.usersFile, 0, idOf('/etc/group', 'dovecot'));
  writeFileSync(l.dovecotConf, dovecotConf(l), { mode: 0o644 });
  mkdirSync(l.postfixConfig, { mode: 0o755 });
  writeFileSync(join(l.postfixConfig, 'main.cf'), postfixMainCf(l), { mode: 0o644 });
  writeFileSync(join(l.postfixConfig, 'master.cf'), postfixMasterCf(l), { mode: 0o644 });
  // Postfix waits (in 300 ms steps, up to ~2 s) while a config file's mtime is not yet in the past,
  // in case an editor is still writing it; ours are complete, so date them a minute back.
  const past = new Date(Date.now() - 60_000);
  for (const f of ['main.cf', 'master.cf']) utimesSync(join(l.postfixConfig, f), past, past);
  mkdirSync(l.postfixQueue, { mode: 0o755 }); // postfix-script creates its subfolders
  mkdirSync(l.postfixData, { mode: 0o700 });
  chownSync(l.postfixData, idOf('/etc/passwd', 'postfix'), 0);
}

/**
 * Live processes that belong to the mail servers whose temp folder is `dir`, found without their
 * pids: Dovecot's command lines and titles name the folder, every Postfix process has
 * MAIL_CONFIG set to its config folder inside it.
 */
export function mailProcessesOf(dir: string): ProcInfo[] {
  const name = dir.split('/').pop() ?? dir;
  const postfix = `MAIL_CONFIG=${join(dir, 'postfix')}\0`;
  return liveProcesses((p) => p.cmdline.includes(name) || p.environ.includes(postfix));
}

/** One attempt on freshly chosen ports (unless fixed); on any failure nothing is left running. */
async function startOnce(domain: string, users: MailUser[], mail: MailOwner, fixed: Partial<MailLayout['ports']>, imapCapability?: string): Promise<{ layout: MailLayout; dovecot: Daemon; postfix: Daemon }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-mail-'));
  const [imap = 0, lmtp = 0, submission = 0] = await freePorts(3);
  const layout = { ...makeLayout(dir, domain, [fixed.imap ?? imap, fixed.lmtp ?? lmtp, fixed.submission ?? submission], mail), imapCapability };
  let up: Daemon[] = [];
  try {
    writeFiles(layout, users);
    await Promise.all(users.map((u) => ensureMailFolder(join(layout.mailRoot, u.name, 'Maildir'), 'INBOX', mail)));
    // Settled, not Promise.all: when one fails the other may still be starting, and must be stopped too.
    const [dovecot, postfix] = await Promise.allSettled([startDovecot(layout), startPostfix(layout)]);
    up = [dovecot, postfix].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    up.forEach(track);
    if (dovecot.status === 'rejected') throw dovecot.reason;
    if (postfix.status === 'rejected') throw postfix.reason;
    return { layout, dovecot: dovecot.value, postfix: postfix.value };
  } catch (e) {
    await Promise.all(up.map(stopTracked));
    rmSync(dir, { recursive: true, force: true });
    if (e instanceof MailServerStartError) e.dir = dir;
    throw e;
  }
}

/** Starts Dovecot and Postfix (in parallel) with these users; retries on new ports if one was taken meanwhile. */
export async function startMailServers(opts: StartMailServersOptions): Promise<MailServers> {
  checkHost();
  opts.users.forEach(validUser);
  const domain = opts.domain ?? DEFAULT_DOMAIN;
  const mail = { uid: idOf('/etc/passwd', 'mail'), gid: idOf('/etc/group', 'mail') };
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      return servers(await startOnce(domain, opts.users, mail, opts.ports ?? {}, opts.imapCapability), opts.users, mail);
    } catch (e) {
      const retry = e instanceof MailServerStartError && e.portTaken && opts.ports === undefined && attempt < START_ATTEMPTS;
      if (!retry) throw e;
    }
  }
}

/** Starts Dovecot again on its ports, retrying for a few seconds while one is still held. */
async function restartOnSamePorts(l: MailLayout): Promise<Daemon> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await startDovecot(l);
    } catch (e) {
      if (!(e instanceof MailServerStartError && e.portTaken) || Date.now() >= deadline) throw e;
      await sleep(100);
    }
  }
}

function servers(start: { layout: MailLayout; dovecot: Daemon; postfix: Daemon }, initial: MailUser[], mail: MailOwner): MailServers {
  const { layout: l, postfix } = start;
  let dovecot = start.dovecot;
  const users: MailAccount[] = initial.map((u) => ({ ...u, address: `${u.name}@${l.domain}` }));
  const maildir = (name: string) => join(l.mailRoot, name, 'Maildir');
  let stopped: Promise<void> | undefined;
  folders.add(l.dir);
  return {
    imap: { host: HOST, port: l.ports.imap },
    lmtp: { host: HOST, port: l.ports.lmtp },
    submission: { host: HOST, port: l.ports.submission },
    domain: l.domain,
    users,
    dir: l.dir,
    async addUser(user) {
      validUser(user);
      if (users.some((u) => u.name === user.name)) throw new Error(`user ${user.name} exists`);
      await ensureMailFolder(maildir(user.name), 'INBOX', mail);
      await appendFile(l.usersFile, passwdLine(l, user.name, user.password));
      await untilDovecotAccepts(l, user);
      const account = { ...user, address: `${user.name}@${l.domain}` };
      users.push(account);
      return account;
    },
    async restartDovecot() {
      if (stopped) throw new Error('restartDovecot() after stop()');
      await stopTracked(dovecot);
      dovecot = await restartOnSamePorts(l);
      track(dovecot);
    },
    async deliverRaw(user, message, opts = {}) {
      const name = user.split('@')[0] ?? user;
      if (!users.some((u) => u.name === name)) throw new Error(`no user ${user}`);
      const folder = await ensureMailFolder(maildir(name), opts.mailbox ?? 'INBOX', mail);
      return dropMessage(folder, message, mail, opts.seen ?? false);
    },
    processes: () => [...dovecot.processes(), ...postfix.processes()],
    logs: () => ({ dovecot: logTail(l.dovecotLog, 200), postfix: logTail(l.postfixLog, 200) }),
    stop() {
      stopped ??= (async () => {
        try {
          // Postfix first: its smtpd processes hold connections to Dovecot's auth socket.
          await stopTracked(postfix);
          await stopTracked(dovecot);
        } finally {
          rmSync(l.dir, { recursive: true, force: true });
          folders.delete(l.dir);
        }
      })();
      return stopped;
    },
  };
}
