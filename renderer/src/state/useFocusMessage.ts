/**
 * Opening a search hit: page back through the conversation until the hit's message is loaded,
 * then hand its id to the log to scroll to. Gives up after a bounded number of pages and says so.
 */
import { useEffect, useRef } from 'react';
import type { MessageWindow } from './useMessages.ts';
import { useNotify } from './notify.tsx';

/** The message to bring into view, and a number that changes each time the user asks again. */
export interface FocusRequest {
  messageId: string;
  seq: number;
}

/** How many older pages a jump may load (50 messages each). */
const MAX_PAGES = 40;

export function useFocusMessage(w: MessageWindow, focus: FocusRequest | null): FocusRequest | null {
  const notify = useNotify();
  // Pages loaded for the current request; -1 once it gave up. A ref: it drives no rendering.
  const progress = useRef<{ seq: number; pages: number }>({ seq: -1, pages: 0 });
  const found = focus !== null && w.messages.some((m) => m.id === focus.messageId);
  const { loaded, loadingOlder, hasOlder, loadOlder } = w;

  useEffect(() => {
    if (focus === null || found || !loaded || loadingOlder) return;
    if (progress.current.seq !== focus.seq) progress.current = { seq: focus.seq, pages: 0 };
    const p = progress.current;
    if (p.pages === -1) return;
    if (!hasOlder || p.pages >= MAX_PAGES) {
      p.pages = -1;
      notify(hasOlder ? 'That message is further back; scroll up to reach it.' : 'That message is no longer in this conversation.');
      return;
    }
    p.pages += 1;
    loadOlder();
  }, [focus, found, loaded, loadingOlder, hasOlder, loadOlder, notify]);

  return found ? focus : null;
}
