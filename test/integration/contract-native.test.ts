/** The adapter contract suite for the native protocol, against a real relay process. */
import { createNativeAdapter, type NativeAdapter } from '../../adapters/native/adapter.ts';
import { adapterContractSuite } from '../../adapters/contract-tests/suite.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { load, RNS, type RelRecord } from '../../native-protocol/client/records.ts';
import { RelayConnection } from '../../native-protocol/relay/connection.ts';
import { connectPair, makeParty } from '../../native-protocol/client/test-helpers.ts';
import { startRelay } from '../servers/relay.ts';

adapterContractSuite('native', async () => {
  const relay = await startRelay();
  const state = new MemoryStorage();
  const account = { id: 'acct-native', protocol: 'native' as const, address: 'Ada', displayName: 'Ada', settings: { relays: [relay.url], backoffMs: { first: 50, max: 500 } } };
  // The account under test and its peer make contact once, through the adapter's own client.
  const setup = createNativeAdapter(account, { state, secrets: {} }) as NativeAdapter;
  const peer = makeParty('Grace', [relay.url]);
  peer.client.start();
  const setupClient = setup.client;
  setupClient.start();
  const underTest = { client: setupClient, storage: state, messages: [], deliveries: [], problems: [], peers: [], autoStore: true };
  const { aliceRid: peerRid, bobRid: myRid } = await connectPair(peer, underTest);
  await setupClient.stop();
  let n = 0;
  return {
    makeAdapter: () => createNativeAdapter(account, { state, secrets: {} }),
    conversation: { kind: 'direct', peer: { address: myRid, displayName: 'Grace' } },
    peer: {
      send: async (text) => {
        await peer.client.sendText(peerRid, `01JPEER${String(++n).padStart(10, '0')}`, text);
      },
      received: () => peer.messages.map((m) => m.text),
    },
    restartServer: async () => {
      await relay.kill();
      await relay.restart();
    },
    injectBadInput: async () => {
      // Whoever holds the send capability of our pairwise mailbox (here: the peer's copy of it)
      // deposits bytes that are no envelope at all.
      const to = load<RelRecord>(peer.storage, RNS.rel, peerRid)!.theirs!;
      const raw = await RelayConnection.connect(relay.url);
      await raw.deposit([{ mailbox: to.id, cap: to.cap, blob: Buffer.from('\u0001\u0002 not an envelope') }]);
      await raw.close();
    },
    cleanup: async () => {
      await peer.client.stop();
      await relay.cleanup();
    },
  };
});
