/**
 * Disappearing messages end to end through core with the test double: the timer (set here or by
 * the peer), when each message's countdown starts, the sweep deleting it with everything that
 * points at it, and the sweep surviving a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AdapterActionError } from '../../adapters/contract.ts';
import type { ApiEvent } from '../../core/api/events.ts';
import type { ConversationSummary, Message } from '../../core/api/types.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const HOUR = 3_600;

/** A core whose clock the test moves (`clock.skew` ms ahead of the real one). */
async function harnessWithClock(): Promise<{ h: Harness; clock: { skew: number; now: () => number } }> {
  const clock = { skew: 0, now: () => Date.now() + clock.skew };
  const made = await makeHarness({ now: clock.now });
  return { h: made, clock };
}

async function onlyConversation(x: Harness): Promise<ConversationSummary> {
  const items = (await x.core.call('conversations.list', {})).items;
  expect(items).toHaveLength(1);
  return items[0]!;
}

async function messagesOf(x: Harness, conversationId: string): Promise<Message[]> {
  return (await x.core.call('messages.page', { conversationId })).items;
}

function removedEvents(x: Harness): Extract<ApiEvent, { type: 'message.removed' }>[] {
  return x.events.filter((e): e is Extract<ApiEvent, { type: 'message.removed' }> => e.type === 'message.removed');
}

function ftsRows(x: Harness, word: string): number {
  return x.core.ctx.db.prepare('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?').pluck().get(word) as number;
}

describe('incoming disappearing messages', () => {
  it('count down from when they are read, then go with their search row and pin; the preview moves back', async () => {
    const made = await harnessWithClock();
    h = made.h;
    const { clock } = made;
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'ada-key', displayName: 'Ada' }, 'kept forever', { sentAt: Date.now() - 1000 });
    h.net.receive(native.id, { address: 'ada-key', displayName: 'Ada' }, 'ephemeral zebra', { disappearAfterSeconds: HOUR });
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    let [kept, gone] = await messagesOf(h, conv.id);
    expect(gone?.text).toBe('ephemeral zebra');
    // Unread: the countdown has not started, however long it waits.
    expect([kept?.expiresAt, gone?.expiresAt]).toEqual([null, null]);
    clock.skew += 10 * HOUR * 1000;
    h.core.expiry.sweep();
    expect(await messagesOf(h, conv.id)).toHaveLength(2);

    await h.core.call('messages.pin', { messageId: gone!.id, pinned: true });
    const readAt = clock.now();
    await h.core.call('conversations.markRead', { conversationId: conv.id });
    [kept, gone] = await messagesOf(h, conv.id);
    expect(kept?.expiresAt).toBeNull();
    expect(gone!.expiresAt! - readAt).toBeGreaterThanOrEqual(HOUR * 1000);
    expect(gone!.expiresAt! - readAt).toBeLessThan(HOUR * 1000 + 1000);
    // The renderer hears the countdown start.
    const started = h.events.flatMap((e) => (e.type === 'message.updated' && e.message.id === gone!.id ? [e.message.expiresAt] : []));
    expect(started).toContain(gone!.expiresAt);

    // One second short of the deadline: still there.
    clock.skew += gone!.expiresAt! - clock.now() - 1000;
    h.core.expiry.sweep();
    expect(await messagesOf(h, conv.id)).toHaveLength(2);
    expect((await h.core.call('search', { query: 'zebra' })).map((s) => s.message.id)).toEqual([gone!.id]);

    h.events.length = 0;
    clock.skew += 1000;
    h.core.expiry.sweep();
    expect((await messagesOf(h, conv.id)).map((m) => m.text)).toEqual(['kept forever']);
    expect(removedEvents(h)).toEqual([{ type: 'message.removed', messageId: gone!.id, conversationId: conv.id }]);
    expect(await h.core.call('search', { query: 'zebra' })).toEqual([]);
    expect(ftsRows(h, 'zebra')).toBe(0);
    expect(await h.core.call('messages.pinned', { conversationId: conv.id })).toEqual([]);
    const updated = h.events.find((e) => e.type === 'conversation.updated');
    expect(updated).toMatchObject({ conversation: { id: conv.id, lastMessagePreview: 'kept forever', unreadCount: 0 } });
    expect((await onlyConversation(h)).lastMessagePreview).toBe('kept forever');
  });

  it('a real timer wakes the sweep at the deadline, not before', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'ben-key' }, 'one second only', { disappearAfterSeconds: 1 });
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    const readAt = Date.now();
    await h.core.call('conversations.markRead', { conversationId: conv.id });
    await new Promise((r) => setTimeout(r, 600));
    expect(await messagesOf(h, conv.id)).toHaveLength(1);
    await until(() => removedEvents(h!).length === 1, 'the message to disappear', 3_000);
    expect(Date.now() - readAt).toBeGreaterThanOrEqual(990);
    expect(await messagesOf(h, conv.id)).toEqual([]);
    // Nothing left to show: no preview.
    expect((await onlyConversation(h)).lastMessagePreview).toBeNull();
  });

  it('history (read elsewhere) counts down from its arrival; our own from another client from when it was sent', async () => {
    const made = await harnessWithClock();
    h = made.h;
    const native = await h.addAccount('native', 'me-native');
    const before = made.clock.now();
    h.net.receive(native.id, { address: 'cy-key' }, 'old news', { historical: true, disappearAfterSeconds: 60, sentAt: before - 50_000 });
    const sentAt = before - 10_000;
    h.net.adapter(native.id).emitRaw({
      type: 'message',
      accountId: native.id,
      remoteId: 'from-my-phone',
      conversation: { kind: 'direct', peer: { address: 'cy-key' } },
      sender: 'self',
      text: 'typed on my phone',
      sentAt,
      disappearAfterSeconds: 60,
    });
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    const [history, mine] = await messagesOf(h, conv.id);
    expect(history!.expiresAt! - before).toBeGreaterThanOrEqual(60_000);
    expect(history!.expiresAt! - before).toBeLessThan(61_000);
    expect(mine!.expiresAt).toBe(sentAt + 60_000);
    made.clock.skew += 51_000;
    h.core.expiry.sweep();
    expect((await messagesOf(h, conv.id)).map((m) => m.text)).toEqual(['old news']);
  });
});

