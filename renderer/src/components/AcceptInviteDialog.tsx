/** "Accept invite": paste a link someone sent; the conversation with them opens at once. */
import { useId, useState, type FormEvent } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { Dialog } from './Dialog.tsx';
import { NoNativeAccount } from './NoNativeAccount.tsx';

interface AcceptInviteDialogProps {
  onClose: () => void;
  /** The conversation with the inviter, to open. */
  onAccepted: (conversation: ConversationSummary) => void;
}

export function AcceptInviteDialog({ onClose, onAccepted }: AcceptInviteDialogProps) {
  const bridge = useBridge();
  const { accounts } = useAccounts();
  const id = useId();
  const [link, setLink] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const noNative = accounts !== null && !accounts.some((a) => a.protocol === 'native');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = link.trim();
    if (!trimmed || busy) return;
    setBusy(true);
    setError(null);
    bridge.call('invites.accept', { link: trimmed }).then(
      (conversation) => {
        setBusy(false);
        onAccepted(conversation);
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <Dialog label="Accept invite" onClose={onClose} className="invite-dialog" dismissible>
      <h2 className="dialog-title">Accept invite</h2>
      {noNative ? (
        <NoNativeAccount onClose={onClose} />
      ) : (
        <form onSubmit={submit}>
          <p className="dialog-text">Paste the link someone sent you. You can write to each other as soon as it is accepted.</p>
          <div className="field">
            <label htmlFor={`${id}-link`}>Invite link</label>
            <input
              id={`${id}-link`}
              type="text"
              autoComplete="off"
              spellCheck={false}
              placeholder="switchboard://invite/…"
              value={link}
              aria-invalid={error !== null}
              aria-describedby={error ? `${id}-error` : undefined}
              data-autofocus
              onChange={(e) => {
                setLink(e.target.value);
                setError(null);
              }}
            />
          </div>
          {error && (
            <p className="form-error form-error-block" id={`${id}-error`} role="alert">
              Couldn't accept this invite: {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy || !link.trim()}>
              {busy ? 'Accepting…' : 'Accept'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
