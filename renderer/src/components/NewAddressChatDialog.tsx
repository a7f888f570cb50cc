/**
 * "New email" / "New XMPP chat" / "New Matrix chat": write to someone by address (an email
 * address, a JID, a Matrix ID); the chat with them opens at once.
 */
import { useId, useState, type FormEvent } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { Dialog } from './Dialog.tsx';

/** What differs between the networks that start chats by address. */
const COPY = {
  email: {
    title: 'New email',
    noAccount: 'Add an email account in Settings first; then you can write to anyone who has an email address.',
    intro: 'The chat opens at once. Mail is not private until the other side uses Autocrypt (Switchboard, Delta Chat, Thunderbird); the padlock tells you.',
    field: 'Email address',
    type: 'email',
    placeholder: 'name@example.org',
  },
  xmpp: {
    title: 'New XMPP chat',
    noAccount: 'Add an XMPP account in Settings first; then you can write to anyone with an XMPP address.',
    intro:
      'The chat opens at once, and they are asked to share their online status with you. XMPP chats are not end-to-end encrypted here: their server and yours can read them; the padlock tells you.',
    field: 'XMPP address',
    type: 'text',
    placeholder: 'name@jabber.example.org',
  },
  matrix: {
    title: 'New Matrix chat',
    noAccount: 'Add a Matrix account in Settings first; then you can write to anyone with a Matrix ID.',
    intro:
      'The chat opens at once. Your first message makes an end-to-end encrypted room and invites them; they see it once they accept.',
    field: 'Matrix ID',
    type: 'text',
    placeholder: '@name:example.org',
  },
} as const;

interface NewAddressChatDialogProps {
  protocol: keyof typeof COPY;
  onClose: () => void;
  onStarted: (conversation: ConversationSummary) => void;
}

export function NewAddressChatDialog({ protocol, onClose, onStarted }: NewAddressChatDialogProps) {
  const bridge = useBridge();
  const { accounts } = useAccounts();
  const id = useId();
  const copy = COPY[protocol];
  const fromAccounts = (accounts ?? []).filter((a) => a.protocol === protocol);
  const [accountId, setAccountId] = useState<string>('');
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const from = accountId || fromAccounts[0]?.id || '';

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
    <Dialog label={copy.title} onClose={onClose} className="invite-dialog" dismissible>
      <h2 className="dialog-title">{copy.title}</h2>
      {accounts !== null && fromAccounts.length === 0 ? (
        <>
          <p className="dialog-text">{copy.noAccount}</p>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              OK
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit}>
          <p className="dialog-text">{copy.intro}</p>
          {fromAccounts.length > 1 && (
            <div className="field">
              <label htmlFor={`${id}-from`}>From</label>
              <select id={`${id}-from`} value={from} onChange={(e) => setAccountId(e.target.value)}>
                {fromAccounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.address}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${id}-to`}>{copy.field}</label>
            <input
              id={`${id}-to`}
              type={copy.type}
              autoComplete="off"
              spellCheck={false}
              placeholder={copy.placeholder}
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
