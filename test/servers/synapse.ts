/**
 * Synapse as a real Matrix homeserver for the suite: its own config, signing key, SQLite database,
 * media store and log in a temp folder, one plain-HTTP client listener on 127.0.0.1 and an
 * ephemeral port, no federation, rate limits out of the way, users created through the admin
 * register API (shared-secret HMAC), started in the foreground as a child and stopped by its pid.
 *
 * Synapse lives in its own virtualenv, made by test/servers/install-synapse.sh (SYNAPSE_VENV, by
 * default /opt/switchboard-synapse-venv). The config is written here, not by `--generate-config`,
 * which would cost a second Python start and a config we then have to patch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, HOST, logTail, pollUntil } from './mail-process.ts';

export const SYNAPSE_VENV = process.env['SYNAPSE_VENV'] ?? '/opt/switchboard-synapse-venv';
const PYTHON = join(SYNAPSE_VENV, 'bin', 'python');
const START_ATTEMPTS = 3;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface MatrixUser {
  name: string;
  password: string;
}

export interface MatrixAccount extends MatrixUser {
  /** `@name:serverName`. */
  userId: string;
}

export interface StartSynapseOptions {
  users?: MatrixUser[];
  /** Default `synapse.test`: the part after the colon in user and room ids. */
  serverName?: string;
}

export interface TestSynapse {
  /** `http://127.0.0.1:<port>`: the client-server API's base (no trailing slash). */
  baseUrl: string;
  serverName: string;
  host: string;
  port: number;
  users: MatrixAccount[];
  dir: string;
  pid(): number | null;
  /** Creates a (non-admin) user through the admin register API. */
  registerUser(user: MatrixUser): Promise<MatrixAccount>;
  /** Stops Synapse and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** The tail of Synapse's log (warnings and errors) and its stderr, for a failing test's message. */
  log(): string;
  /** Stops Synapse and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

export class SynapseStartError extends Error {
  override readonly name = 'SynapseStartError';
}

/** Generous enough that no test is ever throttled; Synapse's defaults allow ~0.2 messages/s. */
const UNLIMITED = { per_second: 10_000, burst_count: 100_000 };

/** homeserver.yaml as JSON (a subset of YAML), so no value needs YAML quoting. */
function homeserverConfig(dir: string, serverName: string, port: number, sharedSecret: string): string {
  const config = {
    server_name: serverName,
    public_baseurl: `http://${HOST}:${port}/`,
    pid_file: join(dir, 'homeserver.pid'),
    listeners: [
      // `client` also serves /_synapse/admin; no `federation` resource: this server talks to no other.
      { port, bind_addresses: [HOST], type: 'http', tls: false, x_forwarded: false, resources: [{ names: ['client'], compress: false }] },
    ],
    database: { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } },
    log_config: join(dir, 'log.config'),
    media_store_path: join(dir, 'media_store'),
    signing_key_path: join(dir, 'signing.key'),
    enable_registration: false,
    registration_shared_secret: sharedSecret,
    macaroon_secret_key: randomBytes(24).toString('hex'),
    form_secret: randomBytes(24).toString('hex'),
    // bcrypt's default 12 rounds cost ~0.25 s per login or registration; tests do many.
    bcrypt_rounds: 4,
    report_stats: false,
    federation_domain_whitelist: [],
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    url_preview_enabled: false,
    enable_metrics: false,
    rc_message: UNLIMITED,
    rc_registration: UNLIMITED,
    rc_login: { address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED },
    rc_joins: { local: UNLIMITED, remote: UNLIMITED },
    rc_joins_per_room: UNLIMITED,
    rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
    rc_third_party_invite: UNLIMITED,
    rc_admin_redaction: UNLIMITED,
    rc_key_requests: UNLIMITED,
    rc_3pid_validation: UNLIMITED,
    rc_media_create: UNLIMITED,
    rc_presence: { per_user: UNLIMITED },
    rc_delayed_event_mgmt: UNLIMITED,
    rc_room_creation: UNLIMITED,
    rc_reports: UNLIMITED,
    rc_user_directory: UNLIMITED,
    rc_profile: UNLIMITED,
  };
  return `# Written by test/servers/synapse.ts for one test run.\n${JSON.stringify(config, null, 2)}\n`;
}

