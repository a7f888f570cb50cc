/**
 * The message log. Opens at the newest message, loads older pages when scrolled near the top
 * (keeping the reader's place), and follows new messages only when the reader is at the bottom.
 */
import { Fragment, useLayoutEffect, useRef, type ReactNode } from 'react';
import type { Message } from '../../../core/api/types.ts';
import { showsSubject, threadKey } from '../format/mail.ts';
import { dayLabel, sameDay } from '../format/time.ts';
import type { FocusRequest } from '../state/useFocusMessage.ts';
import type { MessageWindow } from '../state/useMessages.ts';
import { useNow } from '../state/useNow.ts';
import { DaySeparator } from './DaySeparator.tsx';
import { MessageItem } from './MessageItem.tsx';

/** Load older messages when the reader is this close to the top (px). */
const LOAD_OLDER_AT = 400;
/** Within this distance of the bottom (px) the reader counts as "at the bottom". */
const STICKY_BOTTOM = 80;
/** Messages of one sender this close together form a run (one name, tighter spacing). */
const RUN_GAP_MS = 5 * 60_000;

interface MessageListProps {
  window: MessageWindow;
  /** A loaded message to scroll to and highlight once per request (a search hit). */
  focused: FocusRequest | null;
  isGroup: boolean;
  multiProtocol: boolean;
  onPin: (message: Message, pinned: boolean) => void;
  onRetry: (message: Message) => void;
  onSendNow: (message: Message) => void;
  onCancel: (message: Message) => void;
  onChanged: (message: Message) => void;
}

export function MessageList({ window: w, focused, isGroup, multiProtocol, onPin, onRetry, onSendNow, onCancel, onChanged }: MessageListProps) {
  const ref = useRef<HTMLDivElement>(null);
  const now = useNow(60_000);
  // Distance from the bottom before the last render, to keep the place when older pages land.
  const fromBottom = useRef(0);
  const atBottom = useRef(true);
  const edges = useRef<{ first: string | undefined; last: string | undefined }>({ first: undefined, last: undefined });
  const shownFocus = useRef<number | null>(null);

  const first = w.messages[0];
  const last = w.messages[w.messages.length - 1];

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const before = edges.current;
    edges.current = { first: first?.id, last: last?.id };
    const appended = last?.id !== before.last;
    if (before.last === undefined || (appended && (atBottom.current || last?.direction === 'out'))) {
      el.scrollTop = el.scrollHeight;
    } else if (!appended) {
      // Content above changed (older page, loading note): hold the reader's place from the bottom.
      el.scrollTop = el.scrollHeight - el.clientHeight - fromBottom.current;
    }
    if (focused && shownFocus.current !== focused.seq) {
      const target = el.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(focused.messageId)}"]`);
      if (target) {
        shownFocus.current = focused.seq;
        target.scrollIntoView({ block: 'center' });
        // A transient highlight, so the eye finds the hit; React does not own this class.
        target.classList.add('message-focused');
        setTimeout(() => target.classList.remove('message-focused'), 2_500);
        atBottom.current = false;
      }
    }
    fromBottom.current = el.scrollHeight - el.clientHeight - el.scrollTop;
    // Too few messages to scroll: there is no scroll event to ask for more, so ask now.
    if (el.scrollHeight <= el.clientHeight + LOAD_OLDER_AT && w.hasOlder) w.loadOlder();
  });

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    fromBottom.current = el.scrollHeight - el.clientHeight - el.scrollTop;
    atBottom.current = fromBottom.current <= STICKY_BOTTOM;
    if (el.scrollTop < LOAD_OLDER_AT && w.hasOlder) w.loadOlder();
  };

  const rows: ReactNode[] = [];
  let previous: Message | undefined;
  // The thread of the last message with a subject: a subject shows when it starts or changes one.
  let lastThread: string | null = null;
  for (const m of w.messages) {
    const showSubject = showsSubject(m.subject, lastThread);
    if (m.subject) lastThread = threadKey(m.subject);
    if (!previous || !sameDay(previous.sentAt, m.sentAt)) {
      rows.push(<DaySeparator key={`day-${m.id}`} label={dayLabel(m.sentAt, now)} />);
    }
    const firstOfRun =
      !previous ||
      previous.direction !== m.direction ||
      previous.senderName !== m.senderName ||
      m.sentAt - previous.sentAt > RUN_GAP_MS ||
      !sameDay(previous.sentAt, m.sentAt);
    rows.push(
      <Fragment key={m.id}>
        <MessageItem
          message={m}
          showSender={isGroup && m.direction === 'in' && firstOfRun}
          showProtocol={multiProtocol}
          firstOfRun={firstOfRun}
          showSubject={showSubject}
          onPin={onPin}
          onRetry={onRetry}
          onSendNow={onSendNow}
          onCancel={onCancel}
          onChanged={onChanged}
        />
      </Fragment>,
    );
    previous = m;
  }

  return (
    <div ref={ref} className="message-log" role="log" aria-label="Messages" aria-busy={!w.loaded} onScroll={onScroll}>
      <div className="message-log-inner">
        {w.loaded && !w.hasOlder && w.messages.length > 0 && <p className="log-start">This is the start of the conversation.</p>}
        {w.loadingOlder && (
          <p className="log-start" role="status">
            Loading older messages…
          </p>
        )}
        {w.loaded && w.messages.length === 0 && <p className="log-empty">No messages yet. Say hello!</p>}
        {rows}
      </div>
    </div>
  );
}
