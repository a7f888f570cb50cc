/** "New email": write to someone by email address; the chat with them opens at once. */
import { useId, useState, type FormEvent } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { Dialog } from './Dialog.tsx';

interface NewEmailDialogProps {
  onClose: () => void;
  onStarted: (conversation: ConversationSummary) => void;
}

export function NewEmailDialog({ onClose, onStarted }: NewEmailDialogProps) {
  const bridge = useBridge();
  const { accounts } = useAccounts();
  const id = useId();
  const emailAccounts = (accounts ?? []).filter((a) => a.protocol === 'email');
  const [accountId, setAccountId] = useState<string>('');
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const from = accountId || emailAccounts[0]?.id || '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const to = address.trim();
    if (!to || busy || !from) return;
    setBusy(true);
    setError(null);
    bridge.call('conversations.start', { accountId: from, address: to, displayName: name.trim() || undefined }).then(
      (conversation) => {
        setBusy(false);
        onStarted(conversation);
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <Dialog label="New email" onClose={onClose} className="invite-dialog" dismissible>
      <h2 className="dialog-title">New email</h2>
      {accounts !== null && emailAccounts.length === 0 ? (
        <>
          <p className="dialog-text">Add an email account in Settings first; then you can write to anyone who has an email address.</p>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              OK
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit}>
          <p className="dialog-text">
            The chat opens at once. Mail is not private until the other side uses Autocrypt (Switchboard, Delta Chat, Thunderbird); the padlock tells you.
          </p>
          {emailAccounts.length > 1 && (
            <div className="field">
              <label htmlFor={`${id}-from`}>From</label>
              <select id={`${id}-from`} value={from} onChange={(e) => setAccountId(e.target.value)}>
                {emailAccounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.address}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${id}-to`}>Email address</label>
            <input
              id={`${id}-to`}
              type="email"
              autoComplete="off"
              spellCheck={false}
              placeholder="name@example.org"
              value={address}
              aria-invalid={error !== null}
              aria-describedby={error ? `${id}-error` : undefined}
              data-autofocus
              onChange={(e) => {
                setAddress(e.target.value);
                setError(null);
              }}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-name`}>Name (optional)</label>
            <input id={`${id}-name`} type="text" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          {error && (
            <p className="form-error form-error-block" id={`${id}-error`} role="alert">
              Couldn't start the chat: {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy || !address.trim()}>
              {busy ? 'Opening…' : 'Start chat'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
