/**
 * Stream management (XEP-0198) against a real Prosody 0.12, in the situation that broke xmpp.js
 * 0.14's count (docs/xmpp.md): another client of the same account is online, so a new client's
 * login brings that client's presence with its own presence echo, right before `<enabled/>` — and
 * xmpp.js answered the server's next `<r/>` with those stanzas counted. Prosody then ended the
 * stream ("Client acknowledged more stanzas than sent by server") and a message the new client had
 * just sent was lost. With adapters/xmpp/sm-count.ts: no stream error, and every message arrives
 * once. (Without the fix this failed in every run tried here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { until } from '../support/harness.ts';
import { XmppPeer } from '../support/xmpp-accounts.ts';

let server: TestProsody;
let ada: XmppAccount;
let grace: XmppPeer;
let desk: XmppPeer;
beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  ada = server.users[0]!;
  grace = new XmppPeer(server, server.users[1]!);
  desk = new XmppPeer(server, ada, 'desk');
  await Promise.all([grace.start(), desk.start()]);
}, 30_000);
afterAll(async () => {
  await grace?.stop();
  await desk?.stop();
  await server?.stop();
});

describe('stream management against Prosody', () => {
  it('a second client of the account logs in, is asked for acknowledgements, and keeps its stream and its messages', async () => {
    for (let round = 1; round <= 3; round++) {
      const phone = new XmppPeer(server, ada, `phone-${round}`);
      await phone.start();
      // What a client does next (Switchboard too): carbons on. Its result makes the server ask for an ack.
      await phone.client.iqCaller.set(xml('enable', { xmlns: 'urn:xmpp:carbons:2' }));
      await phone.send(grace.user.jid, `from the phone, round ${round}`);
      await until(() => grace.received().includes(`from the phone, round ${round}`), `round ${round}: Grace gets it`, 10_000);
      // The server asks for an acknowledgement once its queue drains; give it time to ask and judge.
      await new Promise((r) => setTimeout(r, 500));
      expect(phone.errors).toEqual([]);
      expect(phone.client.status).toBe('online');
      expect(grace.received().filter((t) => t === `from the phone, round ${round}`)).toHaveLength(1);
      await phone.stop();
    }
    expect(desk.errors).toEqual([]);
  }, 60_000);
});
