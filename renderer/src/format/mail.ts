/** Words and numbers for mail content: file sizes, and which subject starts a new thread. */

/** A byte count for people: "820 bytes", "12 KB", "3.4 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  // One decimal below 10 ("2.4 MB"), none above, and never a trailing ".0".
  return `${value >= 10 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}

/** A subject without reply and forward prefixes (Re:, Fwd:, AW:, SV: …), for telling threads apart. */
export function threadKey(subject: string): string {
  return subject
    .replace(/^\s*((re|fwd?|aw|wg|sv|vs|antw|tr|rif)(\[\d+\])?\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * Whether a message's subject is worth showing above its text: it starts a thread (no subject
 * came before in the loaded window) or differs from the last one that did.
 */
export function showsSubject(subject: string | null, previousKey: string | null): boolean {
  return subject !== null && subject.trim() !== '' && threadKey(subject) !== previousKey;
}
