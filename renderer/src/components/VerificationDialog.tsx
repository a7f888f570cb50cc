/**
 * Emoji verification (Matrix): whoever asked and whoever answers see the same seven emoji and say
 * whether they match, as in Element. Mounted once for the whole app: a request from someone opens
 * it, and so does the user's own "Verify with emoji" in a contact card (through the same events).
 */
import { useState } from 'react';
import type { VerificationUpdate } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge } from '../state/bridgeContext.ts';
import { Dialog } from './Dialog.tsx';

export function VerificationDialog() {
  const bridge = useBridge();
  const [current, setCurrent] = useState<VerificationUpdate | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useApiEvent((event) => {
    if (event.type !== 'verification.updated') return;
    const v = event.verification;
    // One at a time: another request waits until this one is over (it keeps its own state at the server).
    setCurrent((shown) => (shown === null || shown.requestId === v.requestId || shown.step.phase === 'done' || shown.step.phase === 'cancelled' ? v : shown));
    setError(null);
  });

  if (!current) return null;
  const { accountId, requestId, peerName, step } = current;
  const close = () => setCurrent(null);
  const act = (command: 'verification.accept' | 'verification.cancel', after?: () => void) => {
    setBusy(true);
    bridge.call(command, { accountId, requestId }).then(
      () => {
        setBusy(false);
        after?.();
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };
  const confirm = (match: boolean) => {
    setBusy(true);
    bridge.call('verification.confirm', { accountId, requestId, match }).then(
      () => setBusy(false),
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };
  // Closing while it runs stops it at both ends: a half-done verification helps nobody.
  const dismiss = () => (step.phase === 'done' || step.phase === 'cancelled' ? close() : act('verification.cancel', close));

  let body;
  switch (step.phase) {
    case 'incoming':
      body = (
        <>
          <p className="dialog-text">
            {peerName} wants to verify you. You will both see seven emoji: compare them while you talk to each other or can see each
            other's screen.
          </p>
          <div className="dialog-actions">
            <button type="button" className="button button-quiet" disabled={busy} onClick={dismiss}>
              Not now
            </button>
            <button type="button" className="button button-primary" data-autofocus disabled={busy} onClick={() => act('verification.accept')}>
              Verify
            </button>
          </div>
        </>
      );
      break;
    case 'waiting':
    case 'confirmed':
      body = (
        <>
          <p className="dialog-text" role="status">
            {step.phase === 'waiting' ? `Waiting for ${peerName} to accept on their device…` : `Waiting for ${peerName} to compare the emoji…`}
          </p>
          <div className="dialog-actions">
            <button type="button" className="button button-quiet" disabled={busy} onClick={dismiss}>
              Cancel
            </button>
          </div>
        </>
      );
      break;
    case 'emoji':
      body = (
        <>
          <p className="dialog-text">Do these emoji appear on {peerName}'s screen, in the same order?</p>
          <ol className="sas-emoji" aria-label="Emoji to compare">
            {step.emoji.map((e, i) => (
              <li key={i}>
                <span className="sas-symbol" aria-hidden="true">
                  {e.symbol}
                </span>
                <span className="sas-name">{e.name}</span>
              </li>
            ))}
          </ol>
          <div className="dialog-actions">
            <button type="button" className="button button-danger" disabled={busy} onClick={() => confirm(false)}>
              They don't match
            </button>
            <button type="button" className="button button-primary" data-autofocus disabled={busy} onClick={() => confirm(true)}>
              They match
            </button>
          </div>
        </>
      );
      break;
    case 'done':
      body = (
        <>
          <p className="dialog-text" role="status">
            {peerName} is verified. If their identity ever changes, their conversations turn red until you check again.
          </p>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" data-autofocus onClick={close}>
              Done
            </button>
          </div>
        </>
      );
      break;
    case 'cancelled':
      body = (
        <>
          <p className="dialog-text" role="status">
            {step.reason}
          </p>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" data-autofocus onClick={close}>
              OK
            </button>
          </div>
        </>
      );
      break;
  }
  return (
    <Dialog label={`Verify ${peerName}`} onClose={dismiss} className="verification-dialog">
      <h2 className="dialog-title">Verify {peerName}</h2>
      {body}
      {error && (
        <p className="form-error form-error-block" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