describe('the conversation timer', () => {
  it('set here: the peer is told on the chosen route, it is stored and announced; our messages count down once sent', async () => {
    const made = await harnessWithClock();
    h = made.h;
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'dee-key', displayName: 'Dee' }, 'hi');
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    expect(conv.disappearingSeconds).toBe(0);
    h.events.length = 0;

    const summary = await h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: 300 });
    expect(summary.disappearingSeconds).toBe(300);
    expect(h.net.timers).toEqual([
      { accountId: native.id, conversation: { kind: 'direct', peer: { address: 'dee-key', displayName: 'Dee' } }, seconds: 300 },
    ]);
    const announced = h.events.flatMap((e) => (e.type === 'conversation.updated' ? [[e.conversation.id, e.conversation.disappearingSeconds]] : []));
    expect(announced).toContainEqual([conv.id, 300]);
    // The same value again tells nobody anything.
    await h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: 300 });
    expect(h.net.timers).toHaveLength(1);

    const sent = await h.core.call('messages.send', { conversationId: conv.id, text: 'self-destructing note' });
    if (sent.kind !== 'queued') throw new Error(`not queued: ${sent.kind}`);
    expect(sent.message.expiresAt).toBeNull();
    await until(async () => (await messagesOf(h!, conv.id)).some((m) => m.id === sent.message.id && m.status === 'sent'), 'the send');
    const mine = (await messagesOf(h, conv.id)).find((m) => m.id === sent.message.id)!;
    const sentAt = made.clock.now();
    expect(sentAt - mine.expiresAt! + 300_000).toBeGreaterThanOrEqual(0);
    expect(sentAt - mine.expiresAt! + 300_000).toBeLessThan(2_000);

    // Turning it off keeps the countdown of what was already sent.
    await h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: 0 });
    expect(h.net.timers.at(-1)?.seconds).toBe(0);
    made.clock.skew += 301_000;
    h.core.expiry.sweep();
    expect((await messagesOf(h, conv.id)).map((m) => m.text)).toEqual(['hi']);
    expect(h.core.ctx.db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
  });

  it('a protocol without disappearing messages refuses in plain words and nothing changes', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'by mail');
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    await expect(h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: HOUR, pinned: true })).rejects.toMatchObject({
      code: 'unavailable',
      message: 'Email cannot make messages disappear.',
    });
    const after = await onlyConversation(h);
    expect([after.disappearingSeconds, after.pinned]).toEqual([0, false]);
    expect(h.net.timers).toEqual([]);
  });

  it('an adapter that refuses keeps its words; one that breaks says so; nothing changes either way', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'eve-key' }, 'hello');
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    h.net.timerFailure = new AdapterActionError('unavailable', 'Eve has to accept you first.');
    await expect(h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: 86_400 })).rejects.toMatchObject({
      code: 'unavailable',
      message: 'Eve has to accept you first.',
    });
    h.net.timerFailure = new Error('socket closed');
    await expect(h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: 86_400 })).rejects.toMatchObject({
      code: 'unavailable',
      message: 'The timer could not be set: socket closed',
    });
    expect((await onlyConversation(h)).disappearingSeconds).toBe(0);

    h.net.adapter(native.id).setStatus('offline');
    await expect(h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: 86_400 })).rejects.toThrow(
      /not connected, so the other side cannot be told/,
    );
    expect(h.net.timers).toEqual([]);
  });

  it('accepts off and one minute to a year, and nothing else', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'fay-key' }, 'hello');
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    for (const bad of [30, 59, 60.5, -60, 365 * 86_400 + 1]) {
      await expect(h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: bad })).rejects.toMatchObject({
        code: 'bad-request',
      });
    }
    for (const good of [60, 2_419_200, 365 * 86_400, 0]) {
      expect((await h.core.call('conversations.update', { conversationId: conv.id, disappearingSeconds: good })).disappearingSeconds).toBe(good);
    }
  });

  it('the peer changes it: stored and announced; an unknown conversation is not created for it', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'gil-key' }, 'hello');
    h.net.receiveInRoom(native.id, 'room-1', 'Book club', { address: 'hal-key' }, 'welcome');
    await h.core.ingest.idle();
    const items = (await h.core.call('conversations.list', {})).items;
    const direct = items.find((c) => c.kind === 'direct')!;
    const group = items.find((c) => c.kind === 'group')!;
    h.events.length = 0;

    h.net.changeTimer(native.id, { kind: 'direct', peer: { address: 'gil-key' } }, 604_800);
    h.net.changeTimer(native.id, { kind: 'group', roomId: 'room-1' }, 3_600);
    h.net.changeTimer(native.id, { kind: 'direct', peer: { address: 'stranger-key' } }, 60);
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.get', { conversationId: direct.id })).disappearingSeconds).toBe(604_800);
    expect((await h.core.call('conversations.get', { conversationId: group.id })).disappearingSeconds).toBe(3_600);
    const announced = h.events.flatMap((e) => (e.type === 'conversation.updated' ? [[e.conversation.id, e.conversation.disappearingSeconds]] : []));
    expect(announced).toEqual(expect.arrayContaining([[direct.id, 604_800], [group.id, 3_600]]));
    expect((await h.core.call('conversations.list', {})).items).toHaveLength(2);
    expect(await h.core.call('conversations.list', { folder: 'requests' })).toMatchObject({ items: [] });

    // A conversation that starts with a disappearing message starts with its timer.
    h.net.receive(native.id, { address: 'ivy-key' }, 'first words', { disappearAfterSeconds: 86_400 });
    await h.core.ingest.idle();
    const ivy = (await h.core.call('conversations.list', {})).items.find((c) => c.lastMessagePreview === 'first words')!;
    expect(ivy.disappearingSeconds).toBe(86_400);
  });
});

