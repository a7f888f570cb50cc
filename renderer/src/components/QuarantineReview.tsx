/**
 * Accepts of the user's invites that came too fast to be the people it was meant for (a link
 * posted in public): a banner that says how many, and the dialog to let each one in or not.
 */
import { useRef, useState } from 'react';
import type { QuarantineEntry } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { fullDateTime, relativeTime } from '../format/time.ts';
import { useNotify } from '../state/notify.tsx';
import { useNow } from '../state/useNow.ts';
import type { QuarantineState } from '../state/useQuarantine.ts';
import { Dialog } from './Dialog.tsx';
import { ShieldIcon } from './icons.tsx';

export function QuarantineBanner({ count, onReview }: { count: number; onReview: () => void }) {
  if (count === 0) return null;
  return (
    <button type="button" className="quarantine-banner" onClick={onReview}>
      <ShieldIcon className="quarantine-banner-icon" />
      <span>
        {count === 1 ? '1 person' : `${count} people`} accepted your invite very quickly — review them
      </span>
    </button>
  );
}

function EntryRow({ entry, now, busy, onDecide }: { entry: QuarantineEntry; now: number; busy: boolean; onDecide: (accept: boolean) => void }) {
  return (
    <li className="quarantine-entry">
      <div className="quarantine-entry-main">
        <span className="quarantine-name">{entry.displayName}</span>
        <span className="muted">
          {entry.inviteLabel.trim() ? `used “${entry.inviteLabel}”` : 'used your invite'} ·{' '}
          <time dateTime={new Date(entry.arrivedAt).toISOString()} title={fullDateTime(entry.arrivedAt)}>
            {relativeTime(entry.arrivedAt, now)}
          </time>
        </span>
      </div>
      <button type="button" className="button button-small" aria-label={`Accept ${entry.displayName}`} disabled={busy} onClick={() => onDecide(true)}>
        Accept
      </button>
      <button type="button" className="button button-small button-danger" aria-label={`Reject ${entry.displayName}`} disabled={busy} onClick={() => onDecide(false)}>
        Reject
      </button>
    </li>
  );
}

export function QuarantineDialog({ quarantine, onClose }: { quarantine: QuarantineState; onClose: () => void }) {
  const { entries, decide } = quarantine;
  const notify = useNotify();
  const now = useNow();
  const [busy, setBusy] = useState(false);
  const bodyRef = useRef<HTMLDivElement>(null);

  const run = (chosen: QuarantineEntry[], accept: boolean) => {
    setBusy(true);
    decide(chosen, accept).then(
      () => {
        setBusy(false);
        // The row with focus is gone: move to the next one, or to Done.
        requestAnimationFrame(() => bodyRef.current?.querySelector<HTMLElement>('.quarantine-entry button, [data-done]')?.focus());
      },
      (error: unknown) => {
        setBusy(false);
        notify(`Couldn't ${accept ? 'accept' : 'reject'}: ${describeError(error)}`);
      },
    );
  };

  return (
    <Dialog label="Review invite accepts" onClose={onClose} className="quarantine-dialog" dismissible>
      <div ref={bodyRef}>
        <h2 className="dialog-title">Review invite accepts</h2>
        {entries.length === 0 ? (
          <p className="dialog-text">Nothing left to review.</p>
        ) : (
          <>
            <p className="dialog-text">
              Your invite was used more often than usual in a short time, so Switchboard held these people back. Let in only
              the ones you know; the names are the ones they chose.
            </p>
            <ul className="quarantine-list" aria-label="Held accepts">
              {entries.map((entry) => (
                <EntryRow key={entry.id} entry={entry} now={now} busy={busy} onDecide={(accept) => run([entry], accept)} />
              ))}
            </ul>
          </>
        )}
        <div className="dialog-actions">
          {entries.length > 1 && (
            <>
              <button type="button" className="button button-danger" disabled={busy} onClick={() => run(entries, false)}>
                Reject all
              </button>
              <button type="button" className="button" disabled={busy} onClick={() => run(entries, true)}>
                Accept all
              </button>
            </>
          )}
          <button type="button" className="button button-primary" data-done onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </Dialog>
  );
}
