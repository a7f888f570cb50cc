/** The paged conversation list of one folder, live through events. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { applyConversationUpdate, mergePage, type Folder } from './conversationOrder.ts';
import { useNotify } from './notify.tsx';

const PAGE_SIZE = 100;

interface ListState {
  folder: Folder;
  items: ConversationSummary[];
  cursor: string | null;
  /** Every page is loaded. */
  complete: boolean;
  /** The first page has arrived. */
  loaded: boolean;
}

export interface ConversationList {
  items: ConversationSummary[];
  loaded: boolean;
  hasMore: boolean;
  loadMore: () => void;
}

const empty = (folder: Folder): ListState => ({ folder, items: [], cursor: null, complete: false, loaded: false });

export function useConversationList(folder: Folder): ConversationList {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const notify = useNotify();
  const [stored, setState] = useState<ListState>(() => empty(folder));
  // State of another folder is stale the moment the folder changes; show nothing until it loads.
  const state = stored.folder === folder ? stored : empty(folder);
  // Bumped by each first-page load, so late pages of an earlier load are dropped.
  const generation = useRef(0);
  const loadingMore = useRef(false);

  useEffect(() => {
    const gen = ++generation.current;
    loadingMore.current = false;
    bridge.call('conversations.list', { folder, limit: PAGE_SIZE }).then(
      (page) => {
        if (gen !== generation.current) return;
        setState({
          folder,
          items: mergePage([], page.items),
          cursor: page.nextCursor,
          complete: page.nextCursor === null,
          loaded: true,
        });
      },
      (error: unknown) => {
        if (gen === generation.current) notify(`Couldn't load conversations: ${describeError(error)}`);
      },
    );
  }, [bridge, folder, epoch, notify]);

  const { cursor, complete, loaded } = state;
  const loadMore = useCallback(() => {
    if (loadingMore.current || complete || !loaded) return;
    loadingMore.current = true;
    const gen = generation.current;
    bridge.call('conversations.list', { folder, cursor, limit: PAGE_SIZE }).then(
      (page) => {
        if (gen !== generation.current) return;
        loadingMore.current = false;
        setState((s) =>
          s.folder !== folder
            ? s
            : { ...s, items: mergePage(s.items, page.items), cursor: page.nextCursor, complete: page.nextCursor === null },
        );
      },
      (error: unknown) => {
        if (gen !== generation.current) return;
        loadingMore.current = false;
        notify(`Couldn't load more conversations: ${describeError(error)}`);
      },
    );
  }, [bridge, folder, cursor, complete, loaded, notify]);

  useApiEvent((event) => {
    if (event.type === 'conversation.updated') {
      setState((s) =>
        s.folder !== folder || !s.loaded
          ? s
          : { ...s, items: applyConversationUpdate(s.items, event.conversation, folder, s.complete) },
      );
    } else if (event.type === 'conversation.removed') {
      setState((s) => ({ ...s, items: s.items.filter((c) => c.id !== event.conversationId) }));
    }
  });

  return { items: state.items, loaded: state.loaded, hasMore: state.loaded && !state.complete, loadMore };
}
