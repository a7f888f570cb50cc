/**
 * A minimal way to add an account: protocol and address. The real per-protocol forms
 * (servers, passwords, homeservers, invites) come with each adapter.
 */
import { useId, useState, type FormEvent } from 'react';
import type { Protocol } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { PROTOCOL_LABEL } from '../format/labels.ts';
import { useAccounts } from '../state/accounts.tsx';

const PROTOCOLS: Protocol[] = ['native', 'matrix', 'xmpp', 'email'];

const ADDRESS_HINT: Record<Protocol, string> = {
  email: 'you@example.org',
  xmpp: 'you@jabber.example.org',
  matrix: '@you:matrix.example.org',
  native: 'A name for this device',
};

export function AddAccountForm() {
  const { add } = useAccounts();
  const id = useId();
  const [protocol, setProtocol] = useState<Protocol>('native');
  const [address, setAddress] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!address.trim()) return;
    setBusy(true);
    setError(null);
    add({ protocol, address: address.trim() }).then(
      () => {
        setBusy(false);
        setAddress('');
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <form className="add-account" onSubmit={onSubmit} aria-label="Add account">
      <div className="field">
        <label htmlFor={`${id}-protocol`}>Protocol</label>
        <select id={`${id}-protocol`} value={protocol} onChange={(e) => setProtocol(e.target.value as Protocol)}>
          {PROTOCOLS.map((p) => (
            <option key={p} value={p}>
              {PROTOCOL_LABEL[p]}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-grow">
        <label htmlFor={`${id}-address`}>Address</label>
        <input
          id={`${id}-address`}
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder={ADDRESS_HINT[protocol]}
          value={address}
          onChange={(e) => setAddress(e.target.value)}
        />
      </div>
      <button type="submit" className="button button-primary" disabled={busy || !address.trim()}>
        Add account
      </button>
      {error && (
        <p className="form-error" role="alert">
          Couldn't add the account: {error}
        </p>
      )}
    </form>
  );
}
