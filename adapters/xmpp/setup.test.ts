/**
 * The XMPP account setup without a real server: discovery from SRV records given by an injected
 * resolver (order, ".", hostile answers, none, cancelling), which settings changes need a new login
 * check, and the login check's refusals that no real server in the suite can produce (a server
 * without TLS, one that never answers) against a protocol-level fake on 127.0.0.1.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdapterActionError, type AccountConfig } from '../contract.ts';
import { createXmppSetup } from './setup.ts';
import { xmppSettings } from './settings.ts';
import type { ResolveSrv, SrvRecord } from './srv.ts';

const XMPPS = '_xmpps-client._tcp.example.org';
const XMPP = '_xmpp-client._tcp.example.org';

const rec = (name: string, port: number, priority = 0, weight = 0): SrvRecord => ({ name, port, priority, weight });

/** A resolver answering from a table (no entry: no records, as NXDOMAIN), recording what was asked. */
function table(records: Record<string, SrvRecord[]>, asked: string[] = []): ResolveSrv {
  return (name) => {
    asked.push(name);
    const found = records[name];
    return found ? Promise.resolve(found) : Promise.reject(Object.assign(new Error('queryNotFound'), { code: 'ENOTFOUND' }));
  };
}

const discover = (address: string, records: Record<string, SrvRecord[]>, signal = AbortSignal.timeout(5_000)) =>
  createXmppSetup({ resolveSrv: table(records) }).discover!(address, signal);

const service = async (records: Record<string, SrvRecord[]>) => (await discover('ada@example.org', records))?.settings.service;

