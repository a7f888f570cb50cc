/**
 * The XMPP adapter against a real Prosody beyond the contract: messages of the account's other
 * client arrive as carbons (ours, with their origin id), and hostile stanzas from another user —
 * a forged carbon, an oversize body, an unknown payload — are skipped with a clear error while
 * the account stays online and keeps receiving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo } from 'node:net';
import { xml } from '@xmpp/client';
import type { AdapterEvent } from '../../adapters/contract.ts';
import { createXmppAdapter } from '../../adapters/xmpp/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { until } from '../support/harness.ts';
import { xmppAccountConfig, XmppPeer } from '../support/xmpp-accounts.ts';

let server: TestProsody;
let ada: XmppAccount;
let grace: XmppAccount;
let graceClient: XmppPeer;
let adaPhone: XmppPeer;
const events: AdapterEvent[] = [];
const abort = new AbortController();
let adapter: ReturnType<typeof createXmppAdapter>;

const messages = () => events.flatMap((e) => (e.type === 'message' ? [e] : []));
const errors = () => events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
const online = () => [...events].reverse().find((e) => e.type === 'status')?.type === 'status' && (events.filter((e) => e.type === 'status').at(-1) as { status: string }).status === 'online';

beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  [ada, grace] = server.users as [XmppAccount, XmppAccount];
  adapter = createXmppAdapter(xmppAccountConfig(server, ada), { state: new MemoryStorage(), secrets: { password: ada.password } });
  for (const type of ['message', 'status', 'error'] as const) adapter.on(type, (e) => events.push(e));
  await adapter.connect(abort.signal);
  await until(online, 'Ada online', 15_000);
  graceClient = new XmppPeer(server, grace);
  adaPhone = new XmppPeer(server, ada, 'phone');
  await Promise.all([graceClient.start(), adaPhone.start()]);
  await adaPhone.client.iqCaller.set(xml('enable', { xmlns: 'urn:xmpp:carbons:2' }));
}, 60_000);
afterAll(async () => {
  abort.abort();
  await adapter?.disconnect();
  await graceClient?.stop();
  await adaPhone?.stop();
  await server?.stop();
});

describe('XMPP adapter', () => {
  it('shows what the account sent and received on another client (carbons)', async () => {
    await adaPhone.sendRaw(
      xml('message', { type: 'chat', to: grace.jid, id: 'phone-1' }, xml('body', {}, 'sent from my phone'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'phone-origin-1' })),
    );
    await until(() => messages().some((m) => m.text === 'sent from my phone'), 'the carbon of the sent message');
    const sent = messages().find((m) => m.text === 'sent from my phone')!;
    expect(sent.sender).toBe('self');
    expect(sent.clientId).toBe('phone-origin-1');
    expect(sent.conversation).toEqual({ kind: 'direct', peer: { address: grace.jid } });

    await graceClient.send(ada.jid, 'to all of Ada’s clients');
    await until(() => messages().some((m) => m.text === 'to all of Ada’s clients'), 'the message');
    expect(messages().filter((m) => m.text === 'to all of Ada’s clients')).toHaveLength(1);
    await until(() => adaPhone.received().includes('to all of Ada’s clients'), 'the phone to get it too');
  });

  it('skips hostile stanzas with an error in words, and stays online', async () => {
    const before = errors().length;
    // Grace claims Ada sent something: a carbon is only believed from Ada's own server.
    const inner = xml('message', { type: 'chat', from: `${ada.jid}/laptop`, to: grace.jid, id: 'forged' }, xml('body', {}, 'I never wrote this'));
    await graceClient.sendRaw(xml('message', { to: ada.jid, id: 'fc' }, xml('sent', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner))));
    await graceClient.sendRaw(xml('message', { type: 'chat', to: ada.jid, id: 'big' }, xml('body', {}, 'y'.repeat(65_000))));
    await graceClient.sendRaw(xml('message', { type: 'chat', to: ada.jid, id: 'odd' }, xml('surprise', { xmlns: 'urn:example:unknown' }, 'no body here')));
    await graceClient.send(ada.jid, 'still here?');
    await until(() => messages().some((m) => m.text === 'still here?'), 'the message after the hostile ones');
    const added = errors().slice(before);
    expect(added).toEqual([
      `Skipped a carbon copy from ${grace.jid}, not from the account's own server.`,
      `Skipped a message from ${grace.jid} of 65000 characters (at most 64000 are taken).`,
    ]);
    expect(messages().some((m) => m.text === 'I never wrote this')).toBe(false);
    expect(online()).toBe(true);
  });

  it('reports red facts: TLS to the server, nothing end to end', () => {
    expect(adapter.securityFacts({ accountId: adapter.accountId, target: grace.jid })).toMatchObject({ transport: 'tls-verified', endToEnd: 'none' });
  });

  it('a STARTTLS setting pointed at the direct-TLS port, or a wrong password, is an account state in words, never a crash', async () => {
    const cases = [
      { settings: { ...xmppAccountConfig(server, ada).settings, service: `xmpp://${server.host}:${server.tlsPort}` }, password: ada.password },
      { settings: xmppAccountConfig(server, ada).settings, password: 'wrong' },
    ];
    for (const [i, c] of cases.entries()) {
      const seen: AdapterEvent[] = [];
      const stop = new AbortController();
      const a = createXmppAdapter({ ...xmppAccountConfig(server, ada, `acct-bad-${i}`), settings: c.settings }, { state: new MemoryStorage(), secrets: { password: c.password } });
      a.on('status', (e) => seen.push(e));
      await a.connect(stop.signal);
      if (i === 1) await until(() => seen.some((e) => e.type === 'status' && e.status === 'error'), 'a refused password', 10_000);
      else await new Promise((r) => setTimeout(r, 1_500)); // a few failed attempts at the wrong port
      expect(seen.some((e) => e.type === 'status' && e.status === 'online')).toBe(false);
      stop.abort();
      await a.disconnect();
    }
    const last = (events.filter((e) => e.type === 'status').at(-1) as { status: string }).status;
    expect(last).toBe('online');
  });

  it('started while the server drops every connection, keeps trying and comes online once it answers', async () => {
    // A port that accepts and at once resets connections at first (a server starting up, a proxy
    // without its backend), then forwards to Prosody.
    const dropping = createServer((sock) => sock.resetAndDestroy());
    await new Promise<void>((r) => dropping.listen(0, server.host, () => r()));
    const port = (dropping.address() as AddressInfo).port;
    const seen: AdapterEvent[] = [];
    const stop = new AbortController();
    const settings = { ...xmppAccountConfig(server, ada).settings, service: `xmpp://${server.host}:${port}` };
    const a = createXmppAdapter({ ...xmppAccountConfig(server, ada, 'acct-late'), settings }, { state: new MemoryStorage(), secrets: { password: ada.password } });
    a.on('status', (e) => seen.push(e));
    await a.connect(stop.signal);
    await new Promise((r) => setTimeout(r, 800)); // a few dropped attempts
    await new Promise<void>((r) => dropping.close(() => r()));
    const forward = createServer((sock) => {
      const up = connect(server.port, server.host);
      sock.pipe(up).pipe(sock);
      sock.on('error', () => up.destroy());
      up.on('error', () => sock.destroy());
    });
    await new Promise<void>((r) => forward.listen(port, server.host, () => r()));
    try {
      await until(() => seen.some((e) => e.type === 'status' && e.status === 'online'), 'online once the server is reachable', 15_000);
    } finally {
      stop.abort();
      await a.disconnect();
      forward.close();
    }
  });
});
