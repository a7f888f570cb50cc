/**
 * The Matrix account setup (adapters/matrix/setup.ts) against a real Synapse: the login check
 * passes with the right password and leaves no device behind, a wrong password is refused in words,
 * a login for good gives a token and device that work, logging out ends both, a port nobody listens
 * on is named, and discovery finds the homeserver from the Matrix ID.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterActionError, type AccountConfig } from '../../adapters/contract.ts';
import { createMatrixSetup, matrixSetup } from '../../adapters/matrix/setup.ts';
import { startSynapse, type MatrixAccount, type TestSynapse } from '../servers/synapse.ts';

const ANSWER_MS = 5_000;

let server: TestSynapse;
let ada: MatrixAccount;

beforeAll(async () => {
  server = await startSynapse({ users: [{ name: 'ada', password: 'pw-ada' }] });
  [ada] = server.users as [MatrixAccount];
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

function account(homeserver = server.baseUrl, address = ada.userId): AccountConfig {
  return { id: 'acc-matrix', protocol: 'matrix', address, displayName: address, settings: { homeserver } };
}

const signal = () => AbortSignal.timeout(30_000);

/** A client-server API call of the test's own, outside the code under test. */
async function api(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${server.baseUrl}/_matrix/client/v3${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/**
 * Ada's devices as the homeserver lists them, seen from a login of the test's own (which is
 * itself one of them, left out of the answer and logged out again).
 */
async function devices(): Promise<{ device_id: string; display_name?: string }[]> {
  const login = await api('POST', '/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: ada.name }, password: ada.password });
  expect(login.status).toBe(200);
  const token = login.body.access_token as string;
  const list = await api('GET', '/devices', token);
  await api('POST', '/logout', token, {});
  return (list.body.devices as { device_id: string; display_name?: string }[]).filter((d) => d.device_id !== login.body.device_id);
}

/** Runs a setup call; the time it took, and its error (an AdapterActionError that never repeats the password). */
async function attempt(p: Promise<unknown>, password = ''): Promise<{ ms: number; error: AdapterActionError | null }> {
  const started = Date.now();
  const e: unknown = await p.then(
    () => null,
    (err: unknown) => err,
  );
  const ms = Date.now() - started;
  if (e === null) return { ms, error: null };
  expect(e).toBeInstanceOf(AdapterActionError);
  if (password) expect((e as Error).message).not.toContain(password);
  return { ms, error: e as AdapterActionError };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('matrixSetup against Synapse', () => {
  it('the login check passes with the right password and leaves no device behind', async () => {
    const before = await devices();
    const { ms, error } = await attempt(matrixSetup.probe!(account(), { password: ada.password }, signal()), ada.password);
    expect(error).toBeNull();
    expect(ms).toBeLessThan(ANSWER_MS);
    const after = await devices();
    expect(after).toEqual(before);
    expect(after.some((d) => d.display_name === 'Switchboard login check')).toBe(false);
  });

  it('a wrong password, and a user the homeserver does not have, are refused in words', async () => {
    const wrong = await attempt(matrixSetup.probe!(account(), { password: 'not-the-password' }, signal()), 'not-the-password');
    expect(wrong.error?.code).toBe('invalid');
    expect(wrong.error?.message).toBe(`The homeserver refused the password for ${ada.userId}.`);
    expect(wrong.ms).toBeLessThan(ANSWER_MS);
    const nobody = `@nobody:${server.serverName}`;
    const unknown = await attempt(matrixSetup.login!(account(server.baseUrl, nobody), { password: 'pw-nobody' }, signal()), 'pw-nobody');
    expect(unknown.error?.message).toBe(`The homeserver refused the password for ${nobody}.`);
  });

  it('login gives a token and device that work; logout ends both', async () => {
    const kept = await matrixSetup.login!(account(), { password: ada.password }, signal());
    expect(Object.keys(kept).sort()).toEqual(['accessToken', 'deviceId']);
    const accessToken = kept.accessToken!;
    const whoami = await api('GET', '/account/whoami', accessToken);
    expect(whoami.status).toBe(200);
    expect(whoami.body).toMatchObject({ user_id: ada.userId, device_id: kept.deviceId });
    expect((await devices()).find((d) => d.device_id === kept.deviceId)?.display_name).toBe('Switchboard');

    // The saved token passes the check and a login without the password keeps it.
    expect((await attempt(matrixSetup.probe!(account(), kept, signal()))).error).toBeNull();
    expect(await matrixSetup.login!(account(), kept, signal())).toEqual(kept);

    await matrixSetup.logout!(account(), kept, signal());
    expect((await api('GET', '/account/whoami', accessToken)).status).toBe(401);
    expect((await devices()).some((d) => d.device_id === kept.deviceId)).toBe(false);
    // Logging out twice is fine; checking the dead token says to enter the password again.
    await matrixSetup.logout!(account(), kept, signal());
    const dead = await attempt(matrixSetup.probe!(account(), kept, signal()));
    expect(dead.error?.message).toBe(`The homeserver no longer accepts Switchboard's login for ${ada.userId} (it was logged out). Enter the password again.`);
  });

  it('a new password replaces the old login: the old device is gone', async () => {
    const first = await matrixSetup.login!(account(), { password: ada.password }, signal());
    const second = await matrixSetup.login!(account(), { ...first, password: ada.password }, signal());
    expect(second.deviceId).not.toBe(first.deviceId);
    expect((await api('GET', '/account/whoami', first.accessToken)).status).toBe(401);
    const ids = (await devices()).map((d) => d.device_id);
    expect(ids).toContain(second.deviceId);
    expect(ids).not.toContain(first.deviceId);
    await matrixSetup.logout!(account(), second, signal());
  });

  it('a port nobody listens on is named', async () => {
    const port = await closedPort();
    const { ms, error } = await attempt(matrixSetup.probe!(account(`http://127.0.0.1:${port}`), { password: ada.password }, signal()), ada.password);
    expect(error?.code).toBe('unavailable');
    expect(error?.message).toBe(`Could not reach the homeserver at 127.0.0.1:${port}: connection refused.`);
    expect(ms).toBeLessThan(ANSWER_MS);
  });

  it('discovery finds the homeserver from the Matrix ID', async () => {
    const found = await createMatrixSetup({ serverOrigin: () => server.baseUrl }).discover!(ada.userId, signal());
    expect(found?.settings).toEqual({ homeserver: server.baseUrl });
    expect(found?.source).toMatch(/synapse\.test/);
  });
});
