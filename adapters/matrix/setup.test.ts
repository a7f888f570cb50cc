/**
 * The Matrix account setup without a real homeserver: discovery (.well-known, its absence, broken
 * or unsafe answers), the settings and Matrix ID checks, and the login's refusals in words, against
 * a small HTTP fake on 127.0.0.1 — and, for what a local fake cannot produce (a name that does not
 * resolve, a bad certificate), an injected fetch that fails the way undici does.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdapterActionError, type AccountConfig } from '../contract.ts';
import { createMatrixSetup, matrixSettings, parseMxid, type MatrixSetupOptions } from './setup.ts';

/** What the fake answers: a status and JSON (an object) or raw text (a string). */
interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (a server that hangs). */
  hang?: boolean;
}

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  body: unknown;
}

type Route = (seen: Seen) => Answer;

interface Fake {
  origin: string;
  seen: Seen[];
  route: (method: string, path: string, fn: Route | Answer) => void;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function readBody(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  try {
    return raw ? (JSON.parse(raw) as unknown) : undefined;
  } catch {
    return raw;
  }
}

/** An HTTP server on 127.0.0.1 answering from a route table; anything else is a 404 page. */
async function fake(): Promise<Fake> {
  const routes = new Map<string, Route>();
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const s: Seen = { method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body };
      seen.push(s);
      const route = routes.get(`${s.method} ${s.path}`);
      const a: Answer = route ? route(s) : { status: 404, body: '<html>Not found</html>' };
      if (a.hang) return;
      const json = typeof a.body !== 'string';
      res.writeHead(a.status ?? 200, { 'content-type': json ? 'application/json' : 'text/html', ...a.headers });
      res.end(json ? JSON.stringify(a.body ?? {}) : a.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    route: (method, path, fn) => routes.set(`${method} ${path}`, typeof fn === 'function' ? fn : () => fn),
  };
}

const VERSIONS: Answer = { body: { versions: ['v1.1', 'v1.11'] } };
const PASSWORD_FLOWS: Answer = { body: { flows: [{ type: 'm.login.password' }, { type: 'm.login.sso' }] } };
const ADA = '@ada:example.org';
const PASSWORD = 'correct horse battery';

function setup(f: Fake, opts: MatrixSetupOptions = {}) {
  return createMatrixSetup({ serverOrigin: () => f.origin, timeoutMs: 2_000, discoverTimeoutMs: 2_000, ...opts });
}

function account(homeserver: string, address = ADA): AccountConfig {
  return { id: 'acc-1', protocol: 'matrix', address, displayName: address, settings: { homeserver } };
}

/** The error a promise rejects with: an AdapterActionError that never repeats the password. */
async function refusal(p: Promise<unknown>): Promise<AdapterActionError> {
  const e: unknown = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdapterActionError);
  expect((e as Error).message).not.toContain(PASSWORD);
  return e as AdapterActionError;
}

/** A homeserver that logs `ada` in with PASSWORD as device DEV1 and logs tokens out. */
function homeserver(f: Fake, userId = ADA): void {
  f.route('GET', '/_matrix/client/v3/login', PASSWORD_FLOWS);
  f.route('POST', '/_matrix/client/v3/login', (s) =>
    field(s.body, 'password') === PASSWORD
      ? { body: { user_id: userId, access_token: 'tok-1', device_id: 'DEV1' } }
      : { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'Invalid username or password' } },
  );
  f.route('POST', '/_matrix/client/v3/logout', (s) => (s.auth === 'Bearer tok-1' ? { body: {} } : { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'gone' } }));
  f.route('GET', '/_matrix/client/v3/account/whoami', (s) =>
    s.auth === 'Bearer tok-1' ? { body: { user_id: userId, device_id: 'DEV1' } } : { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'gone' } },
  );
}

