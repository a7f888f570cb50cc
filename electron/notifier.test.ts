import { describe, expect, it, vi } from 'vitest';
import type { ConversationSummary, Page } from '../core/api/types.ts';
import type { NotificationContent } from './attention.ts';
import { Notifier, type NotifierDeps } from './notifier.ts';
import { conversation, message } from './test-fixtures.ts';

const NOW = 5_000_000;

function setup(over: Partial<NotifierDeps> = {}) {
  const badges: number[] = [];
  const shown: NotificationContent[] = [];
  const getConversation = vi.fn((id: string) => Promise.resolve(conversation({ id })));
  const deps: NotifierDeps = {
    getConversation,
    listConversations: () => Promise.resolve({ items: [], nextCursor: null }),
    setBadge: (n) => badges.push(n),
    notify: (c) => shown.push(c),
    now: () => NOW,
    ...over,
  };
  return { notifier: new Notifier(deps), getConversation, badges, shown };
}

describe('Notifier', () => {
  it('notifies for a new incoming message in a known, unmuted conversation', async () => {
    const { notifier, shown, getConversation } = setup();
    await notifier.handle({ type: 'conversation.updated', conversation: conversation({ id: 'c1', unreadCount: 1 }) });
    await notifier.handle({ type: 'message.added', message: message({ conversationId: 'c1', senderName: 'Ada', text: 'Hi', sentAt: NOW }) });
    expect(shown).toEqual([{ conversationId: 'c1', title: 'Ada', body: 'Hi' }]);
    expect(getConversation).not.toHaveBeenCalled();
  });

  it('respects mute, and un-mute', async () => {
    const { notifier, shown } = setup();
    await notifier.handle({ type: 'conversation.updated', conversation: conversation({ id: 'c1', muted: true }) });
    await notifier.handle({ type: 'message.added', message: message({ sentAt: NOW }) });
    expect(shown).toHaveLength(0);
    await notifier.handle({ type: 'conversation.updated', conversation: conversation({ id: 'c1', muted: false }) });
    await notifier.handle({ type: 'message.added', message: message({ id: 'm2', sentAt: NOW }) });
    expect(shown).toHaveLength(1);
  });

  it('asks core about a conversation no event has described, and remembers the answer', async () => {
    const getConversation = vi.fn((id: string) => Promise.resolve(conversation({ id, muted: true })));
    const { notifier, shown } = setup({ getConversation });
    await notifier.handle({ type: 'message.added', message: message({ conversationId: 'c9', sentAt: NOW }) });
    await notifier.handle({ type: 'message.added', message: message({ id: 'm2', conversationId: 'c9', sentAt: NOW }) });
    expect(getConversation).toHaveBeenCalledTimes(1);
    expect(getConversation).toHaveBeenCalledWith('c9');
    expect(shown).toHaveLength(0);
  });

  it('stays quiet when the lookup fails', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { notifier, shown } = setup({ getConversation: () => Promise.reject(new Error('not-found')) });
      await notifier.handle({ type: 'message.added', message: message({ sentAt: NOW, text: 'private words' }) });
      expect(shown).toHaveLength(0);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).not.toContain('private words');
    } finally {
      stderr.mockRestore();
    }
  });

  it('ignores outgoing messages and updates', async () => {
    const { notifier, shown, getConversation } = setup();
    await notifier.handle({ type: 'message.added', message: message({ direction: 'out', sentAt: NOW }) });
    await notifier.handle({ type: 'message.updated', message: message({ sentAt: NOW }) });
    expect(shown).toHaveLength(0);
    expect(getConversation).not.toHaveBeenCalled();
  });

  it('sets the badge to the unread sum, only when it changes', async () => {
    const { notifier, badges } = setup();
    await notifier.handle({ type: 'conversation.updated', conversation: conversation({ id: 'a', unreadCount: 2 }) });
    await notifier.handle({ type: 'conversation.updated', conversation: conversation({ id: 'b', unreadCount: 3, muted: true }) });
    await notifier.handle({ type: 'conversation.updated', conversation: conversation({ id: 'b', unreadCount: 3, title: 'renamed' }) });
    await notifier.handle({ type: 'conversation.removed', conversationId: 'a' });
    expect(badges).toEqual([2, 5, 3]);
  });

  it('seeds the badge from every page of both folders', async () => {
    const pages: Record<string, Page<ConversationSummary>> = {
      'inbox:': { items: [conversation({ id: 'a', unreadCount: 1 })], nextCursor: 'p2' },
      'inbox:p2': { items: [conversation({ id: 'b', unreadCount: 2 })], nextCursor: null },
      'archived:': { items: [conversation({ id: 'c', unreadCount: 4, archived: true })], nextCursor: null },
    };
    const listConversations = vi.fn((folder: string, cursor: string | null) =>
      Promise.resolve(pages[`${folder}:${cursor ?? ''}`] ?? { items: [], nextCursor: null }),
    );
    const { notifier, badges } = setup({ listConversations });
    await notifier.seed();
    expect(listConversations).toHaveBeenCalledTimes(3);
    expect(badges).toEqual([7]);
  });

  it('stops seeding when core keeps returning a cursor', async () => {
    const listConversations = vi.fn(() => Promise.resolve({ items: [], nextCursor: 'again' }));
    const { notifier } = setup({ listConversations });
    await notifier.seed();
    // A bounded number of pages per folder, then it gives up instead of hanging.
    expect(listConversations.mock.calls.length).toBe(400);
  });
});
