/**
 * The adapter contract for XMPP against a real Prosody: the peer is a second user on the same
 * server with a plain xmpp.js client; bad input is a hostile message over the size the adapter takes.
 */
import { xml } from '@xmpp/client';
import { adapterContractSuite } from '../../adapters/contract-tests/suite.ts';
import { createXmppAdapter } from '../../adapters/xmpp/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startProsody, type XmppAccount } from '../servers/prosody.ts';
import { xmppAccountConfig, XmppPeer } from '../support/xmpp-accounts.ts';

adapterContractSuite('xmpp', async () => {
  const server = await startProsody({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  const [ada, grace] = server.users as [XmppAccount, XmppAccount];
  const state = new MemoryStorage();
  const peer = new XmppPeer(server, grace);
  await peer.start();
  return {
    makeAdapter: () => createXmppAdapter(xmppAccountConfig(server, ada), { state, secrets: { password: ada.password } }),
    conversation: { kind: 'direct', peer: { address: grace.jid } },
    peer: {
      send: (text) => peer.send(ada.jid, text),
      received: () => peer.received().filter((t) => t.startsWith('contract:')),
    },
    restartServer: () => server.restart(),
    injectBadInput: () => peer.sendRaw(xml('message', { type: 'chat', to: ada.jid, id: 'huge-1' }, xml('body', {}, 'x'.repeat(70_000)))),
    cleanup: async () => {
      await peer.stop();
      await server.stop();
    },
  };
});
