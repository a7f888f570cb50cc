/** Two-party helpers for client tests: a client with memory storage that records what it reports. */
import { NativeClient, type ClientOptions, type IncomingText } from './client.ts';
import { MemoryStorage, type ClientStorage } from './storage.ts';

export interface Recorder {
  client: NativeClient;
  storage: ClientStorage;
  messages: IncomingText[];
  deliveries: { id: string; state: string }[];
  problems: string[];
  peers: string[];
  /** Confirms every recorded message as stored (what core does after its commit). */
  autoStore: boolean;
}

export function makeParty(name: string, relays: string[], opts: Partial<ClientOptions> & { storage?: ClientStorage; autoStore?: boolean } = {}): Recorder {
  const storage = opts.storage ?? new MemoryStorage();
  const r: Recorder = { client: null as unknown as NativeClient, storage, messages: [], deliveries: [], problems: [], peers: [], autoStore: opts.autoStore ?? true };
  r.client = new NativeClient({
    storage,
    displayName: name,
    relays,
    backoffMs: { first: 50, max: 500 },
    ...opts,
    events: {
      message: (m) => {
        r.messages.push(m);
        if (r.autoStore) void r.client.messagesStored([m.remoteId]);
      },
      delivery: (id, state) => r.deliveries.push({ id, state }),
      problem: (t) => r.problems.push(t),
      peer: (rid) => r.peers.push(rid),
      ...opts.events,
    },
  });
  return r;
}

/** Polls until `fn` is true (or throws after `ms`). */
export async function until(fn: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Alice invites, Bob accepts, both sides active. Returns each side's relationship id. */
export async function connectPair(alice: Recorder, bob: Recorder): Promise<{ aliceRid: string; bobRid: string }> {
  const invite = await alice.client.createInvite({ kind: 'one-use' });
  const peer = await bob.client.acceptInvite(invite.link);
  await until(() => bob.client.peer(peer.rid)?.state === 'active', 10_000, 'hello-ack');
  const aliceRid = alice.client.peers().find((p) => p.state === 'active' && p.name === bob.client.profile.displayName)!.rid;
  return { aliceRid, bobRid: peer.rid };
}
