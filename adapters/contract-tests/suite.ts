/**
 * The contract every adapter passes against its real server (ARCHITECTURE: "the adapter contract"):
 * connect, receive, send (idempotent on the client id), restart without duplicates, reconnect after
 * the server restarts, and bad input from the server: a clear error, and the adapter keeps working.
 *
 * A protocol provides a `ContractDriver`: how to make the adapter under test (on durable state that
 * survives a restart), a peer on the same kind of server, and how to restart the server and feed it
 * bad input. The suite itself knows nothing of any protocol.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, AdapterEvent, RemoteConversationRef } from '../contract.ts';

export interface ContractPeer {
  /** Sends a text to the account under test. */
  send(text: string): Promise<void>;
  /** Texts this peer received from the account under test, in order. */
  received(): string[];
}

export interface ContractDriver {
  /** Makes the adapter under test; called again after `disconnect` for a restart on the same state. */
  makeAdapter(): Adapter;
  /** A peer, connected to the account under test (invite accepted, room joined, ...). */
  peer: ContractPeer;
  /** How the account under test reaches the peer. */
  conversation: RemoteConversationRef;
  /** Stops and starts the server (same data, same address). */
  restartServer(): Promise<void>;
  /** Makes the server deliver something malformed to the account under test. */
  injectBadInput(): Promise<void>;
  cleanup(): Promise<void>;
}

const WAIT_MS = 15_000;

async function until(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records an adapter's events, and confirms messages as stored as core would. */
class Recording {
  readonly events: AdapterEvent[] = [];
  private readonly off: (() => void)[] = [];
  constructor(readonly adapter: Adapter) {
    for (const type of ['message', 'delivery', 'status', 'route-facts', 'error', 'peer', 'changed', 'disappearing'] as const) {
      this.off.push(
        adapter.on(type, (e) => {
          this.events.push(e);
          if (e.type === 'message') adapter.messagesStored?.([e.remoteId]);
        }),
      );
    }
  }
  texts(): string[] {
    return this.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
  }
  online(): boolean {
    const last = [...this.events].reverse().find((e) => e.type === 'status');
    return last?.type === 'status' && last.status === 'online';
  }
  stop(): void {
    for (const f of this.off) f();
  }
}

export function adapterContractSuite(name: string, makeDriver: () => Promise<ContractDriver>): void {
  describe(`adapter contract: ${name}`, () => {
    let d: ContractDriver;
    let rec: Recording;
    let abort: AbortController;
    let n = 0;
    const clientId = (): string => `01JCONTRACT${String(++n).padStart(8, '0')}${Date.now().toString(36)}`;

    const start = async (): Promise<void> => {
      rec = new Recording(d.makeAdapter());
      abort = new AbortController();
      await rec.adapter.connect(abort.signal);
      await until(() => rec.online(), 'the adapter to come online');
    };
    const stop = async (): Promise<void> => {
      abort.abort();
      await rec.adapter.disconnect();
      rec.stop();
    };

    beforeAll(async () => {
      d = await makeDriver();
      await start();
    }, 60_000);
    afterAll(async () => {
      await stop();
      await d.cleanup();
    });

    it('connects and reports online', () => {
      expect(rec.online()).toBe(true);
      expect(rec.adapter.protocol).toBeTypeOf('string');
    });

    it('receives a message from the peer as a protocol-neutral event', async () => {
      await d.peer.send('contract: hello');
      await until(() => rec.texts().includes('contract: hello'), 'the message');
      const e = rec.events.find((x) => x.type === 'message' && x.text === 'contract: hello');
      expect(e).toMatchObject({ type: 'message', accountId: rec.adapter.accountId, remoteId: expect.any(String) as string });
    });

    it('sends, and a second send with the same client id sends nothing more', async () => {
      const id = clientId();
      const out = { clientId: id, accountId: rec.adapter.accountId, conversation: d.conversation, text: 'contract: sent once' };
      const first = await rec.adapter.send(out);
      const again = await rec.adapter.send(out);
      expect(again.remoteId).toBe(first.remoteId);
      await until(() => d.peer.received().includes('contract: sent once'), 'the peer to receive it');
      await new Promise((r) => setTimeout(r, 500));
      expect(d.peer.received().filter((t) => t === 'contract: sent once')).toHaveLength(1);
    });

    it('restarts on the same state without delivering anything twice', async () => {
      const before = rec.texts().length;
      await stop();
      await d.peer.send('contract: while away');
      await start();
      await until(() => rec.texts().includes('contract: while away'), 'the message sent while away');
      await new Promise((r) => setTimeout(r, 500));
      // Only what arrived while away: nothing from before the restart again.
      expect(rec.texts()).toEqual(['contract: while away']);
      expect(before).toBeGreaterThan(0);
    });

    it('reconnects after the server restarts and loses nothing', async () => {
      await d.restartServer();
      await d.peer.send('contract: after restart');
      await until(() => rec.texts().includes('contract: after restart'), 'a message after the server restart');
      await rec.adapter.send({ clientId: clientId(), accountId: rec.adapter.accountId, conversation: d.conversation, text: 'contract: reply after restart' });
      await until(() => d.peer.received().includes('contract: reply after restart'), 'the reply after the restart');
      expect(rec.online()).toBe(true);
    });

    it('bad input from the server: a clear error, and the account keeps working', async () => {
      const errorsBefore = rec.events.filter((e) => e.type === 'error').length;
      await d.injectBadInput();
      await until(() => rec.events.filter((e) => e.type === 'error').length > errorsBefore, 'an error event');
      const err = rec.events.filter((e) => e.type === 'error').at(-1);
      expect(err?.type === 'error' && err.error.length).toBeGreaterThan(10);
      await d.peer.send('contract: still fine');
      await until(() => rec.texts().includes('contract: still fine'), 'a message after the bad input');
      expect(rec.online()).toBe(true);
    });
  });
}
