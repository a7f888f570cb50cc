/**
 * RFC 3676 format=flowed decoding. postal-mime has its own, but it ignores quote depth, so a
 * wrapped quoted line ("> long line \r\n> continued") came out as one line with a stray "> " in
 * the middle; Thunderbird sends every reply like that.
 */

/** Unwrap flowed text: join soft-broken lines of equal quote depth, drop space-stuffing, honour DelSp. Quoted lines come out as "> text". */
export function decodeFlowed(text: string, delSp: boolean): string {
  const out: string[] = [];
  let paragraph: string | null = null;
  let paragraphDepth = 0;
  const emit = (): void => {
    if (paragraph === null) return;
    out.push(paragraphDepth > 0 ? `${'>'.repeat(paragraphDepth)}${paragraph ? ` ${paragraph}` : ''}` : paragraph);
    paragraph = null;
  };
  for (const rawLine of text.split(/\r?\n/)) {
    let depth = 0;
    while (rawLine.charCodeAt(depth) === 0x3e) depth++;
    let line = rawLine.slice(depth);
    // §4.4: one leading space is stuffing (added so the line does not start with '>', 'From ' or ' ').
    if (line.startsWith(' ')) line = line.slice(1);
    // §4.3: the signature separator is never flowed, though it ends in a space.
    const flowed = line.endsWith(' ') && line !== '-- ';
    // §4.5: a change of quote depth ends a paragraph even after a soft break.
    if (paragraph !== null && depth !== paragraphDepth) emit();
    paragraph = (paragraph ?? '') + (flowed && delSp ? line.slice(0, -1) : line);
    paragraphDepth = depth;
    if (!flowed) emit();
  }
  emit();
  return out.join('\n');
}
