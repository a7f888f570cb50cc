/** "Join group chat": enter an XMPP room or a Matrix room by its address under a nickname; it opens once joined. */
import { useId, useState, type FormEvent } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { Dialog } from './Dialog.tsx';

interface JoinGroupDialogProps {
  onClose: () => void;
  onJoined: (conversation: ConversationSummary) => void;
}

export function JoinGroupDialog({ onClose, onJoined }: JoinGroupDialogProps) {
  const bridge = useBridge();
  const { accounts } = useAccounts();
  const id = useId();
  const able = (accounts ?? []).filter((a) => a.canJoinGroups);
  const [accountId, setAccountId] = useState('');
  const account = able.find((a) => a.id === accountId) ?? able[0];
  const [address, setAddress] = useState('');
  const [nickname, setNickname] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const matrix = account?.protocol === 'matrix';
  // The nickname starts as the account's user name (before the @ of a JID, after the @ of a Matrix ID), until the user types one.
  const nick = nickname ?? (matrix ? account.address.slice(1).split(':')[0] : account?.address.split('@')[0]) ?? '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!account || !address.trim() || !nick.trim() || busy) return;
    setBusy(true);
    setError(null);
    bridge.call('groups.join', { accountId: account.id, address: address.trim(), nickname: nick.trim() }).then(
      (conversation) => {
        setBusy(false);
        onJoined(conversation);
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <Dialog label="Join group chat" onClose={onClose} className="invite-dialog" dismissible>
      <h2 className="dialog-title">Join group chat</h2>
      {accounts !== null && able.length === 0 ? (
        <>
          <p className="dialog-text">Add an XMPP or Matrix account in Settings first; then you can join its group chats by their address.</p>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              OK
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit}>
          <p className="dialog-text">
            {matrix
              ? 'A Matrix room may or may not be end-to-end encrypted, or bridged to another network: its padlock tells you once you are in.'
              : 'Everyone in the room, and its server, can read what is said there: XMPP group chats are not end-to-end encrypted here.'}
          </p>
          {able.length > 1 && (
            <div className="field">
              <label htmlFor={`${id}-account`}>Account</label>
              <select id={`${id}-account`} value={account?.id ?? ''} onChange={(e) => setAccountId(e.target.value)}>
                {able.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.address}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${id}-room`}>Group chat address</label>
            <input
              id={`${id}-room`}
              type="text"
              autoComplete="off"
              spellCheck={false}
              placeholder={matrix ? '#room:example.org' : 'room@conference.example.org'}
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
            <label htmlFor={`${id}-nick`}>Your nickname there</label>
            <input id={`${id}-nick`} type="text" autoComplete="off" maxLength={100} value={nick} onChange={(e) => setNickname(e.target.value)} />
          </div>
          {error && (
            <p className="form-error form-error-block" id={`${id}-error`} role="alert">
              Couldn't join: {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy || !address.trim() || !nick.trim()}>
              {busy ? 'Joining…' : 'Join'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
