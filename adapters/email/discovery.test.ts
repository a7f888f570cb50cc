/**
 * Discovery against a real HTTP server on 127.0.0.1 (the host of each URL becomes the first path
 * segment through `originFor`), with SRV and MX answers injected.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MxRecord, SrvRecord } from './discovery-dns.ts';
import { discoverEmailSettings, type DiscoveryOptions } from './discovery.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
/** Path (without query) → what the server does. Anything else: 404. */
const routes = new Map<string, Handler>();
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const handler = routes.get((req.url ?? '').split('?')[0] ?? '');
    if (handler) handler(req, res);
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  routes.clear();
  requests.length = 0;
});

const AUTOCONFIG = '/autoconfig.example.org/mail/config-v1.1.xml';
const WELL_KNOWN = '/example.org/.well-known/autoconfig/mail/config-v1.1.xml';

function xml(imapHost: string, smtpHost = 'smtp.example.org', username = '%EMAILADDRESS%'): string {
  return `<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.org">
  <incomingServer type="imap"><hostname>${imapHost}</hostname><port>993</port><socketType>SSL</socketType><username>${username}</username></incomingServer>
  <outgoingServer type="smtp"><hostname>${smtpHost}</hostname><port>465</port><socketType>SSL</socketType><username>${username}</username></outgoingServer>
</emailProvider></clientConfig>`;
}

const serve = (body: string, status = 200): Handler => (_req, res) => res.writeHead(status, { 'content-type': 'application/xml' }).end(body);

const noDns: Pick<DiscoveryOptions, 'resolveSrv' | 'resolveMx'> = {
  resolveSrv: () => Promise.resolve([]),
  resolveMx: () => Promise.resolve([]),
};

function discover(address: string, more: DiscoveryOptions = {}) {
  return discoverEmailSettings(address, { originFor: (host) => `${base}/${host}`, timeoutMs: 2_000, ...noDns, ...more });
}

