/** A disappearing message's countdown: a small stopwatch and what is left ("59m"), named in full for screen readers. */
import { useEffect, useState } from 'react';
import { remainingLabel, remainingShort, untilLabelChanges } from '../format/disappearing.ts';
import { TimerIcon } from './icons.tsx';

/**
 * Re-renders exactly when the words change (each minute while minutes are shown, each second in
 * the last minute), not on a fixed tick: a long log of disappearing messages stays idle.
 */
function useRemaining(expiresAt: number): number {
  const [now, setNow] = useState(() => Date.now());
  const remaining = Math.max(0, expiresAt - now);
  useEffect(() => {
    if (remaining <= 0) return;
    const timer = setTimeout(() => setNow(Date.now()), untilLabelChanges(remaining));
    return () => clearTimeout(timer);
  }, [remaining]);
  return remaining;
}

export function ExpiryBadge({ expiresAt }: { expiresAt: number }) {
  const remaining = useRemaining(expiresAt);
  // Core deletes it at the deadline; until its removal arrives, say so rather than "0s".
  const label = remaining > 0 ? `Disappears in ${remainingLabel(remaining)}` : 'Disappearing now';
  return (
    <span className="message-expiry" role="img" aria-label={label} title={label}>
      <TimerIcon />
      {remaining > 0 && <span aria-hidden="true">{remainingShort(remaining)}</span>}
    </span>
  );
}
