/** How many message requests wait, for the Requests tab's badge; live through events. */
import { useEffect, useState } from 'react';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { inFolder } from './conversationOrder.ts';

/** Counting stops here: the badge shows "99+" past it. */
export const REQUEST_COUNT_LIMIT = 100;

export interface RequestCount {
  count: number;
  /** More requests wait than were counted. */
  more: boolean;
}

export function useRequestCount(): RequestCount {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [ids, setIds] = useState<ReadonlySet<string>>(() => new Set());
  const [more, setMore] = useState(false);

  useEffect(() => {
    let live = true;
    bridge.call('conversations.list', { folder: 'requests', limit: REQUEST_COUNT_LIMIT }).then(
      (page) => {
        if (!live) return;
        setIds(new Set(page.items.map((c) => c.id)));
        setMore(page.nextCursor !== null);
      },
      // The badge is a hint; the Requests tab itself reports a failed load.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [bridge, epoch]);

  useApiEvent((event) => {
    if (event.type === 'conversation.updated') {
      const { id } = event.conversation;
      const request = inFolder(event.conversation, 'requests');
      setIds((held) => {
        if (held.has(id) === request) return held;
        const next = new Set(held);
        if (request) next.add(id);
        else next.delete(id);
        return next;
      });
    } else if (event.type === 'conversation.removed') {
      setIds((held) => {
        if (!held.has(event.conversationId)) return held;
        const next = new Set(held);
        next.delete(event.conversationId);
        return next;
      });
    }
  });

  return { count: ids.size, more };
}
