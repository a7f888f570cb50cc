/** Messages in reading order (oldest first), merged by id from pages, sends and events. */
import type { Message } from '../../../core/api/types.ts';

export function compareMessages(a: Message, b: Message): number {
  if (a.sentAt !== b.sentAt) return a.sentAt - b.sentAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Inserts or replaces by id; `incoming` wins, as it is the newer word from core. */
export function upsertMessages(held: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return held;
  const byId = new Map(held.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort(compareMessages);
}

/**
 * Merges a fresh newest page (a reload after the link came back) into what is held: held messages
 * inside the page's span that it no longer lists were removed meanwhile (disappeared, deleted)
 * and go, as do held ones whose disappearing deadline has passed. Held messages older than the
 * page stay (their pages are loaded), and so do newer ones (they arrived after the page was read).
 */
export function mergeFreshPage(held: Message[], fresh: Message[], now: number): Message[] {
  const oldest = fresh[0];
  const newest = fresh[fresh.length - 1];
  const listed = new Set(fresh.map((m) => m.id));
  const kept = held.filter((m) => {
    if (m.expiresAt !== null && m.expiresAt <= now) return false;
    if (!oldest || !newest || listed.has(m.id)) return true;
    return compareMessages(m, oldest) < 0 || compareMessages(m, newest) > 0;
  });
  return upsertMessages(kept, fresh);
}
