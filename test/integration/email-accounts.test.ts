/**
 * Adding and changing an email account through core, against real Dovecot and Postfix: settings
 * discovery (a local autoconfig server), the login check, the sealed password, and what happens
 * when it cannot be opened.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../core/api/commands.ts';
import { recentLogLines } from '../../core/log/logger.ts';
import { KEY_FILE } from '../../core/secrets/secret-box.ts';
import { startMailServers, type MailServers } from '../servers/mail.ts';
import { emailSetupRegistry } from '../support/email-setup-registry.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

const ADA = { name: 'ada', password: 'Analytical-Engine-1843' };
const NEW_PASSWORD = 'Difference-Engine-1822';

let servers: MailServers;
let autoconfig: Server;
let origin: string;
let h: Harness | null = null;
let setup: ReturnType<typeof emailSetupRegistry>;

beforeAll(async () => {
  servers = await startMailServers({ users: [ADA] });
  // The test domain's provider file, as https://autoconfig.<domain>/ would serve it.
  autoconfig = createServer((req, res) => {
    if (!req.url?.startsWith(`/autoconfig.${servers.domain}/mail/config-v1.1.xml`)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="${servers.domain}">
  <incomingServer type="imap"><hostname>127.0.0.1</hostname><port>${servers.imap.port}</port><socketType>plain</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>127.0.0.1</hostname><port>${servers.submission.port}</port><socketType>plain</socketType><username>%EMAILLOCALPART%</username></outgoingServer>
</emailProvider></clientConfig>`);
  });
  await new Promise<void>((resolve) => autoconfig.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(autoconfig.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await servers?.stop();
  autoconfig?.close();
});

afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function harness(): Promise<Harness> {
  setup = emailSetupRegistry({
    originFor: (host) => `${origin}/${host}`,
    resolveSrv: () => Promise.resolve([]),
    resolveMx: () => Promise.resolve([]),
  });
  h = await makeHarness({ registry: setup.registry });
  return h;
}

const address = () => `ada@${servers.domain}`;

function settings(over: { imapPort?: number; smtpSecurity?: string } = {}) {
  return {
    imap: { host: '127.0.0.1', port: over.imapPort ?? servers.imap.port, security: 'none' },
    smtp: { host: '127.0.0.1', port: servers.submission.port, security: over.smtpSecurity ?? 'none' },
    username: ADA.name,
  };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e: unknown = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

/** Every byte of the profile's database files. */
function databaseBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('switchboard.sqlite')).map((f) => readFileSync(join(dir, f))));
}

describe('accounts.discover', () => {
  it("finds the test domain's settings at its autoconfig host", async () => {
    const { core } = await harness();
    const found = await core.call('accounts.discover', { protocol: 'email', address: address() });
    expect(found).toEqual({ settings: settings(), source: `autoconfig.${servers.domain}` });
  });

  it('has nothing for a domain without settings, or a kind that cannot discover', async () => {
    const { core } = await harness();
    expect(await core.call('accounts.discover', { protocol: 'email', address: 'someone@nowhere.example' })).toBeNull();
    expect(await core.call('accounts.discover', { protocol: 'xmpp', address: address() })).toBeNull();
  });
});

describe('accounts.add with a password', () => {
  it('refuses a wrong password with the server\'s answer in words, and saves nothing', async () => {
    const { core } = await harness();
    const e = await refusal(core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: 'wrong' } }));
    expect(e.code).toBe('bad-request');
    expect(e.message).toBe(`The mail server 127.0.0.1 rejected the password for ${ADA.name}.`);
    expect(await core.call('accounts.list', {})).toEqual([]);
    expect(setup.built).toEqual([]);
  });

  it('refuses an unreachable server as unavailable', async () => {
    const { core } = await harness();
    const e = await refusal(core.call('accounts.add', { protocol: 'email', address: address(), settings: settings({ imapPort: 1 }), secrets: { password: ADA.password } }));
    expect(e).toMatchObject({ code: 'unavailable', message: 'Could not reach 127.0.0.1 on port 1: connection refused.' });
  });

  it('adds the account with the right password, hands it to the adapter, and keeps it out of the database, results, events and logs', async () => {
    const { core, dir, events } = await harness();
    const account = await core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: ADA.password } });
    expect(account).toMatchObject({ protocol: 'email', address: address(), settings: settings() });
    await until(async () => (await core.call('accounts.list', {}))[0]?.status === 'online', 'the account online');
    expect(setup.built.at(-1)).toMatchObject({ config: { id: account.id, settings: settings() }, secrets: { password: ADA.password } });

    const list = await core.call('accounts.list', {});
    for (const shown of [JSON.stringify(account), JSON.stringify(list), JSON.stringify(events), recentLogLines.join('\n')]) {
      expect(shown).not.toContain(ADA.password);
    }
    core.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = databaseBytes(dir);
    expect(bytes.includes(Buffer.from(ADA.password))).toBe(false);
    expect(bytes.includes(Buffer.from('lk1:'))).toBe(true);
    expect(readFileSync(join(dir, KEY_FILE))).toHaveLength(32);
  });

  it('refuses the same address twice without checking the login again', async () => {
    const { core } = await harness();
    await core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: ADA.password } });
    const e = await refusal(core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: ADA.password } }));
    expect(e).toMatchObject({ code: 'conflict' });
    expect(setup.probes.count).toBe(1);
  });

  it('bounds secrets: names, sizes and count', async () => {
    const { core } = await harness();
    const base = { protocol: 'email', address: address(), settings: settings() } as const;
    for (const secrets of [{ password: 'x'.repeat(4097) }, { 'bad name': 'x' }, Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`s${i}`, 'x']))]) {
      expect((await refusal(core.call('accounts.add', { ...base, secrets }))).code).toBe('bad-request');
    }
    expect(setup.probes.count).toBe(0);
  });
});