/** Python logging dictConfig: warnings and worse to homeserver.log, nothing to the console. */
function logConfig(dir: string): string {
  return JSON.stringify({
    version: 1,
    formatters: { precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' } },
    handlers: {
      file: { class: 'logging.FileHandler', formatter: 'precise', filename: join(dir, 'homeserver.log'), encoding: 'utf8' },
    },
    loggers: { synapse: { level: 'WARNING' }, 'synapse.storage.SQL': { level: 'WARNING' } },
    root: { level: 'WARNING', handlers: ['file'] },
    disable_existing_loggers: false,
  });
}

/**
 * A signing key in Synapse's format (`ed25519 <key id> <unpadded base64 seed>`), made here rather
 * than by `--generate-keys`, which would cost a second Python start.
 */
function signingKey(): string {
  const der = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = der.subarray(der.length - 32).toString('base64').replace(/=+$/, '');
  return `ed25519 a_${randomBytes(3).toString('hex')} ${seed}\n`;
}

async function answers(baseUrl: string): Promise<boolean> {
  try {
    const r = await fetch(`${baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(2_000) });
    return r.ok;
  } catch {
    return false;
  }
}

function launch(dir: string, baseUrl: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(PYTHON, ['-m', 'synapse.app.homeserver', '-c', join(dir, 'homeserver.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-20_000);
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return pollUntil(async () => exited() || (await answers(baseUrl)), START_TIMEOUT_MS).then(async (done) => {
    if (!done || exited()) {
      await stopChild(child);
      const why = exited() ? `exited (${child.exitCode ?? child.signalCode})` : `did not answer within ${START_TIMEOUT_MS} ms`;
      const hint = /No module named '?synapse/.test(stderr) ? ' Run test/servers/install-synapse.sh.' : '';
      throw new SynapseStartError(`Synapse ${why}.${hint}\nstderr:\n${stderr}\nlog:\n${logTail(join(dir, 'homeserver.log'))}`);
    }
    return { child, stderr: () => stderr };
  });
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(late);
}

/** The admin API's shared-secret registration: fetch a nonce, then POST the HMAC-SHA1 of the request. */
async function register(baseUrl: string, sharedSecret: string, user: MatrixUser): Promise<string> {
  const url = `${baseUrl}/_synapse/admin/v1/register`;
  const nonceResponse = await fetch(url);
  if (!nonceResponse.ok) throw new Error(`GET ${url}: ${nonceResponse.status} ${await nonceResponse.text()}`);
  const { nonce } = (await nonceResponse.json()) as { nonce: string };
  const mac = createHmac('sha1', sharedSecret)
    .update([nonce, user.name, user.password, 'notadmin'].join('\0'))
    .digest('hex');
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username: user.name, password: user.password, admin: false, mac }),
  });
  const body = (await r.json()) as { user_id?: string; error?: string };
  if (!r.ok || body.user_id === undefined) throw new Error(`registering ${user.name} failed: ${r.status} ${JSON.stringify(body)}`);
  return body.user_id;
}

/** Starts Synapse with these users; retries on a port taken between choosing and binding it. */
export async function startSynapse(opts: StartSynapseOptions = {}): Promise<TestSynapse> {
  if (!existsSync(PYTHON)) {
    throw new SynapseStartError(`No Synapse virtualenv at ${SYNAPSE_VENV}: run test/servers/install-synapse.sh first.`);
  }
  const serverName = opts.serverName ?? 'synapse.test';
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-synapse-'));
    let running: Awaited<ReturnType<typeof launch>> | null = null;
    try {
      const [port] = (await freePorts(1)) as [number];
      const baseUrl = `http://${HOST}:${port}`;
      const sharedSecret = randomBytes(24).toString('hex');
      mkdirSync(join(dir, 'media_store'));
      writeFileSync(join(dir, 'homeserver.yaml'), homeserverConfig(dir, serverName, port, sharedSecret));
      writeFileSync(join(dir, 'log.config'), logConfig(dir));
      writeFileSync(join(dir, 'signing.key'), signingKey(), { mode: 0o600 });
      running = await launch(dir, baseUrl);
      const users: MatrixAccount[] = [];
      const registerUser = async (user: MatrixUser): Promise<MatrixAccount> => {
        const account = { ...user, userId: await register(baseUrl, sharedSecret, user) };
        users.push(account);
        return account;
      };
      for (const u of opts.users ?? []) await registerUser(u);
      let stopped = false;
      return {
        baseUrl,
        serverName,
        host: HOST,
        port,
        users,
        dir,
        pid: () => running?.child.pid ?? null,
        registerUser,
        async restart() {
          await stopChild(running?.child ?? null);
          running = await launch(dir, baseUrl);
        },
        log: () => `${logTail(join(dir, 'homeserver.log'), 200)}\nstderr:\n${running?.stderr() ?? ''}`,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopChild(running?.child ?? null);
          running = null;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      lastError = e;
      await stopChild(running?.child ?? null);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError instanceof Error ? lastError : new SynapseStartError(String(lastError));
}
