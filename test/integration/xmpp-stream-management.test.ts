/**
 * Stream management (XEP-0198) counts against a real Prosody 0.12 with the fix of
 * adapters/xmpp/sm-count.ts, in the situation where xmpp.js 0.14's counter broke: messages wait
 * offline and the client sends its presence before `<enable/>` (as any client does on going
 * online). The client acknowledges exactly what the server counted: no stream error, and after the
 * connection is cut and resumed nothing comes twice. Whether the server's answers arrive as the one
 * network chunk that triggers the bug is up to timing, so this does not fail every time without the
 * fix; the contract suite did (about one stream error per run before the fix, none in 12 runs after).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { fixStreamManagementCount } from '../../adapters/xmpp/sm-count.ts';
import { tlsOptionsFor } from '../../adapters/xmpp/tls-trust.ts';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { until } from '../support/harness.ts';
import { XmppPeer } from '../support/xmpp-accounts.ts';

let server: TestProsody;
let peer: XmppPeer;
beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  peer = new XmppPeer(server, server.users[1]!);
  await peer.start();
}, 30_000);
afterAll(async () => {
  await peer?.stop();
  await server?.stop();
});

function ada(): { c: Client; bodies: string[]; errors: string[] } {
  const user = server.users[0] as XmppAccount;
  const c = xmppClient({ service: `xmpp://${server.host}:${server.port}`, domain: server.domain, username: user.name, password: user.password, resource: 'sm-test' });
  tlsOptionsFor(c as never, { ca: [server.certificate], servername: server.domain });
  fixStreamManagementCount(c);
  c.reconnect.delay = 100;
  const bodies: string[] = [];
  const errors: string[] = [];
  c.on('error', (e: Error) => errors.push(e.message));
  c.on('stanza', (s: Element) => {
    const body = s.is('message') ? s.getChildText('body') : null;
    if (body) bodies.push(body);
  });
  // What the adapter does on going online: presence (before xmpp.js sends <enable/>), then carbons.
  c.on('online', () => {
    void c.send(xml('presence'));
    void c.iqCaller.set(xml('enable', { xmlns: 'urn:xmpp:carbons:2' })).catch(() => undefined);
  });
  return { c, bodies, errors };
}

describe('stream management against Prosody', () => {
  it('acknowledges exactly what the server sent, also with offline messages arriving with <enabled/>', async () => {
    for (let round = 1; round <= 5; round++) {
      const texts = [`round ${round} a`, `round ${round} b`];
      for (const t of texts) await peer.send('ada@xmpp.test', t);
      const a = ada();
      await a.c.start();
      await until(() => texts.every((t) => a.bodies.includes(t)), `round ${round}: offline messages`, 10_000);
      // Let the server ask for an acknowledgement and get it (it asks when its queue drains).
      await new Promise((r) => setTimeout(r, 400));
      expect(a.errors.filter((e) => /acknowledged/.test(e))).toEqual([]);
      const sm = (a.c as unknown as { streamManagement: { enabled: boolean; inbound: number } }).streamManagement;
      expect(sm.enabled).toBe(true);

      // Cut the connection without closing the stream: the session resumes with our count, and
      // the server resends only what we did not acknowledge — nothing, if the count is right.
      await peer.send('ada@xmpp.test', `round ${round} live`);
      await until(() => a.bodies.includes(`round ${round} live`), `round ${round}: live message`, 10_000);
      await new Promise((r) => setTimeout(r, 400));
      (a.c as unknown as { socket: { socket: { destroy(): void } } }).socket.socket.destroy();
      await until(() => a.c.status === 'online', `round ${round}: back online`, 10_000);
      await new Promise((r) => setTimeout(r, 400));
      for (const t of [...texts, `round ${round} live`]) expect(a.bodies.filter((b) => b === t)).toHaveLength(1);
      expect(a.errors.filter((e) => /acknowledged/.test(e))).toEqual([]);
      a.c.reconnect.stop();
      await a.c.stop();
    }
  }, 90_000);
});
