/** One message bubble: text, time, its countdown if it disappears, its own padlock, status (outgoing), pin and retry actions. */
import { memo } from 'react';
import type { Message } from '../../../core/api/types.ts';
import { statusLabel } from '../format/labels.ts';
import { clockTime, fullDateTime } from '../format/time.ts';
import { ExpiryBadge } from './ExpiryBadge.tsx';
import { InvitationCard } from './InvitationCard.tsx';
import { MessageBody } from './MessageBody.tsx';
import { PinIcon } from './icons.tsx';
import { PadlockButton } from './Padlock.tsx';
import { ProtocolBadge } from './ProtocolBadge.tsx';

interface MessageItemProps {
  message: Message;
  /** Show the sender's name (incoming group messages, first of a run). */
  showSender: boolean;
  /** Show the protocol (the conversation spans several). */
  showProtocol: boolean;
  /** First of a run from the same sender: a little more space above. */
  firstOfRun: boolean;
  /** Show the subject above the text (it starts a thread or differs from the one before). */
  showSubject?: boolean;
  onPin: (message: Message, pinned: boolean) => void;
  onRetry: (message: Message) => void;
  /** For a message waiting for a safer route: send it now by what is available. */
  onSendNow: (message: Message) => void;
  onCancel: (message: Message) => void;
  /** The message changed here (an invitation answered). */
  onChanged: (message: Message) => void;
}

export const MessageItem = memo(function MessageItem({ message: m, showSender, showProtocol, firstOfRun, showSubject = false, onPin, onRetry, onSendNow, onCancel, onChanged }: MessageItemProps) {
  if (m.kind === 'system') {
    return (
      <div className="system-line" role="note" data-message-id={m.id}>
        <span>{m.text}</span>
        <time dateTime={new Date(m.sentAt).toISOString()} title={fullDateTime(m.sentAt)}>
          {clockTime(m.sentAt)}
        </time>
      </div>
    );
  }
  const status = statusLabel(m.status, m.error);
  return (
    <div
      className={`message message-${m.direction}${firstOfRun ? ' message-first' : ''}${m.pinned ? ' message-pinned' : ''}`}
      data-message-id={m.id}
    >
      <div className={`bubble${m.problem !== null ? ' bubble-problem' : ''}`}>
        {showSender && <div className="message-sender">{m.senderName}</div>}
        {m.deleted ? (
          <p className="message-deleted">Message deleted</p>
        ) : m.invitation ? (
          <InvitationCard message={m} onChanged={onChanged} />
        ) : (
          <MessageBody message={m} showSubject={showSubject} />
        )}
        <div className="message-meta">
          {m.pinned && (
            <span role="img" aria-label="Pinned" className="message-pin-flag">
              <PinIcon />
            </span>
          )}
          {showProtocol && <ProtocolBadge protocol={m.protocol} />}
          <time dateTime={new Date(m.sentAt).toISOString()} title={fullDateTime(m.sentAt)}>
            {clockTime(m.sentAt)}
          </time>
          {m.editedAt !== null && !m.deleted && (
            <span className="message-edited" title={`Edited ${fullDateTime(m.editedAt)}`}>
              edited
            </span>
          )}
          {m.expiresAt !== null && <ExpiryBadge expiresAt={m.expiresAt} />}
          <PadlockButton rating={m.rating} size="small" caption={false} />
          {status && <span className={`message-status status-${m.status}`}>{status}</span>}
        </div>
      </div>
      <div className="message-actions">
        {m.status === 'failed' && (
          <button type="button" className="text-button retry-button" onClick={() => onRetry(m)}>
            Retry
          </button>
        )}
 {m.status === 'waiting-route' && (
          <button type="button" className="text-button" onClick={() => onSendNow(m)}>
            Send now anyway
          </button>
        )}
        {(m.status === 'waiting-route' || m.status === 'queued') && (
          <button type="button" className="text-button" onClick={() => onCancel(m)}>
            Cancel
          </button>
        )}
        <button type="button" className="text-button message-pin" onClick={() => onPin(m, !m.pinned)}>
          {m.pinned ? 'Unpin message' : 'Pin message'}
        </button>
      </div>
    </div>
  );
});
