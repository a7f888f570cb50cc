/**
 * THE padlock. It only shows the `rating` core computed; it never derives a colour or score.
 * Accessible name everywhere: exactly `Security: <colour>, <score>%`.
 */
import { useId, useRef } from 'react';
import type { Rating } from '../../../core/api/types.ts';
import { padlockName } from '../format/labels.ts';
import { usePadlockStyle } from '../state/settings.tsx';
import { LockGlyph } from './icons.tsx';
import { SecurityPopover } from './SecurityPopover.tsx';

interface PadlockProps {
  rating: Rating;
  size?: 'small' | 'normal';
}

/** Non-interactive, for places where the surrounding element is the control (list rows). */
export function PadlockBadge({ rating, size = 'small' }: PadlockProps) {
  return (
    <span role="img" aria-label={padlockName(rating)} className={`padlock padlock-${rating.colour} padlock-${size}`}>
      <LockGlyph colour={rating.colour} />
    </span>
  );
}

/**
 * A button that opens the rating's summary and reasons. `caption` adds the short words
 * ("Encrypted") in `explain` style; message padlocks stay icon-only to keep bubbles calm.
 */
export function PadlockButton({ rating, size = 'normal', caption = true }: PadlockProps & { caption?: boolean }) {
  const style = usePadlockStyle();
  const popoverId = `${useId()}-security`;
  const showCaption = caption && style === 'explain';
  const buttonRef = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        className={`padlock padlock-button padlock-${rating.colour} padlock-${size}`}
        aria-label={padlockName(rating)}
        title={`${rating.caption} · ${rating.score}%`}
        popoverTarget={popoverId}
      >
        <LockGlyph colour={rating.colour} />
        {showCaption && <span className="padlock-caption">{rating.caption}</span>}
      </button>
      <SecurityPopover id={popoverId} rating={rating} anchorRef={buttonRef} />
    </>
  );
}
