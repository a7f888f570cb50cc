import { describe, expect, it } from 'vitest';
import { AttentionTracker, notificationFor, preview, PREVIEW_LENGTH, STALE_AFTER_MS } from './attention.ts';
import { conversation, message } from './test-fixtures.ts';

describe('AttentionTracker', () => {
  it('sums unread counts across conversations, keeping the latest per conversation', () => {
    const t = new AttentionTracker();
    expect(t.badgeCount()).toBe(0);
    t.apply({ type: 'conversation.updated', conversation: conversation({ id: 'a', unreadCount: 2 }) });
    t.apply({ type: 'conversation.updated', conversation: conversation({ id: 'b', unreadCount: 5 }) });
    expect(t.badgeCount()).toBe(7);
    t.apply({ type: 'conversation.updated', conversation: conversation({ id: 'a', unreadCount: 0 }) });
    expect(t.badgeCount()).toBe(5);
  });

  it('forgets a removed conversation', () => {
    const t = new AttentionTracker();
    t.apply({ type: 'conversation.updated', conversation: conversation({ id: 'a', unreadCount: 3 }) });
    expect(t.apply({ type: 'conversation.removed', conversationId: 'a' })).toBe(true);
    expect(t.badgeCount()).toBe(0);
    expect(t.isMuted('a')).toBeUndefined();
    expect(t.apply({ type: 'conversation.removed', conversationId: 'a' })).toBe(false);
  });

  it('reports a possible badge change only for conversation events', () => {
    const t = new AttentionTracker();
    expect(t.apply({ type: 'message.added', message: message() })).toBe(false);
    expect(t.apply({ type: 'conversation.updated', conversation: conversation() })).toBe(true);
  });

  it('counts bad unread values as zero so the badge stays a number', () => {
    const t = new AttentionTracker();
    t.update(conversation({ id: 'a', unreadCount: Number.NaN }));
    t.update(conversation({ id: 'b', unreadCount: -4 }));
    t.update(conversation({ id: 'c', unreadCount: Number.POSITIVE_INFINITY }));
    t.update(conversation({ id: 'd', unreadCount: 2 }));
    expect(t.badgeCount()).toBe(2);
  });

  it('tracks mute state, unknown until told', () => {
    const t = new AttentionTracker();
    expect(t.isMuted('a')).toBeUndefined();
    t.update(conversation({ id: 'a', muted: true }));
    expect(t.isMuted('a')).toBe(true);
    t.update(conversation({ id: 'a', muted: false }));
    expect(t.isMuted('a')).toBe(false);
  });

  it('lets a seed fill gaps but never overwrite newer event state', () => {
    const t = new AttentionTracker();
    t.update(conversation({ id: 'a', unreadCount: 9, muted: true }));
    t.seed([conversation({ id: 'a', unreadCount: 1, muted: false }), conversation({ id: 'b', unreadCount: 2 })]);
    expect(t.badgeCount()).toBe(11);
    expect(t.isMuted('a')).toBe(true);
  });
});

describe('preview', () => {
  it('keeps short text, on one line', () => {
    expect(preview('Hi\n\nthere\t you')).toBe('Hi there you');
  });

  it('cuts to the first 100 characters with an ellipsis', () => {
    const cut = preview('x'.repeat(250));
    expect(cut).toBe(`${'x'.repeat(PREVIEW_LENGTH)}…`);
  });

  it('never splits a character made of two UTF-16 units', () => {
    const cut = preview('😀'.repeat(150));
    expect(Array.from(cut)).toHaveLength(PREVIEW_LENGTH + 1);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('notificationFor', () => {
  const now = 1_000_000;

  it('shows the sender as title and the start of the text as body', () => {
    const n = notificationFor(message({ senderName: 'Ada', text: `Dinner? ${'y'.repeat(200)}`, sentAt: now }), false, now);
    expect(n).toEqual({ conversationId: 'c1', title: 'Ada', body: expect.stringMatching(/^Dinner\? y+…$/) as string });
    expect(Array.from(n?.body ?? '')).toHaveLength(PREVIEW_LENGTH + 1);
  });

  it('is silent for a muted conversation', () => {
    expect(notificationFor(message({ sentAt: now }), true, now)).toBeNull();
  });

  it('is silent for our own messages', () => {
    expect(notificationFor(message({ direction: 'out', sentAt: now }), false, now)).toBeNull();
  });

  it('is silent for history arriving late', () => {
    expect(notificationFor(message({ sentAt: now - STALE_AFTER_MS - 1 }), false, now)).toBeNull();
    expect(notificationFor(message({ sentAt: now - STALE_AFTER_MS }), false, now)).not.toBeNull();
  });

  it('names an anonymous sender generically', () => {
    expect(notificationFor(message({ senderName: '  ', sentAt: now }), false, now)?.title).toBe('New message');
  });
});
