/**
 * The loaded window of one conversation's messages: the newest page first, older pages on
 * demand through the `messages.page` cursor, and live additions, status changes and removals
 * (disappearing messages) from events.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Message } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { mergeFreshPage, upsertMessages } from './messageOrder.ts';
import { useNotify } from './notify.tsx';

const PAGE_SIZE = 50;

interface MessagesState {
  messages: Message[];
  /** Cursor for the next older page; null when the start of the conversation is loaded. */
  olderCursor: string | null;
  loaded: boolean;
  loadingOlder: boolean;
  /** The servers may have history older than what is stored (until one says they have no more). */
  remoteOlder: boolean;
}

export interface MessageWindow extends MessagesState {
  hasOlder: boolean;
  loadOlder: () => void;
  /** Adds a message core just returned (a send); its event may come before or after. */
  upsert: (message: Message) => void;
}

/** Mount once per conversation (key the caller by id). */
export function useMessages(conversationId: string): MessageWindow {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const notify = useNotify();
  const [state, setState] = useState<MessagesState>({ messages: [], olderCursor: null, loaded: false, loadingOlder: false, remoteOlder: true });
  const loadingOlder = useRef(false);
  // Bumped when core says the conversation's messages changed wholesale (a merge): start afresh.
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    bridge.call('messages.page', { conversationId, limit: PAGE_SIZE }).then(
      (page) => {
        if (!live) return;
        setState((s) => ({
          ...s,
          messages: s.loaded ? mergeFreshPage(s.messages, page.items, Date.now()) : upsertMessages(s.messages, page.items),
          // After a reconnect keep the older cursor we had: those pages are still loaded.
          olderCursor: s.loaded ? s.olderCursor : page.nextCursor,
          loaded: true,
        }));
      },
      (error: unknown) => live && notify(`Couldn't load messages: ${describeError(error)}`),
    );
    return () => {
      live = false;
    };
  }, [bridge, conversationId, epoch, reload, notify]);

  const { olderCursor, loaded, remoteOlder } = state;
  const loadOlder = useCallback(() => {
    if (loadingOlder.current || !loaded || (olderCursor === null && !remoteOlder)) return;
    loadingOlder.current = true;
    setState((s) => ({ ...s, loadingOlder: true }));
    if (olderCursor === null) {
      // Everything stored is shown: ask the servers for older history (Matrix); it arrives as
      // message events, placed by time like any other.
      bridge.call('conversations.fetchHistory', { conversationId }).then(
        (r) => {
          loadingOlder.current = false;
          setState((s) => ({ ...s, loadingOlder: false, remoteOlder: r.more }));
        },
        (error: unknown) => {
          loadingOlder.current = false;
          setState((s) => ({ ...s, loadingOlder: false, remoteOlder: false }));
          notify(`Couldn't load older messages: ${describeError(error)}`);
        },
      );
      return;
    }
    bridge.call('messages.page', { conversationId, cursor: olderCursor, limit: PAGE_SIZE }).then(
      (page) => {
        loadingOlder.current = false;
        setState((s) => ({
          ...s,
          messages: upsertMessages(s.messages, page.items),
          olderCursor: page.nextCursor,
          loadingOlder: false,
        }));
      },
      (error: unknown) => {
        loadingOlder.current = false;
        setState((s) => ({ ...s, loadingOlder: false }));
        notify(`Couldn't load older messages: ${describeError(error)}`);
      },
    );
  }, [bridge, conversationId, olderCursor, loaded, remoteOlder, notify]);

  const upsert = useCallback((message: Message) => {
    setState((s) => ({ ...s, messages: upsertMessages(s.messages, [message]) }));
  }, []);

  useApiEvent((event) => {
    if (event.type === 'conversation.reloaded') {
      if (event.conversationId !== conversationId) return;
      setState({ messages: [], olderCursor: null, loaded: false, loadingOlder: false, remoteOlder: true });
      setReload((r) => r + 1);
      return;
    }
    if (event.type === 'message.removed') {
      // A disappearing message ran out: it leaves the log at once.
      if (event.conversationId !== conversationId) return;
      setState((s) => (s.messages.some((m) => m.id === event.messageId) ? { ...s, messages: s.messages.filter((m) => m.id !== event.messageId) } : s));
      return;
    }
    if (event.type !== 'message.added' && event.type !== 'message.updated') return;
    const { message } = event;
    if (message.conversationId !== conversationId) return;
    setState((s) => {
      // An update to a message older than the loaded window arrives with its page later.
      const oldest = s.messages[0];
      if (event.type === 'message.updated' && s.olderCursor !== null && oldest && message.sentAt < oldest.sentAt) return s;
      return { ...s, messages: upsertMessages(s.messages, [message]) };
    });
  });

  return { ...state, hasOlder: state.loaded && (state.olderCursor !== null || state.remoteOlder), loadOlder, upsert };
}
