/** The accounts, each with a status dot, its settings (email), and a way to remove it (after a confirmation). */
import { useState } from 'react';
import type { Account } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { PROTOCOL_LABEL } from '../format/labels.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useNotify } from '../state/notify.tsx';
import { Dialog } from './Dialog.tsx';
import { EmailAccountSettings } from './EmailAccountSettings.tsx';
import { ProtocolBadge } from './ProtocolBadge.tsx';

const STATUS_TEXT: Record<Account['status'], string> = {
  online: 'Online',
  connecting: 'Connecting…',
  offline: 'Offline',
  error: 'Error',
};

export function AccountList() {
  const { accounts, remove } = useAccounts();
  const notify = useNotify();
  const [removing, setRemoving] = useState<Account | null>(null);
  /** The account whose settings dialog is open (by id, so it shows the latest account.status). */
  const [editing, setEditing] = useState<string | null>(null);

  if (!accounts) return <p className="muted">Loading accounts…</p>;
  if (accounts.length === 0) return <p className="muted">No accounts yet.</p>;

  const editingAccount = accounts.find((a) => a.id === editing);

  const confirmRemove = (account: Account) => {
    setRemoving(null);
    remove(account.id).catch((error: unknown) => notify(`Couldn't remove ${account.address}: ${describeError(error)}`));
  };

  return (
    <>
      <ul className="accounts" aria-label="Accounts">
        {accounts.map((account) => (
          <li key={account.id} className="account">
            <span className={`status-dot status-dot-${account.status}`} aria-hidden="true" />
            <div className="account-main">
              <div className="account-line">
                <span className="account-address">{account.displayName || account.address}</span>
                <ProtocolBadge protocol={account.protocol} />
              </div>
              <div className="account-line muted">
                {account.displayName && account.displayName !== account.address && <span>{account.address}</span>}
                <span className={`account-status account-status-${account.status}`}>
                  {STATUS_TEXT[account.status]}
                  {account.error ? `: ${account.error}` : ''}
                </span>
              </div>
            </div>
            {account.protocol === 'email' && account.kind === 'email' && (
              <button type="button" className="button button-small" aria-label={`Settings for ${account.address}`} onClick={() => setEditing(account.id)}>
                Settings
              </button>
            )}
            <button
              type="button"
              className="button button-small"
              aria-label={`Remove ${account.address}`}
              onClick={() => setRemoving(account)}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {editingAccount && <EmailAccountSettings account={editingAccount} onClose={() => setEditing(null)} />}
      {removing && (
        <Dialog label="Remove account" onClose={() => setRemoving(null)}>
          <h2 className="dialog-title">Remove this account?</h2>
          <p className="dialog-text">
            {PROTOCOL_LABEL[removing.protocol]} account {removing.address} will be disconnected and removed from Switchboard,
            with the messages it received and any it has not sent yet. Nothing is deleted on the server.
          </p>
          <div className="dialog-actions">
            <button type="button" className="button" data-autofocus onClick={() => setRemoving(null)}>
              Cancel
            </button>
            <button type="button" className="button button-danger" onClick={() => confirmRemove(removing)}>
              Remove
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
