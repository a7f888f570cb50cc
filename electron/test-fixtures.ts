/** Builders for api objects in the electron unit tests; only the fields a test cares about vary. */
import type { ConversationSummary, Message, Rating } from '../core/api/types.ts';

const rating: Rating = { score: 100, colour: 'green', summary: 'Private.', caption: 'Encrypted', reasons: [] };

/** A conversation summary with sensible defaults. */
export function conversation(over: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id: 'c1',
    kind: 'direct',
    title: 'Ada',
    contactId: 'k1',
    protocols: ['native'],
    lastActivityAt: 0,
    lastMessagePreview: null,
    unreadCount: 0,
    pinned: false,
    muted: false,
    archived: false,
    request: false,
    rating,
    disappearingSeconds: 0,
    accountId: null,
    left: false,
    upgrade: null,
    presence: null,
    ...over,
  };
}

/** An incoming message with sensible defaults. */
export function message(over: Partial<Message> = {}): Message {
  return {
    id: 'm1',
    conversationId: 'c1',
    kind: 'chat',
    direction: 'in',
    senderName: 'Ada',
    protocol: 'native',
    text: 'Hello there',
    sentAt: 1_000_000,
    status: 'received',
    error: null,
    pinned: false,
    rating,
    expiresAt: null,
    subject: null,
    hasOriginal: false,
    attachments: [],
    problem: null,
    invitation: null,
    editedAt: null,
    deleted: false,
    ...over,
  };
}