describe('the sweep across a restart', () => {
  it('deletes at start what expired while closed, and re-arms for what is still counting down', async () => {
    const made = await harnessWithClock();
    h = made.h;
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'jo-key' }, 'goes while closed', { disappearAfterSeconds: 60 });
    h.net.receive(native.id, { address: 'jo-key' }, 'goes soon after restart', { disappearAfterSeconds: 1 });
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    await h.core.call('conversations.markRead', { conversationId: conv.id });
    const slowDeadline = (await messagesOf(h, conv.id)).find((m) => m.text === 'goes while closed')!.expiresAt!;

    // Closed before the short timer fired; reopened a second later (by the clock) with the 60 s
    // one still to run: the short one goes at start, the long one waits.
    await h.core.close();
    made.clock.skew += 1_500;
    await h.restart({ now: made.clock.now });
    expect((await messagesOf(h, conv.id)).map((m) => m.text)).toEqual(['goes while closed']);
    expect(ftsRows(h, 'soon')).toBe(0);

    // The long one: the clock passes its deadline while closed.
    await h.core.close();
    made.clock.skew += slowDeadline - made.clock.now() + 1;
    await h.restart({ now: made.clock.now });
    expect(await messagesOf(h, conv.id)).toEqual([]);
  });

  it('a countdown still running at restart is swept by the timer armed at start', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'kim-key' }, 'after the restart', { disappearAfterSeconds: 1 });
    await h.core.ingest.idle();
    const conv = await onlyConversation(h);
    await h.core.call('conversations.markRead', { conversationId: conv.id });
    await h.restart();
    expect(await messagesOf(h, conv.id)).toHaveLength(1);
    await until(async () => (await messagesOf(h!, conv.id)).length === 0, 'the sweep after restart', 3_000);
    expect(removedEvents(h)).toHaveLength(1);
  });
});
