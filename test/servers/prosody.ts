/**
 * Prosody (Debian's, 0.12) as a real XMPP server for the suite: its own config, data, certificate
 * and log in a temp folder, on 127.0.0.1 and ephemeral ports (STARTTLS and direct TLS), users
 * registered with `prosodyctl --config`, a MUC component, started in the foreground as a child and
 * stopped by its pid. Nothing of the system's Prosody setup is used.
 *
 * The certificate is self-signed for the test domain; clients trust it per connection (the
 * account's trusted certificate), never by accepting any certificate.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, HOST, listening, logTail, pollUntil } from './mail-process.ts';

export const PROSODY = '/usr/bin/prosody';
export const PROSODYCTL = '/usr/bin/prosodyctl';
const START_ATTEMPTS = 3;
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

export interface XmppUser {
  name: string;
  password: string;
}

export interface XmppAccount extends XmppUser {
  /** `name@domain`. */
  jid: string;
}

export interface StartProsodyOptions {
  users: XmppUser[];
  /** Default `xmpp.test`; the MUC service is `muc.<domain>`. */
  domain?: string;
}

export interface TestProsody {
  domain: string;
  /** The MUC component's domain. */
  muc: string;
  host: string;
  /** Client port with STARTTLS. */
  port: number;
  /** Client port with TLS from the first byte (XEP-0368). */
  tlsPort: number;
  /** The server's self-signed certificate (PEM): what a client must trust. */
  certificate: string;
  users: XmppAccount[];
  dir: string;
  pid(): number | null;
  addUser(user: XmppUser): Promise<XmppAccount>;
  /** Stops Prosody and starts it again on the same ports and data. */
  restart(): Promise<void>;
  /** Prosody's log so far (for a failing test's message). */
  log(): string;
  /** Stops Prosody and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

export class ProsodyStartError extends Error {
  override readonly name = 'ProsodyStartError';
}

function config(dir: string, domain: string, port: number, tlsPort: number): string {
  return `-- Written by test/servers/prosody.ts for one test run.
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}"
-- The suite runs as root in CI containers; Prosody refuses that unless told.
run_as_root = true
log = { { levels = { min = "debug" }, to = "file", filename = "${dir}/prosody.log" } }
interfaces = { "${HOST}" }
c2s_ports = { ${port} }
c2s_direct_tls_ports = { ${tlsPort} }
s2s_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster", "saslauth", "tls", "disco", "carbons", "pep", "mam", "ping", "register", "smacks" }
modules_disabled = { "s2s", "admin_shell" }
authentication = "internal_hashed"
-- SCRAM's default 10 000 iterations cost ~0.8 s a login here; tests log in often.
default_iteration_count = 1024
c2s_require_encryption = true
allow_registration = false
archive_expires_after = "never"
default_archive_policy = true
ssl = { key = "${dir}/key.pem"; certificate = "${dir}/cert.pem"; }
VirtualHost "${domain}"
Component "muc.${domain}" "muc"
  modules_enabled = { "muc_mam" }
  muc_log_by_default = true
`;
}

function makeCertificate(dir: string, domain: string): string {
  const r = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '7',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain},DNS:muc.${domain}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new ProsodyStartError(`openssl could not make the test certificate: ${r.stderr}`);
  return readFileSync(join(dir, 'cert.pem'), 'utf8');
}

function register(dir: string, domain: string, user: XmppUser): void {
  const r = spawnSync(PROSODYCTL, ['--config', join(dir, 'prosody.cfg.lua'), 'register', user.name, domain, user.password], { encoding: 'utf8' });
  if (r.status !== 0) throw new ProsodyStartError(`prosodyctl register ${user.name} failed: ${r.stderr || r.stdout}`);
}

async function launch(dir: string, port: number, tlsPort: number): Promise<ChildProcess> {
  const child = spawn(PROSODY, ['--config', join(dir, 'prosody.cfg.lua'), '-F'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const up = await pollUntil(async () => child.exitCode === null && (await listening(port)) && (await listening(tlsPort)), START_TIMEOUT_MS);
  if (!up) {
    child.kill('SIGKILL');
    throw new ProsodyStartError(`Prosody did not start: ${stderr}\n${logTail(join(dir, 'prosody.log'))}`);
  }
  return child;
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(late);
}

/** Starts Prosody with these users; retries on a port taken between choosing and binding it. */
export async function startProsody(opts: StartProsodyOptions): Promise<TestProsody> {
  const domain = opts.domain ?? 'xmpp.test';
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-prosody-'));
    try {
      mkdirSync(join(dir, 'data'));
      const certificate = makeCertificate(dir, domain);
      const [port, tlsPort] = (await freePorts(2)) as [number, number];
      writeFileSync(join(dir, 'prosody.cfg.lua'), config(dir, domain, port, tlsPort));
      for (const u of opts.users) register(dir, domain, u);
      let child: ChildProcess | null = await launch(dir, port, tlsPort);
      const users: XmppAccount[] = opts.users.map((u) => ({ ...u, jid: `${u.name}@${domain}` }));
      let stopped = false;
      return {
        domain,
        muc: `muc.${domain}`,
        host: HOST,
        port,
        tlsPort,
        certificate,
        users,
        dir,
        pid: () => child?.pid ?? null,
        async addUser(user) {
          register(dir, domain, user);
          const account = { ...user, jid: `${user.name}@${domain}` };
          users.push(account);
          return account;
        },
        async restart() {
          await stopChild(child);
          child = await launch(dir, port, tlsPort);
        },
        log: () => logTail(join(dir, 'prosody.log'), 200),
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopChild(child);
          child = null;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      lastError = e;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError instanceof Error ? lastError : new ProsodyStartError(String(lastError));
}