describe('accounts.update', () => {
  async function added() {
    const hh = await harness();
    const account = await hh.core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: ADA.password } });
    return { ...hh, account };
  }

  it('changes what is shown and synced without a login check, and restarts the adapter with it', async () => {
    const { core, account } = await added();
    const changed = { ...settings(), showMailFrom: 'all', syncDays: 30 };
    const updated = await core.call('accounts.update', { accountId: account.id, settings: changed, displayName: 'Ada at work' });
    expect(updated).toMatchObject({ displayName: 'Ada at work', settings: changed });
    expect(setup.probes.count).toBe(1);
    expect(setup.built).toHaveLength(2);
    expect(setup.built.at(-1)).toMatchObject({ config: { settings: changed, displayName: 'Ada at work' }, secrets: { password: ADA.password } });
    expect((await core.call('accounts.list', {}))[0]).toMatchObject({ displayName: 'Ada at work', settings: changed });
  });

  it('checks a new password first: a wrong one changes nothing, the right one is used from then on', async () => {
    const { core, account } = await added();
    const e = await refusal(core.call('accounts.update', { accountId: account.id, secrets: { password: 'wrong' } }));
    expect(e.message).toBe(`The mail server 127.0.0.1 rejected the password for ${ADA.name}.`);
    expect(setup.built).toHaveLength(1);

    await servers.addUser({ name: 'ada2', password: NEW_PASSWORD });
    const login = { ...settings(), username: 'ada2' };
    // A new login name with the old password: checked, refused.
    expect((await refusal(core.call('accounts.update', { accountId: account.id, settings: login }))).code).toBe('bad-request');
    await core.call('accounts.update', { accountId: account.id, settings: login, secrets: { password: NEW_PASSWORD } });
    expect(setup.built.at(-1)).toMatchObject({ config: { settings: login }, secrets: { password: NEW_PASSWORD } });
    expect(setup.probes.count).toBe(4);
  });

  it('refuses an account that does not exist', async () => {
    const { core } = await harness();
    expect((await refusal(core.call('accounts.update', { accountId: 'nope', displayName: 'x' }))).code).toBe('not-found');
  });
});

describe('a password that cannot be opened', () => {
  it('puts the account in error with words (no crash), and a new password mends it', async () => {
    const hh = await harness();
    const account = await hh.core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: ADA.password } });
    // The key file was replaced (restored from another machine's backup, say).
    writeFileSync(join(hh.dir, KEY_FILE), Buffer.alloc(32, 1));
    await hh.restart({ registry: setup.registry });
    await until(async () => (await hh.core.call('accounts.list', {}))[0]?.status === 'error', 'the account in error');
    const [broken] = await hh.core.call('accounts.list', {});
    expect(broken?.error).toBe(
      "Could not set up the account: The saved password cannot be decrypted: it is damaged, or secret.key in the profile folder was replaced. Enter the password again (Change password in the account's settings).",
    );

    await hh.core.call('accounts.update', { accountId: account.id, secrets: { password: ADA.password } });
    await until(async () => (await hh.core.call('accounts.list', {}))[0]?.status === 'online', 'the account online again');
    expect(setup.built.at(-1)?.secrets).toEqual({ password: ADA.password });
  });

  it('a damaged sealed value in the database is an error status too', async () => {
    const hh = await harness();
    await hh.core.call('accounts.add', { protocol: 'email', address: address(), settings: settings(), secrets: { password: ADA.password } });
    hh.core.ctx.db.prepare("UPDATE accounts SET secrets = 'lk1:bm90IGEgc2VhbGVkIHZhbHVl'").run();
    await hh.restart({ registry: setup.registry });
    await until(async () => (await hh.core.call('accounts.list', {}))[0]?.status === 'error', 'the account in error');
    expect((await hh.core.call('accounts.list', {}))[0]?.error).toBe(
      "Could not set up the account: The saved password is damaged. Enter the password again (Change password in the account's settings).",
    );
  });
});
