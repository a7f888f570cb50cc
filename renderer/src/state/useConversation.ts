/** One conversation's summary (header, composer padlock, unread count), live through events. */
import { useEffect, useState } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { ApiCallError } from '../../bridge/index.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { useNotify } from './notify.tsx';

export type ConversationState =
  | { kind: 'loading' }
  | { kind: 'ready'; conversation: ConversationSummary }
  | { kind: 'gone' };

/** Mount once per conversation (key the caller by id): `initial` seeds it without a flash. */
export function useConversation(conversationId: string, initial: ConversationSummary | undefined): ConversationState {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const notify = useNotify();
  const [state, setState] = useState<ConversationState>(() =>
    initial ? { kind: 'ready', conversation: initial } : { kind: 'loading' },
  );

  useEffect(() => {
    let live = true;
    bridge.call('conversations.get', { conversationId }).then(
      (conversation) => live && setState({ kind: 'ready', conversation }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof ApiCallError && error.code === 'not-found') setState({ kind: 'gone' });
        else notify(`Couldn't open the conversation: ${describeError(error)}`);
      },
    );
    return () => {
      live = false;
    };
  }, [bridge, conversationId, epoch, notify]);

  useApiEvent((event) => {
    if (event.type === 'conversation.updated' && event.conversation.id === conversationId) {
      setState({ kind: 'ready', conversation: event.conversation });
    } else if (event.type === 'conversation.removed' && event.conversationId === conversationId) {
      setState({ kind: 'gone' });
    }
  });

  return state;
}
