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
