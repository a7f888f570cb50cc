/**
 * Merge with another contact, inside the contact card: find the other contact by name, read what
 * will happen, merge. The other contact's routes and messages join this one; undo is on the card.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { Contact, ContactBrief } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { PROTOCOL_LABEL } from '../format/labels.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';

interface MergeContactPanelProps {
  contact: Contact;
  onBack: () => void;
  onMerged: () => void;
}

export function MergeContactPanel({ contact, onBack, onMerged }: MergeContactPanelProps) {
  const id = useId();
  const bridge = useBridge();
  const notify = useNotify();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<ContactBrief[] | null>(null);
  const [chosen, setChosen] = useState<ContactBrief | null>(null);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  useEffect(() => {
    let live = true;
    bridge.call('contacts.list', { query, limit: 50 }).then(
      (list) => live && setFound(list.filter((c) => c.id !== contact.id)),
      (error: unknown) => live && notify(`Couldn't list contacts: ${describeError(error)}`),
    );
    return () => {
      live = false;
    };
  }, [bridge, notify, query, contact.id]);

  const merge = () => {
    if (!chosen) return;
    setBusy(true);
    bridge.call('contacts.merge', { fromContactId: chosen.id, intoContactId: contact.id }).then(
      () => {
        setBusy(false);
        notify(`${chosen.displayName} is now part of ${contact.displayName}. You can undo this in the contact details.`);
        onMerged();
      },
      (error: unknown) => {
        setBusy(false);
        notify(`Couldn't merge: ${describeError(error)}`);
      },
    );
  };

  return (
    <section className="merge-panel" aria-labelledby={`${id}-title`}>
      <div className="safety-head">
        <h3 id={`${id}-title`} className="safety-title" ref={headingRef} tabIndex={-1}>
          Merge contacts
        </h3>
        <button type="button" className="button button-small" onClick={onBack}>
          Back
        </button>
      </div>
      <p className="merge-explain">
        If someone is in your contacts twice (by email and on another network, say), merge them: Switchboard then sends by whichever of
        their routes is safest, and their messages are in one conversation.
      </p>
      <div className="field">
        <label htmlFor={`${id}-find`}>Find the other contact</label>
        <input id={`${id}-find`} type="search" autoComplete="off" value={query} onChange={(e) => setQuery(e.target.value)} />
      </div>
      <fieldset className="merge-choices">
        <legend className="sr-only">Contacts</legend>
        {found === null && <p role="status">Loading…</p>}
        {found?.length === 0 && <p className="muted">No other contact {query ? 'with that name' : 'yet'}.</p>}
        {found?.map((c) => (
          <label key={c.id} className="merge-choice">
            <input type="radio" name={`${id}-contact`} checked={chosen?.id === c.id} onChange={() => setChosen(c)} />
            <span className="merge-choice-name">{c.displayName}</span>
            <span className="merge-choice-protocols">{c.protocols.map((p) => PROTOCOL_LABEL[p]).join(', ')}</span>
          </label>
        ))}
      </fieldset>
      {chosen && (
        <p className="merge-confirm" role="status">
          <strong>{chosen.displayName}</strong> and their messages will join <strong>{contact.displayName}</strong>, in one conversation.
          You can undo this from {contact.displayName}'s contact details.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button button-primary" disabled={!chosen || busy} onClick={merge}>
          Merge
        </button>
      </div>
    </section>
  );
}
