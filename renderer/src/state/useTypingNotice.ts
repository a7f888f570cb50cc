/**
 * Tells core when the user starts and stops typing. Core decides whether the peer is told
 * (only on green routes unless the user opted in); this only reports what the user does.
 */
import { useEffect, useRef } from 'react';
import { useBridge } from './bridgeContext.ts';

/** Typing counts as stopped after this long without a keystroke. */
const IDLE_MS = 5_000;

export function useTypingNotice(conversationId: string, draft: string): void {
  const bridge = useBridge();
  const typing = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const report = (value: boolean) => {
      if (typing.current === value) return;
      typing.current = value;
      // A notice that does not arrive changes nothing for the user: no error to show.
      bridge.call('conversations.typing', { conversationId, typing: value }).catch(() => undefined);
    };
    if (timer.current) clearTimeout(timer.current);
    if (draft.trim().length === 0) {
      report(false);
      return;
    }
    report(true);
    timer.current = setTimeout(() => report(false), IDLE_MS);
  }, [bridge, conversationId, draft]);

  // Leaving the conversation (or closing the view) ends typing.
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
      if (typing.current) bridge.call('conversations.typing', { conversationId, typing: false }).catch(() => undefined);
    },
    [bridge, conversationId],
  );
}
