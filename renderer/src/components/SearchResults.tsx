/** Message search hits: conversation, time, and the snippet with its matches highlighted. */
import { useState } from 'react';
import type { SearchState } from '../state/useSearch.ts';
import { fullDateTime, relativeTime } from '../format/time.ts';
import { useNow } from '../state/useNow.ts';
import { Avatar } from './Avatar.tsx';
import { Snippet } from './Snippet.tsx';

interface SearchResultsProps {
  query: string;
  state: SearchState;
  onOpen: (conversationId: string, focusMessageId?: string) => void;
  selectedId: string | null;
}

export function SearchResults({ query, state, onOpen, selectedId }: SearchResultsProps) {
  const now = useNow();
  // The hit last opened; other hits of the same conversation stay unmarked.
  const [openedHit, setOpenedHit] = useState<string | null>(null);
  if (state.kind === 'idle') return null;
  if (state.kind === 'searching') return <p className="list-note" role="status">Searching…</p>;
  if (state.kind === 'failed') return <p className="list-note" role="alert">Search failed: {state.message}</p>;
  if (state.hits.length === 0) {
    return (
      <p className="list-note" role="status">
        No messages match “{query.trim()}”.
      </p>
    );
  }
  return (
    <div className="search-results">
      <p className="sr-only" role="status">
        {state.hits.length} results
      </p>
      <ul className="search-list" aria-label="Search results">
        {state.hits.map((hit) => (
          <li key={hit.message.id}>
            <button
              type="button"
              className={`search-hit${hit.message.id === openedHit && hit.message.conversationId === selectedId ? ' search-hit-selected' : ''}`}
              aria-current={hit.message.id === openedHit && hit.message.conversationId === selectedId ? 'true' : undefined}
              onClick={() => {
                setOpenedHit(hit.message.id);
                onOpen(hit.message.conversationId, hit.message.id);
              }}
            >
              <Avatar id={hit.message.conversationId} title={hit.conversationTitle} />
              <span className="search-hit-main">
                <span className="row-line">
                  <span className="row-title">{hit.conversationTitle}</span>
                  <time className="row-time" dateTime={new Date(hit.message.sentAt).toISOString()} title={fullDateTime(hit.message.sentAt)}>
                    {relativeTime(hit.message.sentAt, now)}
                  </time>
                </span>
                <span className="search-hit-snippet">
                  {hit.message.direction === 'out' ? 'You: ' : ''}
                  <Snippet snippet={hit.snippet} />
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
