/** Message requests end to end through the api: the Requests folder, accepting, deleting, receipts. */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../core/api/commands.ts';
import type { Account, ConversationSummary, Page } from '../../core/api/types.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const count = (sql: string, ...params: unknown[]): number => h.core.ctx.db.prepare(sql).pluck().get(...params) as number;

/** A native account with one accepted conversation (Friend) and one request (Stranger). */
async function withRequest(): Promise<{ native: Account; friendId: string; strangerId: string }> {
  h = await makeHarness();
  const native = await h.addAccount('native', 'me-native');
  h.net.receive(native.id, { address: 'friend-key', displayName: 'Friend' }, 'hi friend', { sentAt: 1_000, remoteId: 'f1' });
  h.net.receive(native.id, { address: 'stranger-key', displayName: 'Stranger' }, 'hello, stranger here', {
    sentAt: 2_000,
    remoteId: 's1',
    request: true,
  });
  await h.core.ingest.idle();
  const inbox = (await h.core.call('conversations.list', {})).items;
  const requests = (await h.core.call('conversations.list', { folder: 'requests' })).items;
  return { native, friendId: inbox.find((c) => c.title === 'Friend')!.id, strangerId: requests.find((c) => c.title === 'Stranger')!.id };
}

const expectApiError = async (p: Promise<unknown>, code: string, message: RegExp) => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ApiError);
  expect((e as ApiError).code).toBe(code);
  expect((e as ApiError).message).toMatch(message);
};

describe('the Requests folder', () => {
  it('holds requests only; the inbox holds none; an archived request is archived', async () => {
    const { friendId, strangerId } = await withRequest();
    expect((await h.core.call('conversations.list', { folder: 'inbox' })).items.map((c) => c.id)).toEqual([friendId]);
    const requests = (await h.core.call('conversations.list', { folder: 'requests' })).items;
    expect(requests.map((c) => [c.id, c.request, c.lastMessagePreview])).toEqual([[strangerId, true, 'hello, stranger here']]);
    expect((await h.core.call('conversations.get', { conversationId: strangerId })).request).toBe(true);
    expect((await h.core.call('conversations.get', { conversationId: friendId })).request).toBe(false);

    await h.core.call('conversations.update', { conversationId: strangerId, archived: true });
    expect((await h.core.call('conversations.list', { folder: 'requests' })).items).toEqual([]);
    const archived = (await h.core.call('conversations.list', { folder: 'archived' })).items;
    expect(archived.map((c) => [c.id, c.request, c.archived])).toEqual([[strangerId, true, true]]);
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.id)).toEqual([friendId]);
  });

  it('pages like the inbox: every request once, newest first', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    for (let i = 0; i < 7; i++) h.net.receive(native.id, { address: `s${i}-key`, displayName: `S${i}` }, 'hi', { sentAt: 1_000 + i, request: true });
    await h.core.ingest.idle();
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<ConversationSummary> = await h.core.call('conversations.list', { folder: 'requests', limit: 3, cursor });
      titles.push(...page.items.map((c) => c.title));
      cursor = page.nextCursor;
    } while (cursor);
    expect(titles).toEqual(['S6', 'S5', 'S4', 'S3', 'S2', 'S1', 'S0']);
  });
});

describe('conversations.acceptRequest', () => {
  it('moves the request into the inbox and announces it', async () => {
    const { friendId, strangerId } = await withRequest();
    h.events.length = 0;
    const accepted = await h.core.call('conversations.acceptRequest', { conversationId: strangerId });
    expect(accepted).toMatchObject({ id: strangerId, request: false, title: 'Stranger' });
    expect(h.events).toContainEqual({ type: 'conversation.updated', conversation: accepted });
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.id)).toEqual([strangerId, friendId]);
    expect((await h.core.call('conversations.list', { folder: 'requests' })).items).toEqual([]);
    // A later flagged message does not make it a request again.
    h.net.receive(h.core.ctx.db.prepare('SELECT id FROM accounts').pluck().get() as string, { address: 'stranger-key' }, 'more', { request: true });
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.get', { conversationId: strangerId })).request).toBe(false);
  });

  it('is harmless on a conversation that is no request, and says so for one that does not exist', async () => {
    const { friendId } = await withRequest();
    expect((await h.core.call('conversations.acceptRequest', { conversationId: friendId })).request).toBe(false);
    await expectApiError(h.core.call('conversations.acceptRequest', { conversationId: 'nope' }), 'not-found', /does not exist/);
  });
});