describe('discoverEmailSettings: config files', () => {
  it('reads autoconfig.<domain> first, passing the address and filling in its placeholders', async () => {
    routes.set(AUTOCONFIG, serve(xml('imap.%EMAILDOMAIN%', 'smtp.example.org', '%EMAILLOCALPART%')));
    routes.set(WELL_KNOWN, serve(xml('other.example.org')));
    expect(await discover('ada@example.org')).toEqual({
      settings: {
        imap: { host: 'imap.example.org', port: 993, security: 'tls' },
        smtp: { host: 'smtp.example.org', port: 465, security: 'tls' },
        username: 'ada',
      },
      source: 'autoconfig.example.org',
    });
    expect(requests).toContain(`${AUTOCONFIG}?emailaddress=ada%40example.org`);
  });

  it('falls back to the well-known address when the autoconfig host has nothing', async () => {
    routes.set(WELL_KNOWN, serve(xml('mail.example.org', 'mail.example.org')));
    const found = await discover('ada@Example.org');
    expect(found?.source).toBe('example.org/.well-known/autoconfig');
    expect(found?.settings).toMatchObject({ imap: { host: 'mail.example.org' }, username: 'ada@Example.org' });
  });

  it('skips a broken file, a file of another kind and a server error', async () => {
    routes.set(AUTOCONFIG, serve('<clientConfig><emailProvider></clientConfig>'));
    routes.set(WELL_KNOWN, serve('<html>Welcome to nginx</html>'));
    expect(await discover('ada@example.org')).toBeNull();
    routes.set(AUTOCONFIG, serve(xml('imap.example.org'), 500));
    expect(await discover('ada@example.org')).toBeNull();
  });

  it('has nothing when every source has nothing (404s, no DNS records)', async () => {
    expect(await discover('ada@example.org')).toBeNull();
    expect(requests.map((r) => r.split('?')[0]).sort()).toEqual([WELL_KNOWN, AUTOCONFIG].sort());
  });

  it('gives up on a slow server after the deadline and still answers from the next source', async () => {
    const held: ServerResponse[] = [];
    routes.set(AUTOCONFIG, (_req, res) => void held.push(res));
    routes.set(WELL_KNOWN, serve(xml('mail.example.org')));
    const started = Date.now();
    const found = await discover('ada@example.org', { timeoutMs: 300 });
    expect(found?.source).toBe('example.org/.well-known/autoconfig');
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const res of held) res.destroy();
  });

  it('gives up on a server that starts answering and then stalls', async () => {
    routes.set(AUTOCONFIG, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<?xml version="1.0"?><clientConfig>');
    });
    const started = Date.now();
    expect(await discover('ada@example.org', { timeoutMs: 300 })).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a file larger than the cap, declared or streamed', async () => {
    const padded = xml('imap.example.org').replace('<clientConfig', `<!-- ${'x'.repeat(5_000)} --><clientConfig`);
    routes.set(AUTOCONFIG, serve(padded));
    expect(await discover('ada@example.org', { maxBytes: 1_000 })).toBeNull();
    routes.set(AUTOCONFIG, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(padded); // chunked: no content-length to go by
    });
    expect(await discover('ada@example.org', { maxBytes: 1_000 })).toBeNull();
    expect(await discover('ada@example.org', { maxBytes: 100_000 })).not.toBeNull();
  });

  it('never follows a redirect to http', async () => {
    routes.set('/elsewhere', serve(xml('imap.example.org')));
    routes.set(AUTOCONFIG, (_req, res) => res.writeHead(301, { location: `${base}/elsewhere` }).end());
    expect(await discover('ada@example.org')).toBeNull();
    expect(requests.some((r) => r.startsWith('/elsewhere'))).toBe(false);
  });

  it('stops at once when cancelled', async () => {
    routes.set(AUTOCONFIG, () => undefined);
    const abort = new AbortController();
    const pending = discover('ada@example.org', { timeoutMs: 10_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    const started = Date.now();
    expect(await pending).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('asks nothing for something that is not an address', async () => {
    expect(await discover('not an address')).toBeNull();
    expect(await discover('ada@localhost')).toBeNull();
    expect(requests).toEqual([]);
  });
});

describe('discoverEmailSettings: DNS', () => {
  const srv = (records: Record<string, SrvRecord[]>) => (name: string) => Promise.resolve(records[name] ?? []);

  it('uses SRV records: lowest priority, then implicit TLS, then the highest weight; "." means not offered', async () => {
    const found = await discover('ada@example.org', {
      resolveSrv: srv({
        '_imaps._tcp.example.org': [
          { name: 'backup.example.org', port: 993, priority: 10, weight: 100 },
          { name: 'light.example.org', port: 993, priority: 0, weight: 1 },
          { name: 'heavy.example.org.', port: 993, priority: 0, weight: 50 },
        ],
        '_imap._tcp.example.org': [{ name: 'starttls.example.org', port: 143, priority: 0, weight: 100 }],
        '_submissions._tcp.example.org': [{ name: '.', port: 0, priority: 0, weight: 0 }],
        '_submission._tcp.example.org': [{ name: 'Submit.Example.org', port: 587, priority: 5, weight: 0 }],
      }),
    });
    expect(found).toEqual({
      settings: {
        imap: { host: 'heavy.example.org', port: 993, security: 'tls' },
        smtp: { host: 'submit.example.org', port: 587, security: 'starttls' },
        username: 'ada@example.org',
      },
      source: 'the DNS records (SRV) of example.org',
    });
  });

  it('needs both IMAP and submission from SRV', async () => {
    const found = await discover('ada@example.org', {
      resolveSrv: srv({ '_imaps._tcp.example.org': [{ name: 'imap.example.org', port: 993, priority: 0, weight: 0 }] }),
    });
    expect(found).toBeNull();
  });

  it('a config file beats SRV records', async () => {
    routes.set(WELL_KNOWN, serve(xml('file.example.org')));
    const found = await discover('ada@example.org', {
      resolveSrv: srv({
        '_imaps._tcp.example.org': [{ name: 'srv.example.org', port: 993, priority: 0, weight: 0 }],
        '_submissions._tcp.example.org': [{ name: 'srv.example.org', port: 465, priority: 0, weight: 0 }],
      }),
    });
    expect(found?.settings).toMatchObject({ imap: { host: 'file.example.org' } });
  });

  it("asks the MX host's domain for a hosted domain's settings", async () => {
    routes.set('/autoconfig.mailhost.net/mail/config-v1.1.xml', serve(xml('imap.mailhost.net', 'smtp.mailhost.net')));
    const mx: MxRecord[] = [
      { exchange: 'mx2.eu.mailhost.net', priority: 20 },
      { exchange: 'mx1.mailhost.net.', priority: 10 },
    ];
    const found = await discover('ada@small-bakery.org', { resolveMx: (d) => Promise.resolve(d === 'small-bakery.org' ? mx : []) });
    expect(found).toEqual({
      settings: {
        imap: { host: 'imap.mailhost.net', port: 993, security: 'tls' },
        smtp: { host: 'smtp.mailhost.net', port: 465, security: 'tls' },
        username: 'ada@small-bakery.org',
      },
      source: 'autoconfig.mailhost.net (it handles mail for small-bakery.org)',
    });
  });

  it('a resolver that throws is just a source with nothing', async () => {
    routes.set(WELL_KNOWN, serve(xml('file.example.org')));
    const found = await discover('ada@example.org', { resolveSrv: () => Promise.reject(new Error('SERVFAIL')), resolveMx: () => Promise.reject(new Error('SERVFAIL')) });
    expect(found?.source).toBe('example.org/.well-known/autoconfig');
  });
});
