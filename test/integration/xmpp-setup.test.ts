/**
 * The XMPP login check (adapters/xmpp/setup.ts) against a real Prosody: the right password over
 * STARTTLS and over direct TLS, and each refusal in words a user understands — a wrong password,
 * a certificate nobody said to trust, a closed port, TLS expected where there is none, a server
 * that does not host the domain. Each answer comes within a few seconds.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterActionError, type AccountConfig } from '../../adapters/contract.ts';
import { xmppSetup } from '../../adapters/xmpp/setup.ts';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { xmppAccountConfig } from '../support/xmpp-accounts.ts';

const ANSWER_MS = 5_000;

let server: TestProsody;
let ada: XmppAccount;

beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'pw-ada' }] });
  [ada] = server.users as [XmppAccount];
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

function account(settings: Record<string, unknown> = {}, address = ada.jid): AccountConfig {
  const config = xmppAccountConfig(server, ada);
  return { ...config, address, settings: { ...config.settings, ...settings } };
}

/** Runs the probe; the time it took, and its error (an AdapterActionError that never repeats the password). */
async function check(config: AccountConfig, password: string): Promise<{ ms: number; error: AdapterActionError | null }> {
  const started = Date.now();
  const e: unknown = await xmppSetup.probe!(config, { password }, AbortSignal.timeout(30_000)).then(
    () => null,
    (err: unknown) => err,
  );
  const ms = Date.now() - started;
  if (e === null) return { ms, error: null };
  expect(e).toBeInstanceOf(AdapterActionError);
  expect((e as Error).message).not.toContain(password);
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

describe('xmppSetup.probe against Prosody', () => {
  it('accepts the right password over STARTTLS', async () => {
    const { ms, error } = await check(account(), ada.password);
    expect(error).toBeNull();
    expect(ms).toBeLessThan(ANSWER_MS);
  });

  it('accepts the right password over direct TLS', async () => {
    const { ms, error } = await check(account({ service: `xmpps://${server.host}:${server.tlsPort}` }), ada.password);
    expect(error).toBeNull();
    expect(ms).toBeLessThan(ANSWER_MS);
  });

  it('refuses a wrong password in words, on both ports', async () => {
    for (const service of [`xmpp://${server.host}:${server.port}`, `xmpps://${server.host}:${server.tlsPort}`]) {
      const { ms, error } = await check(account({ service }), 'not-the-password');
      expect(error?.code).toBe('invalid');
      expect(error?.message).toBe('The XMPP server refused the user name or password.');
      expect(ms).toBeLessThan(ANSWER_MS);
    }
    // A user the server does not know gets the same answer (the server does not say which was wrong).
    const { error } = await check(account({}, `grace@${server.domain}`), 'pw-grace');
    expect(error?.message).toBe('The XMPP server refused the user name or password.');
  });

  it('will not log in to a server whose certificate is not trusted, and says how to trust it', async () => {
    for (const service of [`xmpp://${server.host}:${server.port}`, `xmpps://${server.host}:${server.tlsPort}`]) {
      const { ms, error } = await check(account({ service, trustedCertificate: null }), ada.password);
      expect(error?.code).toBe('invalid');
      expect(error?.message).toMatch(new RegExp(`^The server's certificate could not be verified for ${server.domain.replace('.', '\\.')} \\(`));
      expect(error?.message).toContain('trust that certificate in the account settings');
      expect(ms).toBeLessThan(ANSWER_MS);
    }
    // Trusting some other certificate is no better.
    const other = await startProsody({ users: [], domain: server.domain });
    try {
      const { error } = await check(account({ trustedCertificate: other.certificate }), ada.password);
      expect(error?.message).toMatch(/^The server's certificate could not be verified/);
    } finally {
      await other.stop();
    }
  }, 30_000);

  it('says when nothing listens on the port', async () => {
    const port = await closedPort();
    const { ms, error } = await check(account({ service: `xmpp://${server.host}:${port}` }), ada.password);
    expect(error?.code).toBe('unavailable');
    expect(error?.message).toBe(`Could not reach ${server.host} on port ${port}: connection refused.`);
    expect(ms).toBeLessThan(ANSWER_MS);
  });

  it('says when the port does not match the kind of TLS', async () => {
    const tlsOnPlain = await check(account({ service: `xmpps://${server.host}:${server.port}` }), ada.password);
    expect(tlsOnPlain.error?.code).toBe('invalid');
    expect(tlsOnPlain.error?.message).toBe(`${server.host} on port ${server.port} does not speak TLS from the first byte. Try xmpp://${server.host}:5222 (STARTTLS).`);
    expect(tlsOnPlain.ms).toBeLessThan(ANSWER_MS);

    const plainOnTls = await check(account({ service: `xmpp://${server.host}:${server.tlsPort}` }), ada.password);
    expect(plainOnTls.error?.code).toBe('unavailable');
    expect(plainOnTls.error?.message).toContain('xmpps:// (direct TLS)');
    expect(plainOnTls.ms).toBeLessThan(ANSWER_MS);
  });

  it('says when the server does not host the address’s domain', async () => {
    const { error } = await check(account({}, 'ada@elsewhere.test'), ada.password);
    expect(error?.code).toBe('invalid');
    expect(error?.message).toBe(`The XMPP server at ${server.host} on port ${server.port} does not host elsewhere.test. Check the server address.`);
  });
});
