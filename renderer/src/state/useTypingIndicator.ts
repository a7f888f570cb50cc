/**
 * Who is typing in a conversation, from core's `conversation.typing` notices. A notice that is not
 * repeated ends by itself (a peer whose client went away never says "stopped"), and a message from
 * someone ends their typing.
 */
import { useEffect, useState } from 'react';
import { useApiEvent } from './bridgeContext.ts';

/** How long "typing" shows without a new notice (clients repeat "composing" well within this). */
const TYPING_SHOWS_MS = 30_000;

const NOBODY: ReadonlyMap<string, number> = new Map();

export function useTypingIndicator(conversationId: string): string[] {
  // Kept with the conversation it is about: another conversation opened starts with nobody typing.
  const [state, setState] = useState<{ conversationId: string; typing: ReadonlyMap<string, number> }>({ conversationId, typing: NOBODY });
  const typing = state.conversationId === conversationId ? state.typing : NOBODY;
  const setTyping = (update: (before: ReadonlyMap<string, number>) => ReadonlyMap<string, number>) =>
    setState((s) => {
      const before = s.conversationId === conversationId ? s.typing : NOBODY;
      const next = update(before);
      return next === before && s.conversationId === conversationId ? s : { conversationId, typing: next };
    });

  useApiEvent((event) => {
    if (event.type === 'conversation.typing' && event.conversationId === conversationId) {
      setTyping((before) => {
        const next = new Map(before);
        if (event.typing) next.set(event.name, Date.now() + TYPING_SHOWS_MS);
        else next.delete(event.name);
        return next;
      });
    } else if (event.type === 'message.added' && event.message.conversationId === conversationId && event.message.direction === 'in') {
      const name = event.message.senderName;
      setTyping((before) => {
        if (!before.has(name)) return before;
        const next = new Map(before);
        next.delete(name);
        return next;
      });
    }
  });

  useEffect(() => {
    if (typing.size === 0) return;
    const first = Math.min(...typing.values());
    const timer = setTimeout(
      () => setState((s) => ({ ...s, typing: new Map([...s.typing].filter(([, until]) => until > Date.now())) })),
      Math.max(0, first - Date.now()) + 50,
    );
    return () => clearTimeout(timer);
  }, [typing]);

  return [...typing.keys()];
}

/** "Ada is typing…", "Ada and Bob are typing…", "3 people are typing…". */
export function typingText(names: readonly string[]): string | null {
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
