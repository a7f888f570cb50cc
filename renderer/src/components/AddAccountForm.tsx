/**
 * Adding an account. Switchboard's own encrypted chat asks only for a name to show and a relay;
 * email (EmailAccountForm), XMPP (XmppAccountForm) and Matrix (MatrixAccountForm) have their own forms.
 */
import { useId, useState, type FormEvent } from 'react';
import type { CommandParams } from '../../../core/api/commands.ts';
import type { Protocol } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { PROTOCOL_LABEL } from '../format/labels.ts';
import { useAccounts } from '../state/accounts.tsx';
import { EmailAccountForm } from './EmailAccountForm.tsx';
import { MatrixAccountForm } from './MatrixAccountForm.tsx';
import { XmppAccountForm } from './XmppAccountForm.tsx';

const PROTOCOLS: Protocol[] = ['native', 'matrix', 'xmpp', 'email'];

const OPTION_LABEL: Record<Protocol, string> = { ...PROTOCOL_LABEL, native: 'Switchboard (encrypted chat)' };

/** A relay is reached over a WebSocket; anything else is a typo. */
function relayProblem(url: string): string | null {
  if (!url) return 'Enter the address of a relay.';
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'wss:' || parsed.protocol === 'ws:') return null;
  } catch {
    // Not a URL at all: the same answer.
  }
  return 'A relay address starts with wss:// (for example wss://relay.example.org).';
}

export function AddAccountForm() {
  const { add } = useAccounts();
  const id = useId();
  const [protocol, setProtocol] = useState<Protocol>('native');
  const [address, setAddress] = useState('');
  const [relay, setRelay] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const native = protocol === 'native';
  const name = address.trim();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!name) return;
    let params: CommandParams['accounts.add'] = { protocol, address: name };
    if (native) {
      const problem = relayProblem(relay.trim());
      if (problem) return setError(problem);
      params = { protocol, address: name, displayName: name, settings: { relays: [relay.trim()] } };
    }
    setBusy(true);
    setError(null);
    add(params).then(
      () => {
        setBusy(false);
        setAddress('');
        setRelay('');
      },
      (e: unknown) => {
        setBusy(false);
        setError(`Couldn't add the account: ${describeError(e)}`);
      },
    );
  };

  const protocolField = (
    <div className="field">
      <label htmlFor={`${id}-protocol`}>Protocol</label>
      <select id={`${id}-protocol`} value={protocol} onChange={(e) => setProtocol(e.target.value as Protocol)}>
        {PROTOCOLS.map((p) => (
          <option key={p} value={p}>
            {OPTION_LABEL[p]}
          </option>
        ))}
      </select>
    </div>
  );
  if (protocol === 'email') return <EmailAccountForm protocolField={protocolField} />;
  if (protocol === 'xmpp') return <XmppAccountForm protocolField={protocolField} />;
  if (protocol === 'matrix') return <MatrixAccountForm protocolField={protocolField} />;

  return (
    <form className={`add-account${native ? ' add-account-native' : ''}`} onSubmit={onSubmit} aria-label="Add account" noValidate>
      {protocolField}
      <div className="field field-grow">
        <label htmlFor={`${id}-address`}>{native ? 'Your name (shown to people you invite)' : 'Address'}</label>
        <input
          id={`${id}-address`}
          type="text"
          autoComplete={native ? 'name' : 'off'}
          spellCheck={false}
          maxLength={native ? 200 : 320}
          placeholder="e.g. Sam Lee"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
        />
      </div>
      {native && (
        <div className="field field-grow field-relay">
          <label htmlFor={`${id}-relay`}>Relay</label>
          <input
            id={`${id}-relay`}
            type="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="wss://relay.example.org"
            aria-describedby={`${id}-relay-hint`}
            value={relay}
            onChange={(e) => {
              setRelay(e.target.value);
              setError(null);
            }}
          />
          <span className="field-hint" id={`${id}-relay-hint`}>
            The server that holds your encrypted messages until your contacts' devices pick them up. It cannot read them. Use the
            one whoever invited you uses, or run your own with <code>npm run relay</code>.
          </span>
        </div>
      )}
      <button type="submit" className="button button-primary" disabled={busy || !name || (native && !relay.trim())}>
        {native ? 'Set up encrypted chat' : 'Add account'}
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
