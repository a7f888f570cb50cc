/** Splits a search snippet into plain and matched parts: core marks matches with \u0001 … \u0002. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export function splitSnippet(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let text = '';
  for (const ch of snippet) {
    if (ch === '\u0001' || ch === '\u0002') {
      if (text) parts.push({ text, match });
      text = '';
      match = ch === '\u0001';
    } else {
      text += ch;
    }
  }
  if (text) parts.push({ text, match });
  return parts;
}
