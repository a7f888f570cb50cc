/**
 * The padlock's details, in a native popover: the top layer escapes scrolling containers and
 * works inside modal dialogs; the browser handles Escape, light dismiss and aria-expanded.
 */
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { Rating } from '../../../core/api/types.ts';
import { padlockName } from '../format/labels.ts';
import { LockGlyph } from './icons.tsx';
import { SecurityReasons } from './SecurityReasons.tsx';

const GAP = 6;
const MARGIN = 8;

/** Places the popover under its invoker (or above when there is no room), inside the viewport. */
function placeNear(popover: HTMLElement, anchor: Element): void {
  const a = anchor.getBoundingClientRect();
  const p = popover.getBoundingClientRect();
  const below = a.bottom + GAP;
  const top = below + p.height + MARGIN > window.innerHeight ? Math.max(MARGIN, a.top - GAP - p.height) : below;
  const left = Math.min(Math.max(MARGIN, a.left + a.width / 2 - p.width / 2), window.innerWidth - p.width - MARGIN);
  popover.style.top = `${top}px`;
  popover.style.left = `${left}px`;
}

interface SecurityPopoverProps {
  id: string;
  rating: Rating;
  /** The button that opens it, to place the popover next to. */
  anchorRef: RefObject<HTMLElement | null>;
}

export function SecurityPopover({ id, rating, anchorRef }: SecurityPopoverProps) {
  const ref = useRef<HTMLDivElement>(null);
  // Content renders only while open: a long log holds hundreds of these.
  const [open, setOpen] = useState(false);

  useEffect(() => {
    const popover = ref.current;
    if (!popover) return;
    const onToggle = (event: Event) => setOpen((event as ToggleEvent).newState === 'open');
    popover.addEventListener('toggle', onToggle);
    return () => popover.removeEventListener('toggle', onToggle);
  }, []);

  // Before paint, so the popover never flashes at the corner.
  useLayoutEffect(() => {
    const popover = ref.current;
    const anchor = anchorRef.current;
    if (!open || !popover || !anchor) return;
    const place = () => placeNear(popover, anchor);
    place();
    window.addEventListener('resize', place);
    return () => window.removeEventListener('resize', place);
  }, [open, anchorRef]);

  return (
    <div ref={ref} id={id} popover="auto" className="popover security-popover" role="dialog" aria-label="Security details">
      {open && (
        <>
          <div className={`security-head padlock-${rating.colour}`}>
            <LockGlyph colour={rating.colour} className="security-head-icon" />
            <div>
              <div className="security-title">{padlockName(rating)}</div>
              <div className="security-caption">{rating.caption}</div>
            </div>
          </div>
          <p className="security-summary">{rating.summary}</p>
          <SecurityReasons rating={rating} />
        </>
      )}
    </div>
  );
}
