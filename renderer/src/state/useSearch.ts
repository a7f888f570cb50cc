/** Full-text search over every conversation, debounced while the user types. */
import { useEffect, useState } from 'react';
import type { SearchHit } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge } from './bridgeContext.ts';

const DEBOUNCE_MS = 180;
const LIMIT = 50;

export type SearchState =
  | { kind: 'idle' }
  | { kind: 'searching' }
  | { kind: 'done'; hits: SearchHit[] }
  | { kind: 'failed'; message: string };

interface Answer {
  query: string;
  state: SearchState;
}

export function useSearch(query: string): SearchState {
  const bridge = useBridge();
  const trimmed = query.trim();
  const [answer, setAnswer] = useState<Answer>({ query: '', state: { kind: 'idle' } });

  useEffect(() => {
    if (!trimmed) return;
    let live = true;
    const timer = setTimeout(() => {
      bridge.call('search', { query: trimmed, limit: LIMIT }).then(
        (hits) => live && setAnswer({ query: trimmed, state: { kind: 'done', hits } }),
        (error: unknown) => live && setAnswer({ query: trimmed, state: { kind: 'failed', message: describeError(error) } }),
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [bridge, trimmed]);

  // A disappeared message must not stay findable in results already shown.
  useApiEvent((event) => {
    if (event.type !== 'message.removed') return;
    setAnswer((a) =>
      a.state.kind === 'done' && a.state.hits.some((h) => h.message.id === event.messageId)
        ? { ...a, state: { kind: 'done', hits: a.state.hits.filter((h) => h.message.id !== event.messageId) } }
        : a,
    );
  });

  if (!trimmed) return { kind: 'idle' };
  return answer.query === trimmed ? answer.state : { kind: 'searching' };
}
