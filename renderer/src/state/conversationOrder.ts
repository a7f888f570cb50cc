/**
 * The inbox order, which must match core's `conversations.list` (core/inbox/queries.ts):
 * pinned first, then the most recent activity, then id descending. Events move a conversation
 * client-side without refetching the list.
 */
import type { ConversationSummary } from '../../../core/api/types.ts';

/** The sidebar's tabs; `requests` holds conversations from people the user has not accepted yet. */
export type Folder = 'inbox' | 'archived' | 'requests';

export function compareConversations(a: ConversationSummary, b: ConversationSummary): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  if (a.lastActivityAt !== b.lastActivityAt) return b.lastActivityAt - a.lastActivityAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** As core files them: archived (requests included), else requests, else the inbox. */
export function folderOf(conversation: ConversationSummary): Folder {
  if (conversation.archived) return 'archived';
  return conversation.request ? 'requests' : 'inbox';
}

export function inFolder(conversation: ConversationSummary, folder: Folder): boolean {
  return folderOf(conversation) === folder;
}

/** Adds a page: conversations already held stay (events keep them fresher than the page). */
export function mergePage(held: ConversationSummary[], page: ConversationSummary[]): ConversationSummary[] {
  const ids = new Set(held.map((c) => c.id));
  const fresh = page.filter((c) => !ids.has(c.id));
  return fresh.length ? [...held, ...fresh].sort(compareConversations) : held;
}

/**
 * Applies a `conversation.updated`. A conversation that would sort past the last loaded one
 * while more pages remain is dropped: the next page brings it, in place.
 */
export function applyConversationUpdate(
  held: ConversationSummary[],
  updated: ConversationSummary,
  folder: Folder,
  complete: boolean,
): ConversationSummary[] {
  const without = held.filter((c) => c.id !== updated.id);
  if (!inFolder(updated, folder)) return without.length === held.length ? held : without;
  let index = without.findIndex((c) => compareConversations(updated, c) < 0);
  if (index === -1) {
    if (!complete) return without.length === held.length ? held : without;
    index = without.length;
  }
  return [...without.slice(0, index), updated, ...without.slice(index)];
}
