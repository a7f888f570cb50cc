/**
 * What the XMPP protocol offers before an account exists (registered with the XMPP adapter in
 * adapters/registry.ts): finding a JID's server from DNS SRV records, checking a login, and telling
 * which settings changes need that check again.
 */
import { randomUUID } from 'node:crypto';
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import { AdapterActionError, type AccountConfig, type AccountSetup, type DiscoveredSettings } from '../contract.ts';
import { createAdapterLogger } from '../log.ts';
import { parseAccountJid, xmppSettings, type XmppSettings } from './settings.ts';
import { fixStreamManagementCount } from './sm-count.ts';
import { srvService, systemResolveSrv, type ResolveSrv } from './srv.ts';
import { dropSocket } from './start.ts';
import { tlsOptionsFor } from './tls-trust.ts';

const log = createAdapterLogger('xmpp.setup');

/** A probe ends after this long at most; the caller's signal usually ends it sooner. */
const PROBE_MS = 20_000;
/** Each DNS query's deadline. */
const DNS_MS = 8_000;
/** How long a passed check waits for the server to close the stream. */
const CLOSE_MS = 2_000;

/** Dependencies tests replace: the DNS lookup and the probe's deadline. */
export interface XmppSetupOptions {
  /** Default: node:dns/promises through the system's DNS servers. */
  resolveSrv?: ResolveSrv | undefined;
  probeTimeoutMs?: number | undefined;
}

/** Where a probe connects, for the messages. */
interface Target {
  address: string;
  domain: string;
  host: string;
  port: number;
  directTls: boolean;
}

const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;
const NOT_TLS = /wrong version number|WRONG_VERSION_NUMBER|packet length too long|unknown protocol|EPROTO/i;
const NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA']);

/** Thrown inside the login when the stream is not encrypted: the password is never offered. */
class NoTlsError extends Error {
  override readonly name = 'NoTlsError';
}

/** Thrown when the probe's own deadline or the caller's signal ends it. */
class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor(readonly byCaller: boolean) {
    super(byCaller ? 'cancelled' : 'timed out');
  }
}

function where(t: Target): string {
  return `${t.host} on port ${t.port}`;
}

/** The settings, the JID's parts and where to connect; bad ones are the user's to fix. */
function accountOf(config: AccountConfig): { local: string; s: XmppSettings; target: Target } {
  try {
    const { local, domain } = parseAccountJid(config.address);
    const s = xmppSettings(config.settings, domain);
    const m = /^(xmpps?):\/\/([^:]+)(?::(\d+))?$/.exec(s.service);
    const directTls = m?.[1] === 'xmpps';
    const port = m?.[3] ? Number(m[3]) : directTls ? 5223 : 5222;
    if (!m || port < 1 || port > 65_535) throw new Error(`"${s.service}" has no valid port (1 to 65535).`);
    return { local, s, target: { address: `${local}@${domain}`, domain, host: m[2]!, port, directTls } };
  } catch (e) {
    throw new AdapterActionError('invalid', e instanceof Error ? e.message : String(e));
  }
}

