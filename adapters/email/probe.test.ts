/** The login check against real Dovecot and Postfix (test/servers/mail.ts: plain TCP on 127.0.0.1). */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailServers, type MailServers } from '../../test/servers/mail.ts';
import { AdapterActionError, type AccountConfig } from '../contract.ts';
import { probeEmailAccount } from './probe.ts';

const ADA = { name: 'ada', password: 'analytical-engine' };

let servers: MailServers;

beforeAll(async () => {
  servers = await startMailServers({ users: [ADA] });
}, 60_000);
afterAll(async () => {
  await servers?.stop();
});

function account(over: { imap?: object; smtp?: object; username?: string } = {}): AccountConfig {
  return {
    id: 'a1',
    protocol: 'email',
    address: `ada@${servers.domain}`,
    displayName: 'Ada',
    settings: {
      imap: { ...servers.imap, security: 'none', ...over.imap },
      smtp: { ...servers.submission, security: 'none', ...over.smtp },
      username: over.username ?? ADA.name,
    },
  };
}

async function failure(config: AccountConfig, password = ADA.password, signal = AbortSignal.timeout(30_000)): Promise<AdapterActionError> {
  const e: unknown = await probeEmailAccount(config, { password }, signal).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdapterActionError);
  if (password) expect((e as Error).message).not.toContain(password);
  return e as AdapterActionError;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('probeEmailAccount against Dovecot and Postfix', () => {
  it('accepts the right password on both servers', async () => {
    await expect(probeEmailAccount(account(), { password: ADA.password }, AbortSignal.timeout(30_000))).resolves.toBeUndefined();
  });

  it('refuses a wrong password, in words, without repeating it', async () => {
    const e = await failure(account(), 'not-the-password');
    expect(e.code).toBe('invalid');
    expect(e.message).toBe(`The mail server 127.0.0.1 rejected the password for ${ADA.name}.`);
  });

  it('says a closed port refused the connection', async () => {
    const port = await closedPort();
    const e = await failure(account({ imap: { port } }));
    expect(e.code).toBe('unavailable');
    expect(e.message).toBe(`Could not reach 127.0.0.1 on port ${port}: connection refused.`);
    const smtp = await failure(account({ smtp: { port } }));
    expect(smtp.message).toBe(`Could not reach 127.0.0.1 on port ${port}: connection refused.`);
  });

  it('will not log in over plain text when STARTTLS was asked for and the server has none', async () => {
    const imap = await failure(account({ imap: { security: 'starttls' } }));
    expect(imap.message).toMatch(/^127\.0\.0\.1 on port \d+ does not offer STARTTLS, so Switchboard will not send the password over plain text\./);
    const smtp = await failure(account({ smtp: { security: 'starttls' } }));
    expect(smtp.message).toMatch(/does not offer STARTTLS, so Switchboard will not send the password over plain text\./);
  });

  it('says a plain server does not speak TLS', async () => {
    const e = await failure(account({ imap: { security: 'tls' } }));
    expect(e.message).toBe(`127.0.0.1 on port ${servers.imap.port} does not speak TLS. Try the security setting "STARTTLS", or port 993 for TLS.`);
  });

  it('refuses settings that are not valid, and an empty password, before connecting', async () => {
    const bad = { ...account(), settings: { imap: { host: 'imap example', port: 993, security: 'tls' } } };
    expect((await failure(bad)).message).toMatch(/The email account's (imap.host|smtp) setting is not valid/);
    expect((await failure(account(), '')).message).toBe(`Enter the password for ada@${servers.domain}.`);
  });

  it('stops when cancelled', async () => {
    // A server that accepts the connection and never greets.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    const e = await failure(account({ imap: { port } }), ADA.password, AbortSignal.timeout(300));
    expect(e.message).toMatch(/took too long and was stopped/);
    expect(Date.now() - started).toBeLessThan(3_000);
    silent.close();
  });
});