describe('xmppSetup.discover', () => {
  it('takes the lowest priority first, across both kinds of record', async () => {
    const found = await discover('ada@example.org', {
      [XMPPS]: [rec('tls-backup.example.org', 5223, 20)],
      [XMPP]: [rec('backup.example.org', 5222, 10), rec('main.example.org', 5222, 5)],
    });
    expect(found).toEqual({ settings: { service: 'xmpp://main.example.org:5222' }, source: `DNS SRV records (${XMPP})` });
  });

  it('prefers direct TLS at equal priority, then the highest weight', async () => {
    expect(await service({ [XMPPS]: [rec('tls.example.org', 5223, 10)], [XMPP]: [rec('starttls.example.org', 5222, 10, 100)] })).toBe(
      'xmpps://tls.example.org:5223',
    );
    expect(await service({ [XMPPS]: [rec('light.example.org', 443, 10, 1), rec('heavy.example.org', 5223, 10, 60)] })).toBe(
      'xmpps://heavy.example.org:5223',
    );
    const found = await discover('Ada@Example.ORG', { [XMPPS]: [rec('Chat.Example.ORG.', 443)] });
    expect(found).toEqual({ settings: { service: 'xmpps://chat.example.org:443' }, source: `DNS SRV records (${XMPPS})` });
  });

  it('respects "." (RFC 2782: not offered): never used, and no fallback to the domain when that is all there is', async () => {
    expect(await service({ [XMPPS]: [rec('.', 0)], [XMPP]: [rec('chat.example.org', 5222, 50)] })).toBe('xmpp://chat.example.org:5222');
    // node:dns gives the root as an empty name.
    expect(await service({ [XMPPS]: [rec('', 0)], [XMPP]: [rec('chat.example.org', 5222, 50)] })).toBe('xmpp://chat.example.org:5222');
    expect(await discover('ada@example.org', { [XMPP]: [rec('.', 0)] })).toBeNull();
    expect(await discover('ada@example.org', { [XMPPS]: [rec('.', 0)], [XMPP]: [rec('', 0)] })).toBeNull();
  });

  it('drops hostile answers: what it returns is always a setting settings.ts accepts', async () => {
    const hostile = [
      rec('evil.example.org/path', 5222),
      rec('user@evil.example.org', 5222),
      rec('evil.example.org:80', 5222),
      rec('evil example.org', 5222),
      rec('evil.example.org\nxmpps://other', 5222),
      rec('ëvil.example.org', 5222),
      rec(`${'a'.repeat(300)}.example.org`, 5222),
      rec('port-zero.example.org', 0),
      rec('port-big.example.org', 70_000),
      rec('port-odd.example.org', 52.5),
      { name: 'no-priority.example.org', port: 5222, priority: Number.NaN, weight: 0 },
    ];
    const found = await discover('ada@example.org', { [XMPPS]: hostile, [XMPP]: [rec('good.example.org', 5222, 99)] });
    expect(found?.settings).toEqual({ service: 'xmpp://good.example.org:5222' });
    expect(xmppSettings(found!.settings, 'example.org').service).toBe('xmpp://good.example.org:5222');
    // Nothing usable at all: no guess either (the user types the server in).
    expect(await discover('ada@example.org', { [XMPP]: hostile })).toBeNull();
    // A resolver returning something that is not a list is no records.
    const odd: ResolveSrv = () => Promise.resolve('chat.example.org' as unknown as SrvRecord[]);
    expect((await createXmppSetup({ resolveSrv: odd }).discover!('ada@example.org', AbortSignal.timeout(5_000)))?.settings).toEqual({
      service: 'xmpp://example.org:5222',
    });
  });

  it("falls back to the address's domain on port 5222 when there are no SRV records", async () => {
    const asked: string[] = [];
    const found = await createXmppSetup({ resolveSrv: table({}, asked) }).discover!('ada@example.org', AbortSignal.timeout(5_000));
    expect(found).toEqual({ settings: { service: 'xmpp://example.org:5222' }, source: "the address's domain (no SRV records)" });
    expect(asked.sort()).toEqual([XMPP, XMPPS]);
    // A lookup that fails (server failure, timeout) is treated the same.
    const failing: ResolveSrv = () => Promise.reject(Object.assign(new Error('queryServFail'), { code: 'ESERVFAIL' }));
    expect((await createXmppSetup({ resolveSrv: failing }).discover!('ada@example.org', AbortSignal.timeout(5_000)))?.settings).toEqual({
      service: 'xmpp://example.org:5222',
    });
  });

  it('asks nothing for something that is not an XMPP address', async () => {
    const asked: string[] = [];
    const setup = createXmppSetup({ resolveSrv: table({}, asked) });
    for (const address of ['not an address', 'ada@', 'ada@exa mple.org', 'ada@example.org/phone', '@example.org']) {
      expect(await setup.discover!(address, AbortSignal.timeout(5_000))).toBeNull();
    }
    expect(asked).toEqual([]);
  });

  it('stops at once when cancelled, even with a resolver that never answers', async () => {
    const seen: AbortSignal[] = [];
    const never: ResolveSrv = (_name, signal) => {
      seen.push(signal);
      return new Promise<SrvRecord[]>(() => undefined);
    };
    const setup = createXmppSetup({ resolveSrv: never });
    const abort = new AbortController();
    const started = Date.now();
    const pending = setup.discover!('ada@example.org', abort.signal);
    setTimeout(() => abort.abort(), 50);
    expect(await pending).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
    // The resolver was handed the signal (the system one cancels its queries with it).
    expect(seen.every((s) => s.aborted)).toBe(true);
    expect(await setup.discover!('ada@example.org', AbortSignal.abort())).toBeNull();
  });
});

