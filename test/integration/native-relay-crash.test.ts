/**
 * The native client through a relay that is SIGKILLed in the middle of a 1 000-message exchange and
 * restarted on the same data folder and port: every message arrives, none twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connectPair, makeParty, until, type Recorder } from '../../native-protocol/client/test-helpers.ts';
import { startRelay, type TestRelay } from '../servers/relay.ts';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** Sends until the relay takes it (same id each time: the client and the receiver make that safe). */
async function sendRetrying(p: Recorder, rid: string, id: string, text: string): Promise<void> {
  for (;;) {
    try {
      await p.client.sendText(rid, id, text);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('relay SIGKILL during an exchange', () => {
  it('1 000 messages, relay killed and restarted half way: no loss, no duplicate', async () => {
    const relay: TestRelay = await startRelay();
    cleanup.push(() => relay.cleanup());
    const drops = { alice: 0, bob: 0 };
    const alice = makeParty('Alice', [relay.url], { events: { connection: (up) => void (up || drops.alice++) } });
    const bob = makeParty('Bob', [relay.url], { events: { connection: (up) => void (up || drops.bob++) } });
    const pidBefore = relay.pid;
    for (const p of [alice, bob]) {
      p.client.start();
      cleanup.push(() => p.client.stop());
    }
    const { aliceRid, bobRid } = await connectPair(alice, bob);
    let restart: Promise<unknown> | null = null;
    for (let i = 0; i < 1000; i++) {
      if (i === 500) {
        await relay.kill();
        restart = relay.restart();
      }
      const [from, rid] = i % 2 === 0 ? [alice, aliceRid] : [bob, bobRid];
      await sendRetrying(from, rid, `01J00000XCHG${String(i).padStart(6, '0')}`, `m${i}`);
    }
    await restart;
    await until(() => alice.messages.length >= 500 && bob.messages.length >= 500, 30_000, 'all messages');
    await new Promise((r) => setTimeout(r, 500));
    const expected = (parity: number) => Array.from({ length: 500 }, (_, k) => `m${2 * k + parity}`);
    expect(bob.messages.map((m) => m.text).sort()).toEqual(expected(0).sort());
    expect(alice.messages.map((m) => m.text).sort()).toEqual(expected(1).sort());
    // The kill was real: a new relay process, and both clients lost and regained their connection
    // (sends made while it was down waited for the reconnect, or failed and were retried).
    expect(relay.pid).not.toBe(pidBefore);
    expect(drops.alice).toBeGreaterThan(0);
    expect(drops.bob).toBeGreaterThan(0);
  }, 120_000);
});
