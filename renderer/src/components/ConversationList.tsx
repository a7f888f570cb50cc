/**
 * The conversation list: a listbox virtualised with @tanstack/react-virtual (only the visible
 * rows exist), paging in more through the `conversations.list` cursor near the end.
 * Keyboard: ArrowUp/Down, Home/End, PageUp/PageDown move focus; Enter opens.
 */
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useEffect, useEffectEvent, useRef, useState, type KeyboardEvent } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { useNow } from '../state/useNow.ts';
import { ConversationRow } from './ConversationRow.tsx';

const ROW_HEIGHT = 72;
/** Start the next page this many rows before the end, so scrolling rarely waits. */
const PREFETCH_ROWS = 30;

interface ConversationListProps {
  items: ConversationSummary[];
  hasMore: boolean;
  loadMore: () => void;
  selectedId: string | null;
  onOpen: (id: string) => void;
}

export function ConversationList({ items, hasMore, loadMore, selectedId, onOpen }: ConversationListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const now = useNow();
  // The row with keyboard focus (roving tabindex); defaults to the open conversation.
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const [pendingFocus, setPendingFocus] = useState(0);
  const activeId = focusedId !== null && items.some((c) => c.id === focusedId) ? focusedId : selectedId;
  const found = activeId === null ? -1 : items.findIndex((c) => c.id === activeId);
  const activeIndex = found === -1 ? 0 : found;

  // The focused row always stays rendered, so focus never falls out of the list while scrolling.
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      return indexes.includes(activeIndex) || activeIndex >= range.count ? indexes : [...indexes, activeIndex].sort((a, b) => a - b);
    },
    [activeIndex],
  );

  const getItemKey = useCallback((index: number) => items[index]?.id ?? 'loading', [items]);
  // eslint-disable-next-line react-hooks/incompatible-library -- we do not use the React Compiler; the virtualizer re-renders us itself.
  const virtualizer = useVirtualizer({
    count: items.length + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    rangeExtractor,
    // Stable across renders: an inline key function makes the virtualizer re-measure every row each frame.
    getItemKey,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastRendered = virtualItems[virtualItems.length - 1]?.index ?? 0;

  useEffect(() => {
    if (hasMore && lastRendered >= items.length - PREFETCH_ROWS) loadMore();
  }, [hasMore, lastRendered, items.length, loadMore]);

  // Keep the open conversation in view when it changes from elsewhere (Alt+Arrow, search), but
  // not when it merely moves because a message arrived: that would yank the list while browsing.
  const revealSelected = useEffectEvent(() => {
    const index = selectedId === null ? -1 : items.findIndex((c) => c.id === selectedId);
    if (index >= 0) virtualizer.scrollToIndex(index, { align: 'auto' });
  });
  useEffect(() => revealSelected(), [selectedId]);

  // After a keyboard move only: scroll the row in, then focus it (rangeExtractor keeps it rendered).
  // Keyed on the move counter, so a reorder never pulls focus back from the composer.
  const focusActive = useEffectEvent(() => {
    virtualizer.scrollToIndex(activeIndex, { align: 'auto' });
    scrollRef.current?.querySelector<HTMLElement>(`[data-index="${activeIndex}"]`)?.focus({ preventScroll: true });
  });
  useEffect(() => {
    if (pendingFocus > 0) focusActive();
  }, [pendingFocus]);

  const moveTo = (index: number) => {
    const target = items[Math.max(0, Math.min(items.length - 1, index))];
    if (!target) return;
    setFocusedId(target.id);
    setPendingFocus((n) => n + 1);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const keys: Record<string, number | undefined> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      Home: 0,
      End: items.length - 1,
      PageDown: activeIndex + page,
      PageUp: activeIndex - page,
    };
    const index = keys[event.key];
    if (index !== undefined) {
      event.preventDefault();
      moveTo(index);
    } else if (event.key === 'Enter' || event.key === ' ') {
      const target = items[activeIndex];
      if (target) {
        event.preventDefault();
        onOpen(target.id);
      }
    }
  };

  const onFocusRow = useCallback((id: string) => setFocusedId(id), []);

  return (
    <div
      ref={scrollRef}
      className="conversation-list"
      role="listbox"
      aria-label="Conversations"
      onKeyDown={onKeyDown}
    >
      <div className="conversation-list-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualItems.map((row) => {
          const conversation = items[row.index];
          if (!conversation) {
            return (
              <div key={row.key} className="row row-loading" aria-hidden="true" style={{ transform: `translateY(${row.start}px)` }}>
                Loading…
              </div>
            );
          }
          return (
            <ConversationRow
              key={row.key}
              conversation={conversation}
              index={row.index}
              top={row.start}
              selected={conversation.id === selectedId}
              tabbable={row.index === activeIndex}
              now={now}
              onOpen={onOpen}
              onFocusRow={onFocusRow}
            />
          );
        })}
      </div>
    </div>
  );
}
