/** A search snippet with its matches in <mark>, built as text nodes (never parsed as HTML). */
import { splitSnippet } from '../format/snippet.ts';

export function Snippet({ snippet }: { snippet: string }) {
  return (
    <span className="snippet">
      {splitSnippet(snippet).map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
    </span>
  );
}