/** A failure of the login as the sentence the user reads. Never includes the password. */
function describe(e: unknown, t: Target): AdapterActionError {
  const f = (e && typeof e === 'object' ? e : {}) as { code?: unknown; condition?: unknown; message?: unknown; name?: unknown };
  const code = typeof f.code === 'string' ? f.code : '';
  const condition = typeof f.condition === 'string' ? f.condition : '';
  const message = typeof f.message === 'string' ? f.message : String(e);
  const invalid = (text: string) => new AdapterActionError('invalid', text);
  const unavailable = (text: string) => new AdapterActionError('unavailable', text);

  if (e instanceof StoppedError) {
    return e.byCaller
      ? unavailable(`Checking the account took too long and was stopped. Check the server address (${t.host}, port ${t.port}).`)
      : unavailable(`Could not reach ${where(t)}: it did not answer in time. Check the server address and port.`);
  }
  if (e instanceof NoTlsError) {
    return invalid(`${where(t)} does not offer TLS, so Switchboard will not send the password over plain text.${t.directTls ? '' : ` Try direct TLS (xmpps://${t.host}:5223) if the server offers it.`}`);
  }
  if (f.name === 'SASLError') {
    if (condition === 'not-authorized' || condition === 'invalid-authzid' || condition === 'credentials-expired') {
      return invalid('The XMPP server refused the user name or password.');
    }
    if (condition === 'account-disabled') return invalid(`The XMPP server says the account ${t.address} is disabled.`);
    if (condition === 'temporary-auth-failure') return unavailable('The XMPP server could not check the password just now. Try again in a moment.');
    if (/No compatible mechanism/i.test(message)) return invalid(`${where(t)} offers no way of logging in that Switchboard supports.`);
    return invalid(`The XMPP server refused the login (${condition || 'no reason given'}).`);
  }
  if (CERTIFICATE.test(code) || CERTIFICATE.test(message)) {
    return invalid(
      `The server's certificate could not be verified for ${t.domain} (${code || message.slice(0, 120)}), so Switchboard will not send the password to it. ` +
        `If this is your own server with a certificate of its own, you can trust that certificate in the account settings.`,
    );
  }
  if (NOT_TLS.test(code) || NOT_TLS.test(message)) {
    return invalid(`${where(t)} does not speak TLS from the first byte. Try xmpp://${t.host}:5222 (STARTTLS).`);
  }
  if (f.name === 'StreamError' && condition === 'host-unknown') {
    return invalid(`The XMPP server at ${where(t)} does not host ${t.domain}. Check the server address.`);
  }
  if (code === 'ECONNREFUSED') return unavailable(`Could not reach ${where(t)}: connection refused.`);
  if (NOT_FOUND.has(code)) return unavailable(`Could not reach ${where(t)}: there is no server by that name. Check its name, and that this computer is online.`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return unavailable(`Could not reach ${where(t)}: no route to it from this computer.`);
  if (code === 'ETIMEDOUT' || f.name === 'TimeoutError') {
    return unavailable(`Could not reach ${where(t)}: it did not answer in time. Check the server address, and whether it needs xmpps:// or xmpp://.`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || f.name === 'ClosedError') {
    const hint = t.directTls ? 'xmpp:// (STARTTLS)' : 'xmpps:// (direct TLS)';
    return unavailable(`${where(t)} closed the connection before the login finished. Check the port, and whether it needs ${hint}.`);
  }
  if (f.name === 'StreamError') return unavailable(`The XMPP server at ${where(t)} ended the connection (${condition || 'no reason given'}).`);
  return unavailable(`Checking ${where(t)} failed: ${message.slice(0, 300)}`);
}

/**
 * Opens the stream and waits for 'online' or the first failure. Not `client.start()`: when the
 * connection fails while the stream is being opened, start() leaves its internal wait for 'online'
 * rejected with nobody listening, an unhandled rejection.
 */
function session(c: Client, service: string, domain: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: unknown) => {
      c.removeListener('online', onOnline);
      c.removeListener('error', onError);
      c.removeListener('disconnect', onClosed);
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'unknown error'));
    };
    const onOnline = () => settle();
    const onError = (e: unknown) => settle(e ?? new Error('unknown error'));
    const onClosed = () => settle(Object.assign(new Error('closed'), { name: 'ClosedError' }));
    const onAbort = () => settle(signal.reason instanceof StoppedError ? signal.reason : new StoppedError(true));
    if (signal.aborted) return onAbort();
    c.on('online', onOnline);
    c.on('error', onError);
    c.on('disconnect', onClosed);
    signal.addEventListener('abort', onAbort, { once: true });
    c.connect(service)
      .then(() => c.open({ domain }))
      .catch(onError);
  });
}

/**
 * Logs in with these settings and the password, then logs out: no presence is sent, so the server
 * hands over no offline messages and contacts see nothing. Throws `AdapterActionError`.
 */
