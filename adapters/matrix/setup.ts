/**
 * What the Matrix protocol offers before an account exists: finding the homeserver from a Matrix ID
 * (client-server API, "Server Discovery"), checking a password, logging in for good (an access
 * token and a device, so the password is never stored) and logging out again.
 *
 * Plain `fetch` to the client-server API rather than matrix-js-sdk: a login is four small
 * requests, and the SDK would bring its own retries and logging that would hide the errors we must
 * put in words.
 */
import { AdapterActionError, type AccountConfig, type AccountSetup, type DiscoveredSettings } from '../contract.ts';
import { createAdapterLogger } from '../log.ts';

const log = createAdapterLogger('matrix.setup');

/** A login, check or logout ends after this long at most; the caller's signal usually ends it sooner. */
const ACTION_MS = 20_000;
/** Discovery gives up sooner: the user is waiting with the form open, and can type the URL in. */
const DISCOVER_MS = 10_000;
/** No answer we read is anywhere near this big; a bigger one is not a Matrix server's. */
const MAX_BODY = 256 * 1024;

/** The device name the homeserver shows in the user's session list. */
const DEVICE_NAME = 'Switchboard';
const CHECK_DEVICE_NAME = 'Switchboard login check';

/** A Matrix account's settings as stored by core (`accounts.add` … `settings`). */
export interface MatrixSettings {
  /** The client-server API's base URL, e.g. `https://matrix.example.org`, without a trailing slash. */
  homeserver: string;
}

/** Dependencies tests replace: the network, where discovery looks, and the deadlines. */
export interface MatrixSetupOptions {
  /** Default: the global fetch. */
  fetch?: typeof fetch | undefined;
  /**
   * The web origin of a server name's host, where `.well-known/matrix/client` lives and the
   * fallback homeserver is tried. Default `https://<host>` (the spec's; tests point it at 127.0.0.1).
   */
  serverOrigin?: ((host: string) => string) | undefined;
  /** Deadline of a login, check or logout. */
  timeoutMs?: number | undefined;
  /** Deadline of a discovery. */
  discoverTimeoutMs?: number | undefined;
}

/** The two parts of a Matrix ID. */
export interface Mxid {
  localpart: string;
  /** `host` or `host:port`, as in the ID. */
  serverName: string;
}

