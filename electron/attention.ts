/**
 * What the desktop shell tracks to get the user's attention: unread counts for the badge, mute
 * state for notifications, and the text of a notification. Pure: fed core's events, no Electron.
 */
import type { ApiEvent } from '../core/api/events.ts';
import type { ConversationSummary, Message } from '../core/api/types.ts';

/** Characters of the message text shown in a notification. */
export const PREVIEW_LENGTH = 100;

/**
 * Messages older than this when they arrive are history (a sync, a backlog after being offline),
 * not news: they count in the badge but raise no notification, so a sync cannot flood the desktop.
 */
export const STALE_AFTER_MS = 10 * 60 * 1000;

/** A desktop notification's content. */
export interface NotificationContent {
  conversationId: string;
  title: string;
  body: string;
}

interface ConversationAttention {
  unread: number;
  muted: boolean;
}

/** A count from core, made safe to sum: bad data must not turn the badge into NaN. */
function unreadOf(c: ConversationSummary): number {
  const n = c.unreadCount;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** Unread and mute state per conversation, kept from `conversation.*` events. */
export class AttentionTracker {
  private readonly conversations = new Map<string, ConversationAttention>();

  /** Records one conversation's latest state. */
  update(c: ConversationSummary): void {
    this.conversations.set(c.id, { unread: unreadOf(c), muted: c.muted });
  }

  /**
   * Fills in conversations listed at startup. Ones already known came from events that arrived
   * while the list was loading, which are newer, so they are kept.
   */
  seed(list: readonly ConversationSummary[]): void {
    for (const c of list) if (!this.conversations.has(c.id)) this.update(c);
  }

  /** Applies an event; returns true when the badge total may have changed. */
  apply(event: ApiEvent): boolean {
    switch (event.type) {
      case 'conversation.updated':
        this.update(event.conversation);
        return true;
      case 'conversation.removed':
        return this.conversations.delete(event.conversationId);
      case 'message.added':
      case 'message.updated':
      case 'message.removed':
      case 'account.status':
      case 'settings.changed':
      case 'invites.changed':
      case 'quarantine.changed':
      case 'contact.updated':
      case 'conversation.reloaded':
      case 'conversation.typing':
      case 'verification.updated':
        return false;
    }
  }

  /** Whether a conversation is muted; undefined when no event has told us yet. */
  isMuted(conversationId: string): boolean | undefined {
    return this.conversations.get(conversationId)?.muted;
  }

  /** The badge: unread messages summed over every conversation. */
  badgeCount(): number {
    let total = 0;
    for (const c of this.conversations.values()) total += c.unread;
    return total;
  }
}

/** The first `max` characters of a text on one line, cut on a code point, with an ellipsis if cut. */
export function preview(text: string, max = PREVIEW_LENGTH): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(oneLine);
  return chars.length <= max ? oneLine : `${chars.slice(0, max).join('').trimEnd()}…`;
}

/**
 * The notification for a new message, or null when there must be none: our own messages, muted
 * conversations, and stale ones (see STALE_AFTER_MS).
 */
export function notificationFor(message: Message, muted: boolean, now: number): NotificationContent | null {
  if (message.direction !== 'in' || muted) return null;
  if (now - message.sentAt > STALE_AFTER_MS) return null;
  const title = message.senderName.trim() || 'New message';
  return { conversationId: message.conversationId, title: preview(title), body: preview(message.text) };
}
