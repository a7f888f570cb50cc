/** The pinned messages of one conversation, for the strip above the log. */
import { useEffect, useState } from 'react';
import type { Message } from '../../../core/api/types.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { compareMessages } from './messageOrder.ts';

/** Mount once per conversation (key the caller by id). */
export function usePinnedMessages(conversationId: string): Message[] {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [pinned, setPinned] = useState<Message[]>([]);

  useEffect(() => {
    let live = true;
    bridge.call('messages.pinned', { conversationId }).then(
      (list) => live && setPinned([...list].sort(compareMessages)),
      // The strip is an extra; the log still shows every message and its pin state.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [bridge, conversationId, epoch]);

  useApiEvent((event) => {
    if (event.type === 'message.removed') {
      if (event.conversationId === conversationId) setPinned((list) => (list.some((m) => m.id === event.messageId) ? list.filter((m) => m.id !== event.messageId) : list));
      return;
    }
    if (event.type !== 'message.updated' && event.type !== 'message.added') return;
    const { message } = event;
    if (message.conversationId !== conversationId) return;
    setPinned((list) => {
      const without = list.filter((m) => m.id !== message.id);
      if (!message.pinned) return without.length === list.length ? list : without;
      return [...without, message].sort(compareMessages);
    });
  });

  return pinned;
}