function field(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

const signal = () => AbortSignal.timeout(5_000);

describe('parseMxid and matrixSettings', () => {
  it('splits a Matrix ID and refuses anything else in words', () => {
    expect(parseMxid('@ada:example.org')).toEqual({ localpart: 'ada', serverName: 'example.org' });
    expect(parseMxid(' @ada.l_1=x/y+z:matrix.example.org:8448 ')).toEqual({ localpart: 'ada.l_1=x/y+z', serverName: 'matrix.example.org:8448' });
    expect(parseMxid('@ada:[::1]:8008')).toEqual({ localpart: 'ada', serverName: '[::1]:8008' });
    for (const bad of ['ada@example.org', 'ada:example.org', '@:example.org', '@ada:', '@ada', '@a da:example.org', '@ada:exa mple.org', '@ada:example.org:99999', `@${'a'.repeat(250)}:example.org`]) {
      expect(() => parseMxid(bad), bad).toThrow(/is not a Matrix ID \(it should look like @you:example\.org\)/);
    }
  });

  it('takes https anywhere and http only on this computer, without a trailing slash', () => {
    expect(matrixSettings({ homeserver: 'https://matrix.example.org/' })).toEqual({ homeserver: 'https://matrix.example.org' });
    expect(matrixSettings({ homeserver: 'https://example.org/matrix//' })).toEqual({ homeserver: 'https://example.org/matrix' });
    expect(matrixSettings({ homeserver: 'http://127.0.0.1:8008' })).toEqual({ homeserver: 'http://127.0.0.1:8008' });
    expect(matrixSettings({ homeserver: 'http://[::1]:8008/' })).toEqual({ homeserver: 'http://[::1]:8008' });
    expect(matrixSettings({ homeserver: 'http://localhost:8008' })).toEqual({ homeserver: 'http://localhost:8008' });
    expect(() => matrixSettings({ homeserver: 'http://matrix.example.org' })).toThrow(/must start with https:\/\/ \(plain http:\/\/ would send the password unencrypted/);
    expect(() => matrixSettings({ homeserver: 'http://10.0.0.5:8008' })).toThrow(/must start with https:\/\//);
    expect(() => matrixSettings({ homeserver: 'ftp://example.org' })).toThrow(/must start with https:\/\//);
    expect(() => matrixSettings({ homeserver: 'matrix.example.org' })).toThrow(/should look like https:\/\/matrix\.example\.org/);
    expect(() => matrixSettings({})).toThrow(/is not a homeserver URL/);
    expect(() => matrixSettings({ homeserver: 'https://u:p@example.org' })).toThrow(/user name, a query or a fragment/);
  });

  it('needs a new login check only when the homeserver changes', () => {
    const s = createMatrixSetup();
    expect(s.loginChanged!({ homeserver: 'https://a.example.org' }, { homeserver: 'https://a.example.org/' })).toBe(false);
    expect(s.loginChanged!({ homeserver: 'https://a.example.org' }, { homeserver: 'https://b.example.org' })).toBe(true);
    expect(s.loginChanged!({ homeserver: 'https://a.example.org' }, { homeserver: 'https://a.example.org', other: 1 })).toBe(false);
    expect(s.loginChanged!({}, { homeserver: 'https://a.example.org' })).toBe(true);
  });
});

describe('matrixSetup.discover', () => {
  it('takes the homeserver from .well-known/matrix/client once it answers like one', async () => {
    const f = await fake();
    f.route('GET', '/.well-known/matrix/client', { body: { 'm.homeserver': { base_url: `${f.origin}/` }, 'm.identity_server': { base_url: 'https://id.example.org' } } });
    f.route('GET', '/_matrix/client/versions', VERSIONS);
    expect(await setup(f).discover!(ADA, signal())).toEqual({
      settings: { homeserver: f.origin },
      source: 'example.org/.well-known/matrix/client',
    });
    expect(f.seen.map((s) => s.path)).toEqual(['/.well-known/matrix/client', '/_matrix/client/versions']);
  });

  it('looks on the host of the server name, without its port', async () => {
    const f = await fake();
    const hosts: string[] = [];
    f.route('GET', '/.well-known/matrix/client', { body: { 'm.homeserver': { base_url: f.origin } } });
    f.route('GET', '/_matrix/client/versions', VERSIONS);
    const found = await setup(f, { serverOrigin: (host) => (hosts.push(host), f.origin) }).discover!('@ada:example.org:8448', signal());
    expect(hosts).toEqual(['example.org']);
    expect(found?.settings).toEqual({ homeserver: f.origin });
  });

  it('without a .well-known (404), uses the server name itself if it is a homeserver', async () => {
    const f = await fake();
    f.route('GET', '/_matrix/client/versions', VERSIONS);
    const found = await setup(f).discover!(ADA, signal());
    expect(found).toEqual({ settings: { homeserver: f.origin }, source: "the Matrix ID's server, example.org (it has no .well-known/matrix/client)" });
  });

  it('finds nothing when neither the .well-known nor the host itself is a homeserver', async () => {
    const f = await fake();
    expect(await setup(f).discover!(ADA, signal())).toBeNull();
  });

  it('finds nothing (FAIL_PROMPT) for a .well-known that is not JSON or names no base_url', async () => {
    const f = await fake();
    f.route('GET', '/_matrix/client/versions', VERSIONS);
    for (const body of ['{"m.homeserver": ', '<html>hello</html>', { 'm.homeserver': {} }, { 'm.homeserver': { base_url: 42 } }, { other: 1 }, []]) {
      f.route('GET', '/.well-known/matrix/client', { body });
      expect(await setup(f).discover!(ADA, signal()), JSON.stringify(body)).toBeNull();
    }
    // Another error than 404 is not "no .well-known": the host itself is not tried.
    f.route('GET', '/.well-known/matrix/client', { status: 500, body: 'oops' });
    const before = f.seen.length;
    expect(await setup(f).discover!(ADA, signal())).toBeNull();
    expect(f.seen.slice(before).map((s) => s.path)).toEqual(['/.well-known/matrix/client']);
  });

  it('finds nothing (FAIL_ERROR) when base_url is not a Matrix homeserver', async () => {
    const f = await fake();
    f.route('GET', '/.well-known/matrix/client', { body: { 'm.homeserver': { base_url: `${f.origin}/elsewhere` } } });
    expect(await setup(f).discover!(ADA, signal())).toBeNull();
    f.route('GET', '/elsewhere/_matrix/client/versions', { body: '<html>a blog</html>' });
    expect(await setup(f).discover!(ADA, signal())).toBeNull();
    f.route('GET', '/elsewhere/_matrix/client/versions', { body: { versions: 'v1.1' } });
    expect(await setup(f).discover!(ADA, signal())).toBeNull();
    f.route('GET', '/elsewhere/_matrix/client/versions', VERSIONS);
    expect((await setup(f).discover!(ADA, signal()))?.settings).toEqual({ homeserver: `${f.origin}/elsewhere` });
  });

  it('refuses a base_url over plain http to another computer without ever contacting it', async () => {
    const f = await fake();
    f.route('GET', '/.well-known/matrix/client', { body: { 'm.homeserver': { base_url: 'http://matrix.example.org' } } });
    const asked: string[] = [];
    const recording: typeof fetch = (input, init) => {
      asked.push(input instanceof Request ? input.url : input.toString());
      return fetch(input, init);
    };
    expect(await setup(f, { fetch: recording }).discover!(ADA, signal())).toBeNull();
    expect(asked).toEqual([`${f.origin}/.well-known/matrix/client`]);
  });

  it('finds nothing for what is not a Matrix ID, and stops when the caller does', async () => {
    const f = await fake();
    expect(await setup(f).discover!('ada@example.org', signal())).toBeNull();
    expect(f.seen).toEqual([]);
    f.route('GET', '/.well-known/matrix/client', { hang: true });
    const started = Date.now();
    expect(await setup(f).discover!(ADA, AbortSignal.timeout(200))).toBeNull();
    expect(await setup(f, { discoverTimeoutMs: 200 }).discover!(ADA, signal())).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('matrixSetup login, probe and logout', () => {
  it('logs in with the password as the Switchboard device and returns only the token and device', async () => {
    const f = await fake();
    homeserver(f);
    const kept = await setup(f).login!(account(f.origin), { password: PASSWORD }, signal());
    expect(kept).toEqual({ accessToken: 'tok-1', deviceId: 'DEV1' });
    const login = f.seen.find((s) => s.method === 'POST' && s.path === '/_matrix/client/v3/login');
    expect(login?.body).toEqual({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: ADA },
      password: PASSWORD,
      initial_device_display_name: 'Switchboard',
    });
  });

  it('with a saved token and no password, checks it with whoami and keeps it', async () => {
    const f = await fake();
    homeserver(f);
    expect(await setup(f).login!(account(f.origin), { accessToken: 'tok-1', deviceId: 'DEV1' }, signal())).toEqual({ accessToken: 'tok-1', deviceId: 'DEV1' });
    const e = await refusal(setup(f).login!(account(f.origin), { accessToken: 'tok-old', deviceId: 'DEV0' }, signal()));
    expect(e.message).toBe(`The homeserver no longer accepts Switchboard's login for ${ADA} (it was logged out). Enter the password again.`);
  });

  it('a new password replaces the old login, which is logged out', async () => {
    const f = await fake();
    homeserver(f);
    await setup(f).login!(account(f.origin), { password: PASSWORD, accessToken: 'tok-old', deviceId: 'DEV0' }, signal());
    expect(f.seen.filter((s) => s.path === '/_matrix/client/v3/logout').map((s) => s.auth)).toEqual(['Bearer tok-old']);
  });

  it('the probe logs in as a check and out again, leaving no device', async () => {
    const f = await fake();
    homeserver(f);
    await setup(f).probe!(account(f.origin), { password: PASSWORD }, signal());
    expect(f.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /_matrix/client/v3/login', 'POST /_matrix/client/v3/login', 'POST /_matrix/client/v3/logout']);
    expect(field(f.seen[1]?.body, 'initial_device_display_name')).toBe('Switchboard login check');
    expect(f.seen[2]?.auth).toBe('Bearer tok-1');
    // With a saved token it only asks who that is.
    await setup(f).probe!(account(f.origin), { accessToken: 'tok-1', deviceId: 'DEV1' }, signal());
    expect(f.seen.at(-1)?.path).toBe('/_matrix/client/v3/account/whoami');
  });

  it('logout ends the token; a token already gone counts as logged out', async () => {
    const f = await fake();
    homeserver(f);
    await setup(f).logout!(account(f.origin), { accessToken: 'tok-1', deviceId: 'DEV1' }, signal());
    await setup(f).logout!(account(f.origin), { accessToken: 'tok-gone', deviceId: 'DEV1' }, signal());
    expect(f.seen.map((s) => s.auth)).toEqual(['Bearer tok-1', 'Bearer tok-gone']);
  });

  it('says which account the homeserver logged in when it is not the one typed, and leaves no device', async () => {
    const f = await fake();
    homeserver(f, '@ada:matrix.example.org');
    const e = await refusal(setup(f).login!(account(f.origin), { password: PASSWORD }, signal()));
    expect(e.message).toBe(`The homeserver says this account is @ada:matrix.example.org, not ${ADA}. Add it under that Matrix ID.`);
    expect(f.seen.at(-1)?.path).toBe('/_matrix/client/v3/logout');
  });
});

describe('matrixSetup refusals in words', () => {
  const loginAnswer = async (answer: Answer, flows: Answer = PASSWORD_FLOWS) => {
    const f = await fake();
    f.route('GET', '/_matrix/client/v3/login', flows);
    f.route('POST', '/_matrix/client/v3/login', answer);
    return refusal(setup(f).probe!(account(f.origin), { password: PASSWORD }, signal()));
  };

  it('a wrong password', async () => {
    const e = await loginAnswer({ status: 403, body: { errcode: 'M_FORBIDDEN', error: 'Invalid username or password' } });
    expect(e.code).toBe('invalid');
    expect(e.message).toBe('The homeserver refused the password for @ada:example.org.');
  });

  it('a deactivated account', async () => {
    const e = await loginAnswer({ status: 403, body: { errcode: 'M_USER_DEACTIVATED', error: 'This account has been deactivated' } });
    expect(e.message).toBe('The homeserver says @ada:example.org has been deactivated.');
  });

  it('too many attempts, with when to retry', async () => {
    const e = await loginAnswer({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: 4_200 } });
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/is refusing logins for now because of too many attempts\. Try again in 5 seconds\.$/);
    const later = await loginAnswer({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' }, headers: { 'retry-after': '600' } });
    expect(later.message).toMatch(/Try again in 10 minutes\.$/);
    const unknown = await loginAnswer({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' } });
    expect(unknown.message).toMatch(/Try again in a few minutes\.$/);
  });

  it('a homeserver that only offers single sign-on, before any password is sent', async () => {
    const e = await loginAnswer({ status: 500 }, { body: { flows: [{ type: 'm.login.sso' }, { type: 'm.login.token' }] } });
    expect(e.message).toMatch(/^The homeserver at 127\.0\.0\.1:\d+ only offers single sign-on in a web browser/);
  });

  it('something that is not a Matrix homeserver', async () => {
    const e = await loginAnswer({ status: 404 }, { status: 404, body: '<html>Not found</html>' });
    expect(e.message).toMatch(/^127\.0\.0\.1:\d+ does not answer like a Matrix homeserver \(\/_matrix\/client\/v3\/login: HTTP 404, not JSON\)\. Check the homeserver URL\.$/);
  });

  it('a homeserver in trouble, and an unknown refusal with the server’s reason (never the password)', async () => {
    const e = await loginAnswer({ status: 502, body: '<html>Bad gateway</html>' });
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/had a problem \(HTTP 502\)\. Try again later\.$/);
    const terms = await loginAnswer({ status: 403, body: { errcode: 'M_CONSENT_NOT_GIVEN', error: 'Please accept the terms first' } });
    expect(terms.message).toMatch(/refused \(M_CONSENT_NOT_GIVEN: Please accept the terms first\)\.$/);
    // The refusal helper checks the password is not repeated.
    await loginAnswer({ status: 400, body: { errcode: 'M_BAD_JSON', error: `bad password ${PASSWORD}` } });
  });

  it('a closed port, naming the host', async () => {
    const f = await fake();
    const origin = f.origin;
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
    const e = await refusal(createMatrixSetup().probe!(account(origin), { password: PASSWORD }, signal()));
    expect(e.code).toBe('unavailable');
    expect(e.message).toBe(`Could not reach the homeserver at ${origin.slice('http://'.length)}: connection refused.`);
  });

  it('a name that does not resolve, and a certificate that does not verify', async () => {
    const failing = (code: string): typeof fetch => () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) }));
    const nx = await refusal(createMatrixSetup({ fetch: failing('ENOTFOUND') }).probe!(account('https://matrix.example.invalid'), { password: PASSWORD }, signal()));
    expect(nx.message).toBe('Could not reach the homeserver at matrix.example.invalid: there is no server by that name. Check its name, and that this computer is online.');
    const cert = await refusal(createMatrixSetup({ fetch: failing('CERT_HAS_EXPIRED') }).probe!(account('https://matrix.example.org'), { password: PASSWORD }, signal()));
    expect(cert.code).toBe('invalid');
    expect(cert.message).toBe('The certificate of the homeserver at matrix.example.org could not be verified (CERT_HAS_EXPIRED), so Switchboard will not send the password to it.');
  });

  it('a homeserver that never answers: our deadline, or the caller stopping first', async () => {
    const f = await fake();
    f.route('GET', '/_matrix/client/v3/login', { hang: true });
    const started = Date.now();
    const slow = await refusal(setup(f, { timeoutMs: 300 }).probe!(account(f.origin), { password: PASSWORD }, signal()));
    expect(slow.message).toMatch(/^Could not reach the homeserver at 127\.0\.0\.1:\d+: it did not answer in time\.$/);
    const stopped = await refusal(setup(f).probe!(account(f.origin), { password: PASSWORD }, AbortSignal.timeout(300)));
    expect(stopped.message).toMatch(/took too long and was stopped\.$/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('bad settings and a missing password, before anything is sent', async () => {
    const s = createMatrixSetup({ fetch: () => Promise.reject(new Error('no network expected')) });
    expect((await refusal(s.probe!(account('http://matrix.example.org'), { password: PASSWORD }, signal()))).message).toMatch(/must start with https:\/\//);
    expect((await refusal(s.login!(account('https://m.example.org', 'ada'), { password: PASSWORD }, signal()))).message).toMatch(/is not a Matrix ID/);
    expect((await refusal(s.login!(account('https://m.example.org'), {}, signal()))).message).toBe(`Enter the password for ${ADA}.`);
  });
});
