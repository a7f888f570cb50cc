/** Pinned messages above the log: the latest one, and the rest on demand. */
import { useState } from 'react';
import type { Message } from '../../../core/api/types.ts';
import { clockTime } from '../format/time.ts';
import { PinIcon } from './icons.tsx';

interface PinnedStripProps {
  pinned: Message[];
  onUnpin: (message: Message) => void;
}

export function PinnedStrip({ pinned, onUnpin }: PinnedStripProps) {
  const [expanded, setExpanded] = useState(false);
  const latest = pinned[pinned.length - 1];
  if (!latest) return null;
  const shown = expanded ? [...pinned].reverse() : [latest];
  return (
    <section className="pinned-strip" aria-label="Pinned messages">
      <PinIcon className="pinned-icon" />
      <ul className="pinned-list">
        {shown.map((m) => (
          <li key={m.id} className="pinned-item">
            <span className="pinned-sender">{m.direction === 'out' ? 'You' : m.senderName}</span>
            <span className="pinned-text">{m.text}</span>
            <span className="pinned-time">{clockTime(m.sentAt)}</span>
            <button type="button" className="text-button" aria-label={`Unpin message: ${m.text.slice(0, 40)}`} onClick={() => onUnpin(m)}>
              Unpin
            </button>
          </li>
        ))}
      </ul>
      {pinned.length > 1 && (
        <button type="button" className="text-button pinned-more" aria-expanded={expanded} onClick={() => setExpanded((e) => !e)}>
          {expanded ? 'Show less' : `${pinned.length} pinned`}
        </button>
      )}
    </section>
  );
}
