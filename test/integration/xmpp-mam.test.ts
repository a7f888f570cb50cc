/**
 * History from the server's archive (MAM) against a real Prosody: the first session of an account
 * brings its recent history (as history: already read elsewhere), and after being offline while
 * another client of the account took the messages (so none waited in offline storage), the archive
 * brings exactly those — each once, nothing older again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, AdapterEvent } from '../../adapters/contract.ts';
import { createXmppAdapter } from '../../adapters/xmpp/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { until } from '../support/harness.ts';
import { xmppAccountConfig, XmppPeer } from '../support/xmpp-accounts.ts';

let server: TestProsody;
let ada: XmppAccount;
let grace: XmppPeer;
let phone: XmppPeer;
const state = new MemoryStorage();

beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  ada = server.users[0]!;
  grace = new XmppPeer(server, server.users[1]!);
  phone = new XmppPeer(server, ada, 'phone');
  await Promise.all([grace.start(), phone.start()]);
}, 30_000);
afterAll(async () => {
  await grace?.stop();
  await phone?.stop();
  await server?.stop();
});

/** Runs the adapter on the shared state until `settled` holds, and returns the messages it reported. */
async function session(settled: (texts: string[]) => boolean, what: string): Promise<Extract<AdapterEvent, { type: 'message' }>[]> {
  const adapter: Adapter = createXmppAdapter(xmppAccountConfig(server, ada), { state, secrets: { password: ada.password } });
  const got: Extract<AdapterEvent, { type: 'message' }>[] = [];
  adapter.on('message', (e) => {
    got.push(e);
    adapter.messagesStored?.([e.remoteId]);
  });
  const abort = new AbortController();
  await adapter.connect(abort.signal);
  try {
    await until(() => settled(got.map((m) => m.text)), what, 15_000);
    // Anything else (a duplicate) would come right after.
    await new Promise((r) => setTimeout(r, 700));
    return got;
  } finally {
    abort.abort();
    await adapter.disconnect();
  }
}

describe('XMPP history from the archive', () => {
  it('the first session brings recent history once, as history; later ones exactly what was missed', async () => {
    for (const t of ['old 1', 'old 2', 'old 3']) await grace.send(ada.jid, t);
    await until(() => ['old 1', 'old 2', 'old 3'].every((t) => phone.received().includes(t)), 'the phone to get them');

    const first = await session((t) => t.includes('old 3'), 'the first sync');
    expect(first.map((m) => m.text)).toEqual(['old 1', 'old 2', 'old 3']);
    expect(first.every((m) => m.historical === true)).toBe(true);

    // Away while the phone is online: nothing waits offline; only the archive has them.
    for (const t of ['missed 1', 'missed 2']) await grace.send(ada.jid, t);
    await until(() => phone.received().includes('missed 2'), 'the phone to get the missed ones');
    const second = await session((t) => t.includes('missed 2'), 'the catch-up');
    expect(second.map((m) => m.text)).toEqual(['missed 1', 'missed 2']);
    expect(second.some((m) => m.historical)).toBe(false);
    expect(new Set(second.map((m) => m.remoteId)).size).toBe(2);

    // Back again with nothing new: nothing at all.
    const third = await session(() => true, 'a quiet session');
    expect(third).toEqual([]);
  });
});
