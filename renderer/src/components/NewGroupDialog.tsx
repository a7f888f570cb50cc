/** "New group": a name and the people in it; Create makes the group and opens its conversation. */
import { useId, useState, type FormEvent } from 'react';
import type { Account, ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { useContactList } from '../state/useContactList.ts';
import { ContactChecklist } from './ContactChecklist.tsx';
import { Dialog } from './Dialog.tsx';

/** The longest group name core takes. */
const NAME_MAX = 100;

interface NewGroupDialogProps {
  onClose: () => void;
  /** The new group's conversation, to open. */
  onCreated: (conversation: ConversationSummary) => void;
}

export function NewGroupDialog({ onClose, onCreated }: NewGroupDialogProps) {
  const { accounts } = useAccounts();
  const able = (accounts ?? []).filter((a) => a.canCreateGroups);
  return (
    <Dialog label="New group" onClose={onClose} className="group-dialog" dismissible>
      <h2 className="dialog-title">New group</h2>
      {accounts === null ? (
        <p className="dialog-text" role="status">
          Loading…
        </p>
      ) : able.length === 0 ? (
        <NoGroupAccount onClose={onClose} />
      ) : (
        <NewGroupForm accounts={able} onClose={onClose} onCreated={onCreated} />
      )}
    </Dialog>
  );
}

function NoGroupAccount({ onClose }: { onClose: () => void }) {
  return (
    <>
      <p className="dialog-text">
        Group chats work with Switchboard's own encrypted chat (end-to-end encrypted) or with an XMPP account (the server reads them). Set one up
        first: Settings, Accounts.
      </p>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          OK
        </button>
      </div>
    </>
  );
}

function NewGroupForm({ accounts, onClose, onCreated }: { accounts: Account[] } & NewGroupDialogProps) {
  const bridge = useBridge();
  const id = useId();
  const [accountId, setAccountId] = useState(accounts[0]!.id);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { contacts, failure } = useContactList(accountId);
  const ready = name.trim().length > 0 && chosen.size > 0 && !busy;

  const toggle = (contactId: string, on: boolean) => {
    setError(null);
    setChosen((set) => {
      const next = new Set(set);
      if (on) next.add(contactId);
      else next.delete(contactId);
      return next;
    });
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    bridge.call('groups.create', { accountId, name: name.trim(), contactIds: [...chosen] }).then(
      (conversation) => {
        setBusy(false);
        onCreated(conversation);
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <form className="group-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-name`}>Group name</label>
        <input
          id={`${id}-name`}
          type="text"
          autoComplete="off"
          maxLength={NAME_MAX}
          required
          value={name}
          data-autofocus
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      {accounts.length > 1 && (
        <div className="field">
          <label htmlFor={`${id}-account`}>Account</label>
          <select
            id={`${id}-account`}
            value={accountId}
            onChange={(e) => {
              setAccountId(e.target.value);
              setChosen(new Set());
            }}
          >
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.displayName} ({a.address})
              </option>
            ))}
          </select>
        </div>
      )}
      {failure ? (
        <p className="form-error form-error-block" role="alert">
          Couldn't load your contacts: {failure}
        </p>
      ) : contacts === null ? (
        <p className="dialog-text" role="status">
          Loading contacts…
        </p>
      ) : contacts.length === 0 ? (
        <p className="dialog-text group-empty">
          {accounts.find((a) => a.id === accountId)?.protocol === 'xmpp'
            ? 'No one to add yet. Start an XMPP chat with them first (New chat, New XMPP chat).'
            : 'No one to add yet. People need an encrypted chat with you first: send them an invite (New chat, New invite).'}
        </p>
      ) : (
        <ContactChecklist key={accountId} legend="People" contacts={contacts} chosen={chosen} onToggle={toggle} />
      )}
      {error && (
        <p className="form-error form-error-block" role="alert">
          Couldn't create the group: {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={!ready}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </div>
    </form>
  );
}
