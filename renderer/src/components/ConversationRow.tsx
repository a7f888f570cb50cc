/** One row of the conversation list: an option whose name is the title, details as description. */
import { memo } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { fullDateTime, relativeTime } from '../format/time.ts';
import { Avatar } from './Avatar.tsx';
import { MuteIcon, PinIcon } from './icons.tsx';
import { PadlockBadge } from './Padlock.tsx';
import { ProtocolBadges } from './ProtocolBadge.tsx';

interface ConversationRowProps {
  conversation: ConversationSummary;
  index: number;
  /** Where the row sits in the virtual list (px from the top). */
  top: number;
  selected: boolean;
  /** The one row in the tab order (roving tabindex). */
  tabbable: boolean;
  now: number;
  onOpen: (id: string) => void;
  onFocusRow: (id: string) => void;
}

export const ConversationRow = memo(function ConversationRow({
  conversation: c,
  index,
  top,
  selected,
  tabbable,
  now,
  onOpen,
  onFocusRow,
}: ConversationRowProps) {
  const idBase = `conversation-${index}`;
  const unread = c.unreadCount > 0;
  return (
    <div
      role="option"
      id={idBase}
      data-index={index}
      data-conversation-id={c.id}
      aria-selected={selected}
      aria-label={c.title}
      aria-describedby={`${idBase}-detail`}
      tabIndex={tabbable ? 0 : -1}
      className={`row${selected ? ' row-selected' : ''}${unread ? ' row-unread' : ''}${c.muted ? ' row-muted' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      onClick={() => onOpen(c.id)}
      onFocus={() => onFocusRow(c.id)}
    >
      <Avatar id={c.id} title={c.title} />
      <div className="row-main">
        <div className="row-line">
          <span className="row-title">{c.title}</span>
          {c.pinned && (
            <span role="img" aria-label="Pinned" className="row-flag">
              <PinIcon />
            </span>
          )}
          {c.muted && (
            <span role="img" aria-label="Muted" className="row-flag">
              <MuteIcon />
            </span>
          )}
          <time className="row-time" dateTime={new Date(c.lastActivityAt).toISOString()} title={fullDateTime(c.lastActivityAt)}>
            {relativeTime(c.lastActivityAt, now)}
          </time>
        </div>
        <div className="row-line" id={`${idBase}-detail`}>
          <PadlockBadge rating={c.rating} />
          <span className="row-preview">{c.lastMessagePreview ?? 'No messages yet'}</span>
          <ProtocolBadges protocols={c.protocols} />
          {unread && (
            <span className={`unread${c.muted ? ' unread-muted' : ''}`}>
              <span aria-hidden="true">{c.unreadCount > 999 ? '999+' : c.unreadCount}</span>
              <span className="sr-only">, {c.unreadCount} unread</span>
            </span>
          )}
        </div>
      </div>
    </div>
  );
});
