/**
 * Verify safety number: the 60 digits both sides see, a QR code of them, and marking the contact
 * verified. When the contact's key changed, a red warning comes first and asks them to check again.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { describeError } from '../format/errors.ts';
import { useNotify } from '../state/notify.tsx';
import { useSafetyNumber } from '../state/useSafetyNumber.ts';
import { QrCode } from './QrCode.tsx';

interface SafetyNumberPanelProps {
  identityId: string;
  contactId: string;
  onBack: () => void;
}

export function SafetyNumberPanel({ identityId, contactId, onBack }: SafetyNumberPanelProps) {
  const id = useId();
  const notify = useNotify();
  const safety = useSafetyNumber(identityId, contactId);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // The button that opened the panel is gone: start reading at the panel's title.
  useEffect(() => headingRef.current?.focus(), []);

  const act = (action: () => Promise<void>, what: string) => {
    setBusy(true);
    action().then(
      () => setBusy(false),
      (error: unknown) => {
        setBusy(false);
        notify(`Couldn't ${what}: ${describeError(error)}`);
      },
    );
  };
  const markVerified = () => act(() => safety.setVerified(true), 'mark as verified');

  const { state } = safety;
  return (
    <section className="safety" aria-labelledby={`${id}-title`}>
      <div className="safety-head">
        <h3 id={`${id}-title`} className="safety-title" ref={headingRef} tabIndex={-1}>
          Verify safety number
        </h3>
        <button type="button" className="button button-small" onClick={onBack}>
          Back
        </button>
      </div>
      {state.kind === 'loading' && <p role="status">Loading…</p>}
      {state.kind === 'failed' && <p role="alert">Couldn't load the safety number: {state.reason}</p>}
      {state.kind === 'ready' && (
        <>
          {state.view.changed && (
            <div className="safety-changed" role="alert">
              <p>
                <strong>{state.view.peerName}'s safety number changed.</strong> This can mean they reinstalled Switchboard — or
                that someone is trying to listen in. Check the new number with them.
              </p>
              <div className="safety-actions">
                <button type="button" className="button" disabled={busy} onClick={() => act(safety.acknowledgeChange, 'accept the new number')}>
                  I've checked it
                </button>
                <button type="button" className="button button-primary" disabled={busy} onClick={markVerified}>
                  Mark as verified
                </button>
              </div>
            </div>
          )}
          <p className="safety-explain">
            Compare these numbers with {state.view.peerName} in person or on a call. If they match, nobody is listening in.
          </p>
          <div className="safety-body">
            <div className="safety-digits" role="group" aria-label="Safety number">
              {state.view.digits.split(' ').map((group, i) => (
                <span key={i} className="safety-group">
                  {group}
                </span>
              ))}
            </div>
            <QrCode value={state.view.qrPayload} label="QR code of the safety number" className="safety-qr" />
          </div>
          <p className={`safety-status${state.view.verified ? ' safety-verified' : ''}`} role="status">
            {state.view.verified ? `✓ You verified ${state.view.peerName}.` : 'Not verified yet.'}
          </p>
          {!state.view.changed && (
            <div className="safety-actions">
              {state.view.verified ? (
                <button type="button" className="button" disabled={busy} onClick={() => act(() => safety.setVerified(false), 'clear the verification')}>
                  Clear verification
                </button>
              ) : (
                <button type="button" className="button button-primary" disabled={busy} onClick={markVerified}>
                  Mark as verified
                </button>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
