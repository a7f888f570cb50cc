/**
 * Conversations whose "Upgrade to encrypted chat" offer the user put away ("Not now"), kept in
 * this window's local storage: a view preference of this device, not something core needs to know.
 */
const KEY = 'switchboard.upgradeDismissed';
/** Enough for every conversation anyone dismisses; the oldest go first beyond it. */
const MAX = 500;

function read(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function upgradeDismissed(conversationId: string): boolean {
  return read().includes(conversationId);
}

export function dismissUpgrade(conversationId: string): void {
  const next = [...read().filter((id) => id !== conversationId), conversationId].slice(-MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // Storage full or unavailable: the offer hides for this session only.
  }
}
