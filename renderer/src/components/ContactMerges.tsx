/**
 * The contact card's list of contacts merged into this one, each with Undo merge — or, when a
 * later merge has to be undone first, core's words for why not.
 */
import { useState } from 'react';
import type { ContactMerge } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { fullDateTime } from '../format/time.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';

/** "Merged here": the merges into a contact that stand, newest first. */
export function ContactMerges({ merges, onChanged }: { merges: ContactMerge[]; onChanged: () => void }) {
  const bridge = useBridge();
  const notify = useNotify();
  const [busy, setBusy] = useState<string | null>(null);
  if (merges.length === 0) return null;

  const undo = (m: ContactMerge) => {
    setBusy(m.id);
    bridge.call('contacts.unmerge', { mergeId: m.id }).then(
      () => {
        setBusy(null);
        notify(`${m.displayName} is a contact of their own again, with their messages.`);
        onChanged();
      },
      (error: unknown) => {
        setBusy(null);
        notify(`Couldn't undo the merge: ${describeError(error)}`);
      },
    );
  };

  return (
    <section className="contact-merges" aria-labelledby="contact-merges-title">
      <h3 id="contact-merges-title" className="contact-section-title">
        Merged here
      </h3>
      <ul className="contact-invite-list">
        {merges.map((m) => (
          <li key={m.id} className="contact-invite">
            <span>
              {m.displayName}, merged {fullDateTime(m.mergedAt)}
            </span>
            {m.undoBlocked === null ? (
              <button type="button" className="button button-small" disabled={busy === m.id} aria-label={`Undo merge of ${m.displayName}`} onClick={() => undo(m)}>
                Undo merge
              </button>
            ) : (
              <span className="contact-merge-blocked">{m.undoBlocked}</span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