describe('conversations.delete', () => {
  it('deletes the conversation with its messages, search rows, pins and outbox rows; the contact stays', async () => {
    const { native, strangerId, friendId } = await withRequest();
    const conv = await h.core.call('conversations.get', { conversationId: strangerId });
    const first = (await h.core.call('messages.page', { conversationId: strangerId })).items[0]!;
    await h.core.call('messages.pin', { messageId: first.id, pinned: true });
    await h.core.call('conversations.update', { conversationId: strangerId, pinned: true });
    h.net.adapter(native.id).setStatus('offline');
    const sent = await h.core.call('messages.send', { conversationId: strangerId, text: 'a zebra reply', clientId: 'del-00000001' });
    expect(sent.kind).toBe('queued');
    expect(count('SELECT count(*) FROM outbox')).toBe(1);
    expect((await h.core.call('search', { query: 'zebra' })).length).toBe(1);
    h.events.length = 0;

    expect(await h.core.call('conversations.delete', { conversationId: strangerId })).toEqual({ deleted: true });

    expect(h.events).toEqual([{ type: 'conversation.removed', conversationId: strangerId }]);
    await expectApiError(h.core.call('conversations.get', { conversationId: strangerId }), 'not-found', /does not exist/);
    await expectApiError(h.core.call('messages.page', { conversationId: strangerId }), 'not-found', /does not exist/);
    expect(count('SELECT count(*) FROM messages WHERE conversation_id = ?', strangerId)).toBe(0);
    expect(count('SELECT count(*) FROM outbox')).toBe(0);
    expect(await h.core.call('search', { query: 'zebra' })).toEqual([]);
    expect(await h.core.call('search', { query: 'stranger' })).toEqual([]);
    expect(() => h.core.ctx.db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    // The other conversation is untouched; the contact (and what is known of its key) stays.
    expect((await h.core.call('messages.page', { conversationId: friendId })).items.map((m) => m.text)).toEqual(['hi friend']);
    expect((await h.core.call('contacts.get', { contactId: conv.contactId! })).displayName).toBe('Stranger');
    // Coming back online sends nothing of the deleted conversation.
    h.net.adapter(native.id).setStatus('online');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.net.sent).toEqual([]);
    await expectApiError(h.core.call('conversations.delete', { conversationId: strangerId }), 'not-found', /does not exist/);
  });

  it('a later message from the same person starts a new conversation: a request if flagged, else in the inbox', async () => {
    const { native, strangerId } = await withRequest();
    await h.core.call('conversations.delete', { conversationId: strangerId });
    h.net.receive(native.id, { address: 'stranger-key', displayName: 'Stranger' }, 'me again', { sentAt: 5_000, request: true });
    await h.core.ingest.idle();
    const again = (await h.core.call('conversations.list', { folder: 'requests' })).items;
    expect(again.map((c) => [c.title, c.request, c.unreadCount, c.lastMessagePreview])).toEqual([['Stranger', true, 1, 'me again']]);
    expect(again[0]!.id).not.toBe(strangerId);
    // The pinned flag did not come back with it.
    expect(again[0]!.pinned).toBe(false);

    await h.core.call('conversations.delete', { conversationId: again[0]!.id });
    h.net.receive(native.id, { address: 'stranger-key', displayName: 'Stranger' }, 'unflagged', { sentAt: 6_000 });
    await h.core.ingest.idle();
    const inbox = (await h.core.call('conversations.list', {})).items;
    expect(inbox.find((c) => c.title === 'Stranger')).toMatchObject({ request: false, lastMessagePreview: 'unflagged' });
  });

  it('deletes a group room too; its next message brings it back', async () => {
    h = await makeHarness();
    const matrix = await h.addAccount('matrix', '@me:m.org');
    h.net.receiveInRoom(matrix.id, '!r:m.org', 'Room', { address: '@a:m.org' }, 'old news', 1_000);
    await h.core.ingest.idle();
    const room = (await h.core.call('conversations.list', {})).items[0]!;
    await h.core.call('conversations.delete', { conversationId: room.id });
    expect((await h.core.call('conversations.list', {})).items).toEqual([]);
    h.net.receiveInRoom(matrix.id, '!r:m.org', 'Room', { address: '@a:m.org' }, 'fresh news', 2_000);
    await h.core.ingest.idle();
    const back = (await h.core.call('conversations.list', {})).items;
    expect(back.map((c) => [c.title, c.lastMessagePreview])).toEqual([['Room', 'fresh news']]);
    expect((await h.core.call('messages.page', { conversationId: back[0]!.id })).items.map((m) => m.text)).toEqual(['fresh news']);
  });
});

describe('receipts in a request', () => {
  it('neither read receipts nor typing go out until the request is accepted, even on a green route', async () => {
    const { friendId, strangerId } = await withRequest();
    await h.core.call('settings.set', { receiptsOnWeakRoutes: true });
    const stranger = await h.core.call('conversations.get', { conversationId: strangerId });
    expect(stranger.rating.colour).toBe('green');
    await h.core.call('conversations.markRead', { conversationId: strangerId });
    expect(await h.core.call('conversations.typing', { conversationId: strangerId, typing: true })).toEqual({ shared: false });
    // The accepted conversation on the same account does share them: the policy is not simply off.
    await h.core.call('conversations.markRead', { conversationId: friendId });
    await until(() => h.net.receipts.length === 1, 'the read receipt to the friend');
    expect(h.net.receipts.map((r) => [r.kind, r.detail])).toEqual([['read', 'f1']]);
    expect((await h.core.call('conversations.get', { conversationId: strangerId })).unreadCount).toBe(0);

    await h.core.call('conversations.acceptRequest', { conversationId: strangerId });
    await h.core.call('conversations.markRead', { conversationId: strangerId });
    expect(await h.core.call('conversations.typing', { conversationId: strangerId, typing: true })).toEqual({ shared: true });
    await until(() => h.net.receipts.length === 3, 'receipts after accepting');
    expect(h.net.receipts.slice(1).map((r) => [r.kind, r.detail])).toEqual([
      ['read', 's1'],
      ['typing', 'true'],
    ]);
  });
});