// Localparts made today are [a-z0-9._=/+-], but the spec asks clients to accept historical ones:
// any printable ASCII but the colon.
const MXID = /^@([\x21-\x39\x3b-\x7e]+):((?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(?::(\d{1,5}))?)$/;

/** Splits `@localpart:server`; throws `AdapterActionError('invalid')` with a sentence for anything else. */
export function parseMxid(address: string): Mxid {
  const id = address.trim();
  const m = MXID.exec(id);
  const port = m?.[3] === undefined ? 1 : Number(m[3]);
  // The spec caps a user ID at 255 bytes; all allowed characters are one byte each.
  if (!m || id.length > 255 || port < 1 || port > 65_535) {
    throw new AdapterActionError('invalid', `"${address.slice(0, 80)}" is not a Matrix ID (it should look like @you:example.org).`);
  }
  return { localpart: m[1]!, serverName: m[2]! };
}

/** The host part of a server name (without its port), where discovery looks. */
function hostOf(serverName: string): string {
  return serverName.startsWith('[') ? serverName.slice(0, serverName.indexOf(']') + 1) : serverName.replace(/:\d+$/, '');
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Reads and checks the settings: the homeserver is an http(s) URL, plain http only on this computer
 * (a password and an access token must never cross a network in the clear). Throws
 * `AdapterActionError('invalid')` with a sentence.
 */
export function matrixSettings(settings: Record<string, unknown>): MatrixSettings {
  const raw = settings.homeserver;
  const shown = typeof raw === 'string' ? raw.slice(0, 80) : typeof raw;
  const bad = (why: string) => new AdapterActionError('invalid', `"${shown}" is not a homeserver URL: ${why}`);
  if (typeof raw !== 'string' || raw.trim() === '') throw bad('it should look like https://matrix.example.org.');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw bad('it should look like https://matrix.example.org.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('it must start with https://.');
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname.toLowerCase())) {
    throw bad('it must start with https:// (plain http:// would send the password unencrypted; it is allowed only for a server on this computer).');
  }
  if (url.username || url.password || url.search || url.hash) throw bad('it must not contain a user name, a query or a fragment.');
  return { homeserver: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** An answer from a homeserver; `body` is undefined when it was not JSON. */
interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

/** The network and deadline of logins, checks and logouts. */
interface Net {
  fetch: typeof fetch;
  timeoutMs: number;
}

/** The network, the origin builder and the deadline of discovery. */
interface Discovery {
  fetch: typeof fetch;
  serverOrigin: (host: string) => string;
  discoverTimeoutMs: number;
}

/** One operation's network, deadline and target, for the requests and the messages. */
interface Call {
  fetch: typeof fetch;
  signal: AbortSignal;
  /** The caller's own signal, to tell "cancelled" from "timed out". */
  callerSignal: AbortSignal;
  homeserver: string;
  /** `host[:port]` of the homeserver, for the messages. */
  host: string;
}

/** Reads at most `MAX_BODY` bytes and parses them as JSON; undefined when they are not JSON. */
async function readJson(res: Response): Promise<unknown> {
  if (!res.body) return undefined;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

async function request(c: Call, method: 'GET' | 'POST', path: string, opts: { token?: string; json?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const res = await c.fetch(`${c.homeserver}${path}`, {
    method,
    headers,
    body: opts.json === undefined ? null : JSON.stringify(opts.json),
    signal: c.signal,
    // A redirect could move the password to another origin, or to plain http.
    redirect: 'error',
  });
  return { status: res.status, body: await readJson(res), headers: res.headers };
}

function field(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

function text(body: unknown, name: string): string | undefined {
  const v = field(body, name);
  return typeof v === 'string' ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Errors in words

const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;
const NOT_TLS = /wrong version number|WRONG_VERSION_NUMBER|packet length too long|EPROTO/i;
const NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA']);

const invalid = (message: string) => new AdapterActionError('invalid', message);
const unavailable = (message: string) => new AdapterActionError('unavailable', message);

/** The code and message of a failed fetch: undici puts the socket's error in `cause`. */
function errorFacts(e: unknown): { name: string; code: string; message: string } {
  const f = (e && typeof e === 'object' ? e : {}) as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const cause = (f.cause && typeof f.cause === 'object' ? f.cause : {}) as { code?: unknown; message?: unknown };
  const code = typeof cause.code === 'string' ? cause.code : typeof f.code === 'string' ? f.code : '';
  const message = [f.message, cause.message].filter((m): m is string => typeof m === 'string').join(': ');
  return { name: typeof f.name === 'string' ? f.name : '', code, message: message || String(e) };
}

/** A request that got no answer (network, TLS, deadline) as the sentence the user reads. */
function unreachable(e: unknown, c: Call): AdapterActionError {
  if (e instanceof AdapterActionError) return e;
  const { name, code, message } = errorFacts(e);
  const at = `the homeserver at ${c.host}`;
  const At = `The homeserver at ${c.host}`;
  if (c.callerSignal.aborted) return unavailable(`Talking to ${at} took too long and was stopped.`);
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return unavailable(`Could not reach ${at}: it did not answer in time.`);
  }
  if (CERTIFICATE.test(code) || CERTIFICATE.test(message)) {
    return invalid(`The certificate of ${at} could not be verified (${code || 'invalid certificate'}), so Switchboard will not send the password to it.`);
  }
  if (NOT_TLS.test(code) || NOT_TLS.test(message)) {
    return invalid(`${At} does not speak https. Check the homeserver URL.`);
  }
  if (code === 'ECONNREFUSED') return unavailable(`Could not reach ${at}: connection refused.`);
  if (NOT_FOUND.has(code)) return unavailable(`Could not reach ${at}: there is no server by that name. Check its name, and that this computer is online.`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return unavailable(`Could not reach ${at}: no route to it from this computer.`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return unavailable(`${At} closed the connection before answering.`);
  if (/redirect/i.test(message)) return invalid(`${At} answered with a redirect. Enter the homeserver URL it redirects to.`);
  return unavailable(`Could not reach ${at}: ${message.slice(0, 200)}`);
}

/** How long the homeserver asks us to wait, in words. */
function retryAfter(reply: Reply): string {
  const ms = field(reply.body, 'retry_after_ms');
  const header = Number(reply.headers.get('retry-after'));
  const seconds = typeof ms === 'number' && ms > 0 ? Math.ceil(ms / 1000) : header > 0 ? Math.ceil(header) : null;
  if (seconds === null) return 'Try again in a few minutes.';
  if (seconds < 90) return `Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  return `Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

/** An answer that is not JSON, or JSON without what every homeserver sends. */
function notMatrix(c: Call, path: string, reply: Reply): AdapterActionError {
  return invalid(`${c.host} does not answer like a Matrix homeserver (${path}: HTTP ${reply.status}${reply.body === undefined ? ', not JSON' : ''}). Check the homeserver URL.`);
}

/**
 * A refusal from the homeserver as the sentence the user reads. The server's own explanation is
 * shown only for codes we do not know, and never when it echoes the password.
 */
function refusal(c: Call, address: string, path: string, reply: Reply, password = ''): AdapterActionError {
  const errcode = text(reply.body, 'errcode');
  switch (errcode) {
    case 'M_FORBIDDEN':
      return invalid(`The homeserver refused the password for ${address}.`);
    case 'M_USER_DEACTIVATED':
      return invalid(`The homeserver says ${address} has been deactivated.`);
    case 'M_LIMIT_EXCEEDED':
      return unavailable(`The homeserver at ${c.host} is refusing logins for now because of too many attempts. ${retryAfter(reply)}`);
    case 'M_UNKNOWN_TOKEN':
    case 'M_MISSING_TOKEN':
      return invalid(`The homeserver no longer accepts Switchboard's login for ${address} (it was logged out). Enter the password again.`);
    case 'M_INVALID_USERNAME':
    case 'M_USER_DOES_NOT_EXIST':
      return invalid(`The homeserver at ${c.host} does not know ${address}.`);
    case undefined:
      break;
    default: {
      const said = (text(reply.body, 'error') ?? '').slice(0, 200);
      const shown = said && (password === '' || !said.includes(password)) ? `: ${said}` : '';
      return reply.status >= 500
        ? unavailable(`The homeserver at ${c.host} had a problem (${errcode}${shown}). Try again later.`)
        : invalid(`The homeserver at ${c.host} refused (${errcode}${shown}).`);
    }
  }
  if (reply.body === undefined && reply.status !== 429 && reply.status < 500) return notMatrix(c, path, reply);
  if (reply.status === 429) return unavailable(`The homeserver at ${c.host} is refusing logins for now because of too many attempts. ${retryAfter(reply)}`);
  if (reply.status >= 500) return unavailable(`The homeserver at ${c.host} had a problem (HTTP ${reply.status}). Try again later.`);
  return notMatrix(c, path, reply);
}

// ---------------------------------------------------------------------------------------------
// Logging in and out

/** The account's Matrix ID and homeserver; bad ones are the user's to fix. */
function accountOf(account: AccountConfig): { address: string; homeserver: string; host: string } {
  parseMxid(account.address);
  const { homeserver } = matrixSettings(account.settings);
  return { address: account.address.trim(), homeserver, host: new URL(homeserver).host };
}

/** Runs `fn` with one deadline for all its requests (the caller's signal and our own), mapping failures to words. */
async function withCall<T>(
  account: AccountConfig,
  signal: AbortSignal,
  opts: Net,
  action: string,
  fn: (c: Call, address: string) => Promise<T>,
): Promise<T> {
  const { address, homeserver, host } = accountOf(account);
  const c: Call = { fetch: opts.fetch, signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]), callerSignal: signal, homeserver, host };
  try {
    return await fn(c, address);
  } catch (e) {
    const error = unreachable(e, c);
    // The error's name and code only: a server's text could echo what was sent.
    const { name, code } = errorFacts(e);
    log.warn(`${action} failed`, { host, error: name, ...(e instanceof AdapterActionError ? {} : { code }), reported: error.code });
    throw error;
  }
}

/** The password login must be on offer: some homeservers only log in through a browser (SSO). */
async function requirePasswordLogin(c: Call, address: string): Promise<void> {
  const path = '/_matrix/client/v3/login';
  const reply = await request(c, 'GET', path);
  const flows = field(reply.body, 'flows');
  if (reply.status !== 200 || !Array.isArray(flows)) throw refusal(c, address, path, reply);
  const types = flows.map((f) => text(f, 'type'));
  if (types.includes('m.login.password')) return;
  if (types.includes('m.login.sso') || types.includes('m.login.cas')) {
    throw invalid(`The homeserver at ${c.host} only offers single sign-on in a web browser, which Switchboard does not support yet; it cannot log in with a password there.`);
  }
  throw invalid(`The homeserver at ${c.host} offers no password login (only ${types.filter(Boolean).join(', ') || 'nothing Switchboard knows'}).`);
}

/** A new login (a new device) with the password; returns its token and device. */
async function passwordLogin(c: Call, address: string, password: string, deviceName: string): Promise<{ accessToken: string; deviceId: string }> {
  await requirePasswordLogin(c, address);
  const path = '/_matrix/client/v3/login';
  const reply = await request(c, 'POST', path, {
    json: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: address },
      password,
      initial_device_display_name: deviceName,
    },
  });
  if (reply.status !== 200) throw refusal(c, address, path, reply, password);
  const accessToken = text(reply.body, 'access_token');
  const deviceId = text(reply.body, 'device_id');
  const userId = text(reply.body, 'user_id');
  if (!accessToken || !deviceId || !userId) throw notMatrix(c, path, reply);
  if (userId !== address) {
    // Leave no device behind for a login the user did not mean.
    await logoutToken(c, address, accessToken).catch(() => undefined);
    throw invalid(`The homeserver says this account is ${userId}, not ${address}. Add it under that Matrix ID.`);
  }
  log.info('logged in', { host: c.host, device: deviceId });
  return { accessToken, deviceId };
}

/** Who the token belongs to (and its device); throws when the homeserver no longer accepts it. */
async function whoami(c: Call, address: string, token: string): Promise<{ deviceId: string | undefined }> {
  const path = '/_matrix/client/v3/account/whoami';
  const reply = await request(c, 'GET', path, { token });
  if (reply.status !== 200) throw refusal(c, address, path, reply);
  const userId = text(reply.body, 'user_id');
  if (!userId) throw notMatrix(c, path, reply);
  if (userId !== address) throw invalid(`The saved login belongs to ${userId}, not ${address}. Enter the password again.`);
  return { deviceId: text(reply.body, 'device_id') };
}

/** Ends a token's login; a token the homeserver no longer knows is already logged out. */
async function logoutToken(c: Call, address: string, token: string): Promise<void> {
  const path = '/_matrix/client/v3/logout';
  const reply = await request(c, 'POST', path, { token, json: {} });
  if (reply.status === 200 || reply.status === 401) return;
  throw refusal(c, address, path, reply);
}

function passwordOf(address: string, secrets: Readonly<Record<string, string>>): string {
  const password = secrets.password ?? '';
  if (password === '') throw invalid(`Enter the password for ${address}.`);
  return password;
}

/** The settings part that decides how the account logs in, comparable (unparseable ones as given). */
function loginTarget(settings: Record<string, unknown>): string {
  try {
    return matrixSettings(settings).homeserver;
  } catch {
    return JSON.stringify(settings.homeserver ?? null);
  }
}

// ---------------------------------------------------------------------------------------------
// Discovery

/** A failed discovery step, with the reason that goes to the log. */
class DiscoveryFailed extends Error {
  override readonly name = 'DiscoveryFailed';
}

/** Whether `base` answers `/_matrix/client/versions` like a homeserver. */
async function isHomeserver(f: typeof fetch, base: string, signal: AbortSignal): Promise<boolean> {
  // No redirects: the logins that use this URL will not follow one either.
  const res = await f(`${base}/_matrix/client/versions`, { headers: { accept: 'application/json' }, signal, redirect: 'error' });
  const versions = field(await readJson(res), 'versions');
  return res.status === 200 && Array.isArray(versions) && versions.every((v) => typeof v === 'string');
}

/**
 * The client-server API's "Server Discovery": `.well-known/matrix/client` on the server name's host;
 * without one (404, or the host does not answer) the host itself, if it is a homeserver. Null when
 * nothing usable was found (the spec's FAIL_PROMPT and FAIL_ERROR): the user types the URL in.
 */
async function discover(address: string, callerSignal: AbortSignal, opts: Discovery): Promise<DiscoveredSettings | null> {
  let serverName: string;
  try {
    serverName = parseMxid(address).serverName;
  } catch {
    return null;
  }
  const host = hostOf(serverName);
  const origin = opts.serverOrigin(host).replace(/\/+$/, '');
  const signal = AbortSignal.any([callerSignal, AbortSignal.timeout(opts.discoverTimeoutMs)]);
  const wellKnown = `${origin}/.well-known/matrix/client`;
  try {
    let res: Response | null = null;
    try {
      res = await opts.fetch(wellKnown, { headers: { accept: 'application/json' }, signal, redirect: 'follow' });
    } catch (e) {
      if (signal.aborted) throw e;
      log.info('no .well-known/matrix/client', { serverName, code: errorFacts(e).code || errorFacts(e).name });
    }
    if (res === null || res.status === 404) {
      await res?.body?.cancel();
      // IGNORE in the spec's words; the server name's host may still be the homeserver itself.
      const fallback = matrixSettings({ homeserver: origin }).homeserver;
      if (!(await isHomeserver(opts.fetch, fallback, signal))) throw new DiscoveryFailed('no .well-known and the host is no homeserver');
      return { settings: { homeserver: fallback }, source: `the Matrix ID's server, ${host} (it has no .well-known/matrix/client)` };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new DiscoveryFailed(`.well-known answered HTTP ${res.status}`);
    }
    const base = text(field(await readJson(res), 'm.homeserver'), 'base_url');
    if (base === undefined) throw new DiscoveryFailed('.well-known is not JSON or has no m.homeserver.base_url');
    let homeserver: string;
    try {
      homeserver = matrixSettings({ homeserver: base }).homeserver;
    } catch (e) {
      throw new DiscoveryFailed(`base_url refused: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!(await isHomeserver(opts.fetch, homeserver, signal))) throw new DiscoveryFailed('base_url does not answer /_matrix/client/versions');
    return { settings: { homeserver }, source: `${host}/.well-known/matrix/client` };
  } catch (e) {
    if (callerSignal.aborted) return null;
    const reason = e instanceof DiscoveryFailed ? e.message : `${errorFacts(e).name} ${errorFacts(e).code}`.trim();
    log.warn('discovery found no homeserver', { serverName, reason });
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

/** The Matrix account setup with its dependencies given (tests pass a fetch, an origin and short deadlines). */
export function createMatrixSetup(opts: MatrixSetupOptions = {}): AccountSetup {
  const net: Net = {
    fetch: opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init)),
    timeoutMs: opts.timeoutMs ?? ACTION_MS,
  };
  const discovery: Discovery = {
    fetch: net.fetch,
    serverOrigin: opts.serverOrigin ?? ((host: string) => `https://${host}`),
    discoverTimeoutMs: opts.discoverTimeoutMs ?? DISCOVER_MS,
  };
  return {
    discover: (address, signal) => discover(address, signal, discovery),

    // With a saved token: is it still good? With a password: log in and straight out again, so
    // the check leaves no device in the user's session list.
    probe: (account, secrets, signal) =>
      withCall(account, signal, net, 'login check', async (c, address) => {
        if (secrets.accessToken && !secrets.password) {
          await whoami(c, address, secrets.accessToken);
          return;
        }
        const { accessToken } = await passwordLogin(c, address, passwordOf(address, secrets), CHECK_DEVICE_NAME);
        await logoutToken(c, address, accessToken).catch((e: unknown) => log.warn('could not log the check out again', { host: c.host, error: errorFacts(e).name }));
      }),

    login: (account, secrets, signal) =>
      withCall(account, signal, net, 'login', async (c, address) => {
        const previous = secrets.accessToken;
        if (previous && !secrets.password) {
          const { deviceId } = await whoami(c, address, previous);
          const device = deviceId ?? secrets.deviceId;
          if (!device) throw invalid(`The homeserver names no device for the saved login of ${address}. Enter the password again.`);
          return { accessToken: previous, deviceId: device };
        }
        const fresh = await passwordLogin(c, address, passwordOf(address, secrets), DEVICE_NAME);
        // A new password replaces the old login: its device would otherwise linger in the user's session list.
        if (previous && previous !== fresh.accessToken) {
          await logoutToken(c, address, previous).catch((e: unknown) => log.warn('could not end the previous login', { host: c.host, error: errorFacts(e).name }));
        }
        return fresh;
      }),

    logout: (account, secrets, signal) =>
      withCall(account, signal, net, 'logout', async (c, address) => {
        if (secrets.accessToken) await logoutToken(c, address, secrets.accessToken);
        log.info('logged out', { host: c.host });
      }),

    loginChanged: (before, after) => loginTarget(before) !== loginTarget(after),
  };
}

/** The Matrix account setup (registered with the Matrix adapter in adapters/registry.ts). */
export const matrixSetup: AccountSetup = createMatrixSetup();
