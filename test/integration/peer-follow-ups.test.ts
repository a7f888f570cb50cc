/**
 * Two things core tells adapters or does for them around a peer: accepting a message request is
 * passed on (`peerAccepted`), and a peer or route becoming known makes messages that wait after a
 * network failure go at once instead of after their backoff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recentLogLines } from '../../core/log/logger.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('accepting a message request', () => {
  it('tells the adapter, with the conversation as the adapter knows it', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'stranger-key', displayName: 'Stranger' }, 'hello?', { request: true });
    h.net.receiveInRoom(native.id, 'room-9', 'Strangers', { address: 'other-key' }, 'join us', Date.now(), { request: true });
    await h.core.ingest.idle();
    const requests = (await h.core.call('conversations.list', { folder: 'requests' })).items;
    expect(requests).toHaveLength(2);
    expect(h.net.accepted).toEqual([]);

    for (const r of requests) await h.core.call('conversations.acceptRequest', { conversationId: r.id });
    expect(h.net.accepted).toEqual(
      expect.arrayContaining([
        { accountId: native.id, conversation: { kind: 'direct', peer: { address: 'stranger-key', displayName: 'Stranger' } } },
        { accountId: native.id, conversation: { kind: 'group', roomId: 'room-9', title: 'Strangers' } },
      ]),
    );
    expect(h.net.accepted).toHaveLength(2);
  });

  it('an adapter that throws is logged; the accept stands', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'stranger-key' }, 'hello?', { request: true });
    await h.core.ingest.idle();
    const [request] = (await h.core.call('conversations.list', { folder: 'requests' })).items;
    h.net.failPeerAccepted = true;
    const accepted = await h.core.call('conversations.acceptRequest', { conversationId: request!.id });
    expect(accepted.request).toBe(false);
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.id)).toEqual([request!.id]);
    expect(recentLogLines.some((l) => l.includes('adapter failed on peerAccepted'))).toBe(true);
  });
});

describe('a peer or route becoming known', () => {
  /** A message whose first send failed on the network, now waiting out a one-minute backoff. */
  async function messageInBackoff(): Promise<{ accountId: string; messageId: string }> {
    h = await makeHarness({ outbox: { backoff: () => 60_000 } });
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'new-key', displayName: 'New' }, 'hi, confirm me');
    await h.core.ingest.idle();
    const [conv] = (await h.core.call('conversations.list', {})).items;
    h.net.failNextSend(native.id, 'network', 'session not confirmed yet');
    const sent = await h.core.call('messages.send', { conversationId: conv!.id, text: 'queued while confirming' });
    if (sent.kind !== 'queued') throw new Error(`not queued: ${sent.kind}`);
    await until(() => h!.net.sent.length === 1, 'the first attempt');
    await new Promise((r) => setTimeout(r, 150));
    expect(h.net.delivered).toEqual([]);
    return { accountId: native.id, messageId: sent.message.id };
  }

  it("'peer' makes it due now: it goes as soon as the session is confirmed", async () => {
    const { accountId, messageId } = await messageInBackoff();
    const started = Date.now();
    h!.net.peerReachable(accountId, { address: 'new-key', displayName: 'New' });
    await until(() => h!.net.delivered.length === 1, 'the send after the peer event', 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h!.net.delivered[0]?.out.clientId).toBe(messageId);
  });

  it("'route-facts' does the same", async () => {
    const { accountId, messageId } = await messageInBackoff();
    h!.net.adapter(accountId).announceFacts('new-key');
    await until(() => h!.net.delivered.length === 1, 'the send after the route facts', 2_000);
    expect(h!.net.delivered[0]?.out.clientId).toBe(messageId);
  });

  it("another account's peer leaves it waiting", async () => {
    const { messageId } = await messageInBackoff();
    const other = await h!.addAccount('native', 'me-other');
    h!.net.peerReachable(other.id, { address: 'someone-else' });
    await h!.core.ingest.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(h!.net.delivered).toEqual([]);
    const [conv] = (await h!.core.call('conversations.list', {})).items.filter((c) => c.lastMessagePreview === 'queued while confirming');
    const waiting = (await h!.core.call('messages.page', { conversationId: conv!.id })).items.find((m) => m.id === messageId);
    expect(waiting?.status).toBe('queued');
  });
});
