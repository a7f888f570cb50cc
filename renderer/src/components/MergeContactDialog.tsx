/**
 * Merge contacts, opened from a contact card: pick the other contact by name, read in plain words
 * what will happen, merge. The other contact's routes and messages join this one; the card behind
 * then lists the merge with Undo merge (notices carry no buttons, so undo lives there).
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { Contact, ContactBrief } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { PROTOCOL_LABEL } from '../format/labels.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';
import { Dialog } from './Dialog.tsx';

interface MergeContactDialogProps {
  /** The contact whose card opened this: the other one joins it and keeps its name. */
  contact: Contact;
  onClose: () => void;
  /** After a merge: the card reloads to show the new routes and the undo. */
  onMerged: () => void;
}

const protocolsOf = (c: ContactBrief) => c.protocols.map((p) => PROTOCOL_LABEL[p]).join(', ');

/** The Merge contacts dialog: choose, confirm, merge. */
export function MergeContactDialog({ contact, onClose, onMerged }: MergeContactDialogProps) {
  const id = useId();
  const bridge = useBridge();
  const notify = useNotify();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<ContactBrief[] | null>(null);
  const [chosen, setChosen] = useState<ContactBrief | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  // Each step change moves focus into the new step: the button pressed is gone.
  const confirmText = useRef<HTMLParagraphElement>(null);
  const choices = useRef<HTMLFieldSetElement>(null);
  const steppedBack = useRef(false);
  useEffect(() => {
    if (confirming) confirmText.current?.focus();
    else if (steppedBack.current) choices.current?.querySelector<HTMLInputElement>('input:checked')?.focus();
  }, [confirming]);

  useEffect(() => {
    let live = true;
    bridge.call('contacts.list', { query, limit: 50 }).then(
      (list) => live && setFound(list.filter((c) => c.id !== contact.id)),
      (error: unknown) => live && setFailure(`Couldn't list contacts: ${describeError(error)}`),
    );
    return () => {
      live = false;
    };
  }, [bridge, query, contact.id]);

  const merge = () => {
    if (!chosen) return;
    setBusy(true);
    setFailure(null);
    bridge.call('contacts.merge', { fromContactId: chosen.id, intoContactId: contact.id }).then(
      () => {
        notify(`${chosen.displayName} joined ${contact.displayName}. Undo merge is in the contact card.`);
        onMerged();
      },
      (error: unknown) => {
        setBusy(false);
        setFailure(`Couldn't merge: ${describeError(error)}`);
      },
    );
  };

  return (
    <Dialog label="Merge contacts" onClose={onClose} dismissible>
      <h2 className="dialog-title">Merge contacts</h2>
      {confirming && chosen ? (
        <p className="merge-confirm" ref={confirmText} tabIndex={-1}>
          <strong>{chosen.displayName}</strong> ({protocolsOf(chosen)}) and their messages join <strong>{contact.displayName}</strong>: one
          contact, one conversation. You can undo this from the contact card.
        </p>
      ) : (
        <>
          <p className="merge-explain">
            Someone in your contacts twice (by email and on another network, say)? Merge them: their messages are then in one conversation,
            and Switchboard sends by whichever of their routes is safest.
          </p>
          <div className="field">
            <label htmlFor={`${id}-find`}>Find the other contact</label>
            <input id={`${id}-find`} type="search" autoComplete="off" data-autofocus value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
          <fieldset className="merge-choices" ref={choices}>
            <legend className="sr-only">Contacts</legend>
            {found === null && !failure && <p role="status">Loading…</p>}
            {found?.length === 0 && <p className="muted">No other contact {query ? 'with that name' : 'yet'}.</p>}
            {found?.map((c) => (
              <label key={c.id} className="merge-choice">
                <input type="radio" name={`${id}-contact`} checked={chosen?.id === c.id} onChange={() => setChosen(c)} />
                <span className="merge-choice-name">{c.displayName}</span>
                <span className="merge-choice-protocols">{protocolsOf(c)}</span>
              </label>
            ))}
          </fieldset>
        </>
      )}
      {failure && (
        <p className="dialog-text" role="alert">
          {failure}
        </p>
      )}
      <div className="dialog-actions">
        {confirming ? (
          <>
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => {
                steppedBack.current = true;
                setConfirming(false);
              }}
            >
              Back
            </button>
            <button type="button" className="button button-primary" disabled={busy} onClick={merge}>
              Merge
            </button>
          </>
        ) : (
          <>
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="button button-primary" disabled={!chosen} onClick={() => setConfirming(true)}>
              Continue
            </button>
          </>
        )}
      </div>
    </Dialog>
  );
}
