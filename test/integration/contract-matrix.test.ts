/**
 * The adapter contract for Matrix against a real Synapse: the account under test and its peer
 * share an encrypted direct room (the peer invited, the account joined before the adapter starts);
 * the peer is a plain matrix-js-sdk client; bad input is an event whose content has the wrong types.
 */
import { adapterContractSuite } from '../../adapters/contract-tests/suite.ts';
import { createMatrixAdapter } from '../../adapters/matrix/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startSynapse, type MatrixAccount } from '../servers/synapse.ts';
import { joinAsDirect, loginMatrix, matrixAccountConfig, matrixApi, MatrixPeer } from '../support/matrix-accounts.ts';

adapterContractSuite('matrix', async () => {
  const server = await startSynapse({ users: [{ name: 'ada', password: 'ada-pw-1' }, { name: 'grace', password: 'grace-pw-1' }] });
  const [ada, grace] = server.users as [MatrixAccount, MatrixAccount];
  const state = new MemoryStorage();
  const login = await loginMatrix(server, ada, 'Switchboard');
  const peer = new MatrixPeer(server, grace);
  await peer.start();
  const roomId = await peer.createDirect(ada.userId);
  await joinAsDirect(server, login.accessToken, roomId, grace.userId);
  return {
    makeAdapter: () => createMatrixAdapter(matrixAccountConfig(server, ada), { state, secrets: { ...login } }),
    conversation: { kind: 'direct', peer: { address: grace.userId } },
    peer: {
      send: async (text) => {
        await peer.knowsDevice(ada.userId, login.deviceId);
        await peer.send(roomId, text);
      },
      received: () => peer.received(roomId).filter((t) => t.startsWith('contract:')),
    },
    restartServer: () => server.restart(),
    injectBadInput: async () => {
      // A client of grace's that writes nonsense Synapse lets through: an edit whose new content is a number.
      const target = await peer.send(roomId, 'a message to edit badly');
      await matrixApi(server, peer.client.getAccessToken()!, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/bad-${Date.now()}`, {
        msgtype: 'm.text',
        body: '* edited',
        'm.new_content': 17,
        'm.relates_to': { rel_type: 'm.replace', event_id: target },
      });
    },
    cleanup: async () => {
      await peer.stop();
      await server.stop();
    },
  };
});