describe('xmppSetup.loginChanged', () => {
  const setup = createXmppSetup({ resolveSrv: table({}) });
  const base = { service: 'xmpp://chat.example.org:5222', trustedCertificate: null, reconnectMs: 3_000 };

  it('is true when the server or the trusted certificate changes, and only then', () => {
    expect(setup.loginChanged!(base, { ...base, service: 'xmpps://chat.example.org:5223' })).toBe(true);
    expect(setup.loginChanged!(base, { ...base, trustedCertificate: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----' })).toBe(true);
    expect(setup.loginChanged!(base, { ...base, reconnectMs: 500 })).toBe(false);
    expect(setup.loginChanged!(base, { ...base })).toBe(false);
    // No certificate is no certificate, stored as null or not at all.
    expect(setup.loginChanged!({ service: base.service }, base)).toBe(false);
  });
});

/** A TCP server on 127.0.0.1 that does what `onData` says; records everything it received. */
async function fakeServer(onData: (socket: Socket, text: string) => void): Promise<{ port: number; received: () => string; close(): Promise<void> }> {
  let received = '';
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', (b: Buffer) => {
      received += b.toString();
      onData(socket, b.toString());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const fakes: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

function account(service: string): AccountConfig {
  return { id: 'a1', protocol: 'xmpp', address: 'ada@xmpp.test', displayName: 'Ada', settings: { service, trustedCertificate: null } };
}

async function failure(setup: ReturnType<typeof createXmppSetup>, config: AccountConfig, password: string, signal = AbortSignal.timeout(10_000)) {
  const e: unknown = await setup.probe!(config, { password }, signal).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdapterActionError);
  if (password) expect((e as Error).message).not.toContain(password);
  return e as AdapterActionError;
}

describe('xmppSetup.probe without a real server', () => {
  const setup = createXmppSetup({ resolveSrv: table({}), probeTimeoutMs: 1_000 });

  it('asks for a missing password and refuses bad settings before connecting', async () => {
    expect((await failure(setup, account('xmpp://127.0.0.1:5222'), '')).message).toBe('Enter the password for ada@xmpp.test.');
    const bad = await failure(setup, account('http://evil.example.org/'), 'secret-pw');
    expect(bad.code).toBe('invalid');
    expect(bad.message).toContain('is not a server address');
    const jid = await failure(setup, { ...account('xmpp://127.0.0.1:5222'), address: 'not a jid' }, 'secret-pw');
    expect(jid.message).toContain('is not an XMPP address');
  });

  it('never offers the password to a server without TLS', async () => {
    // A server that offers a login but no STARTTLS: Prosody as the suite runs it always requires TLS.
    const fake = await fakeServer((socket, text) => {
      if (text.includes('<stream:stream')) {
        socket.write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='xmpp.test' version='1.0'>" +
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
        );
      }
    });
    fakes.push(fake);
    const started = Date.now();
    const e = await failure(setup, account(`xmpp://127.0.0.1:${fake.port}`), 'secret-pw');
    expect(e.code).toBe('invalid');
    expect(e.message).toBe(`127.0.0.1 on port ${fake.port} does not offer TLS, so Switchboard will not send the password over plain text. Try direct TLS (xmpps://127.0.0.1:5223) if the server offers it.`);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(fake.received()).not.toContain('<auth');
    expect(fake.received()).not.toContain(Buffer.from('secret-pw').toString('base64'));
  });

  it('gives up on a server that never answers, and stops when the caller cancels', async () => {
    const silent = await fakeServer(() => undefined);
    fakes.push(silent);
    // Direct TLS to a server that never answers the handshake: only the probe's own deadline ends it.
    let started = Date.now();
    const timedOut = await failure(setup, account(`xmpps://127.0.0.1:${silent.port}`), 'secret-pw');
    expect(timedOut.code).toBe('unavailable');
    expect(timedOut.message).toBe(`Could not reach 127.0.0.1 on port ${silent.port}: it did not answer in time. Check the server address and port.`);
    expect(Date.now() - started).toBeLessThan(2_000);

    const patient = createXmppSetup({ resolveSrv: table({}), probeTimeoutMs: 30_000 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    started = Date.now();
    const cancelled = await failure(patient, account(`xmpps://127.0.0.1:${silent.port}`), 'secret-pw', abort.signal);
    expect(cancelled.message).toBe(`Checking the account took too long and was stopped. Check the server address (127.0.0.1, port ${silent.port}).`);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
