/** Up to two letters for an avatar: "Alice Martin" → "AM", "bob@example.org" → "B", "Person 12" → "P". */
export function initials(title: string): string {
  const name = title.includes('@') && !title.includes(' ') ? (title.split('@')[0] ?? title) : title;
  const words = name.split(/[\s._-]+/u);
  // Letters only: a number or emoji as the second "initial" reads as noise.
  const letters = words
    .map((w) => w.match(/\p{L}/u)?.[0] ?? '')
    .filter(Boolean)
    .slice(0, 2)
    .join('');
  return letters.toUpperCase() || (Array.from(name.trim())[0] ?? '#');
}

/** A stable palette slot for an id, so a contact keeps its avatar colour. */
export function paletteSlot(id: string, slots: number): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(hash) % slots;
}