async function probe(config: AccountConfig, secrets: Readonly<Record<string, string>>, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const { local, s, target } = accountOf(config);
  const password = secrets.password ?? '';
  if (password === '') throw new AdapterActionError('invalid', `Enter the password for ${config.address}.`);

  const c = xmppClient({
    service: s.service,
    domain: target.domain,
    username: local,
    password,
    // Not the account's own resource: a check while the account runs must not replace its session.
    resource: `switchboard-check-${randomUUID().slice(0, 8)}`,
    // xmpp.js logs in over a stream without TLS (with SCRAM, but still): refuse before any password is offered.
    // No FAST token either (xmpp.js's default would use a stored one): the check is of the password.
    credentials: async (authenticate, mechanisms, _fast, entity) => {
      if (!entity.isSecure()) throw new NoTlsError('no TLS');
      const mechanism = mechanisms[0];
      if (mechanism === undefined) throw Object.assign(new Error('No compatible mechanism'), { name: 'SASLError' });
      await authenticate({ username: local, password }, mechanism, xml('user-agent', { id: randomUUID() }));
    },
  });
  // One attempt: the reconnect module would otherwise try again after a failure, for ever.
  c.reconnect.stop();
  tlsOptionsFor(c as never, { servername: target.domain, ...(s.trustedCertificate ? { ca: [s.trustedCertificate] } : {}) });
  fixStreamManagementCount(c);
  // Errors after the answer (a late socket error while closing) must not become uncaught 'error' events.
  let answered = false;
  c.on('error', (e: Error) => {
    if (answered) log.info('connection error after the check', { service: s.service, error: e.name });
  });

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new StoppedError(false)), timeoutMs);
  const stop = AbortSignal.any([signal, deadline.signal]);
  try {
    await session(c, s.service, target.domain, stop);
    answered = true;
    log.info('login check passed', { service: s.service });
    await close(c);
  } catch (e) {
    answered = true;
    dropSocket(c);
    const error = describe(e, target);
    // The error's name, code and condition only: a server's own text could echo what was sent.
    const meta = e && typeof e === 'object' ? (e as { name?: unknown; code?: unknown; condition?: unknown }) : {};
    log.warn('login check failed', { service: s.service, error: meta.name, code: meta.code, condition: meta.condition, reported: error.code });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Logs out politely, but waits for the server's goodbye only briefly. */
async function close(c: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_MS)));
  await Promise.race([c.stop().catch(() => undefined), late]);
  clearTimeout(timer);
  dropSocket(c);
}

/** Settings from DNS SRV records of the JID's domain, its domain itself, or null. */
async function discover(address: string, signal: AbortSignal, resolve: ResolveSrv): Promise<DiscoveredSettings | null> {
  let domain: string;
  try {
    domain = parseAccountJid(address).domain;
  } catch {
    return null;
  }
  const answer = await srvService(domain, resolve, signal);
  if (signal.aborted) return null;
  switch (answer.kind) {
    case 'found':
      return { settings: { service: answer.service }, source: `DNS SRV records (${answer.record})` };
    case 'none':
      // RFC 6120 §3.2.2: without SRV records the client connects to the domain on 5222.
      return { settings: { service: `xmpp://${domain}:5222` }, source: "the address's domain (no SRV records)" };
    case 'unusable':
      // "." says the domain offers no client service; a bad host name is not ours to repair. The user types it in.
      log.warn('SRV records name no usable server', { domain });
      return null;
  }
}

/** The parts of the settings a login depends on, comparable as a string. */
function login(raw: Record<string, unknown>): string {
  return JSON.stringify([raw.service ?? null, raw.trustedCertificate ?? null]);
}

/** The XMPP account setup with its dependencies given (tests pass a resolver and a short deadline). */
export function createXmppSetup(opts: XmppSetupOptions = {}): AccountSetup {
  const resolve = opts.resolveSrv ?? systemResolveSrv(DNS_MS);
  const timeoutMs = opts.probeTimeoutMs ?? PROBE_MS;
  return {
    discover: (address, signal) => discover(address, signal, resolve),
    probe: (account, secrets, signal) => probe(account, secrets, signal, timeoutMs),
    // The address is not in the settings (it cannot change); the reconnect delay changes no login.
    loginChanged: (before, after) => login(before) !== login(after),
  };
}

export const xmppSetup: AccountSetup = createXmppSetup();
