/**
 * Adding an email account in two steps, like Thunderbird: the address and password, then the
 * server settings Switchboard found (or the user's own), checked by logging in before the account
 * is saved. The password lives only in this form's state and the `accounts.add` call; it is never
 * logged or shown, and is cleared once the account exists.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { describeError } from '../format/errors.ts';
import { domainOf, draftFrom, draftProblem, guessDraft, settingsFrom, type EmailDraft } from '../format/emailSettings.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { EmailServerFields } from './EmailServerFields.tsx';
import { PasswordField } from './PasswordField.tsx';

type Phase = 'idle' | 'discovering' | 'adding';

interface Props {
  /** The protocol chooser of the add-account form, shown on the first step. */
  protocolField: ReactNode;
}

export function EmailAccountForm({ protocolField }: Props) {
  const bridge = useBridge();
  const { add } = useAccounts();
  const id = useId();
  const [step, setStep] = useState<'account' | 'settings'>('account');
  const [address, setAddress] = useState('');
  const [password, setPassword] = useState('');
  const [draft, setDraft] = useState<EmailDraft>(() => guessDraft(''));
  /** Where the settings came from, or null when the user enters them. */
  const [source, setSource] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<string | null>(null);
  const busy = phase !== 'idle';
  const domain = domainOf(address);

  const accountProblem = (): string | null => {
    if (!domain) return 'Enter your whole email address, like you@example.org.';
    if (!password) return 'Enter your password.';
    return null;
  };

  const editManually = () => {
    setDraft(guessDraft(address));
    setSource(null);
    setNotFound(false);
    setError(null);
    setStep('settings');
  };

  const discover = () => {
    const problem = accountProblem();
    if (problem) return setError(problem);
    setPhase('discovering');
    setError(null);
    setNotFound(false);
    bridge.call('accounts.discover', { protocol: 'email', address: address.trim() }).then(
      (found) => {
        setPhase('idle');
        const fromFound = found ? draftFrom(found.settings, address) : null;
        if (!found || !fromFound) return setNotFound(true);
        setDraft(fromFound);
        setSource(found.source);
        setStep('settings');
      },
      () => {
        // Looking up is a convenience: when it fails the user enters the settings.
        setPhase('idle');
        setNotFound(true);
      },
    );
  };

  const addAccount = () => {
    const problem = accountProblem() ?? draftProblem(draft);
    if (problem) return setError(problem);
    setPhase('adding');
    setError(null);
    const trimmed = address.trim();
    add({ protocol: 'email', address: trimmed, displayName: trimmed, settings: settingsFrom(draft), secrets: { password } }).then(
      () => {
        setPhase('idle');
        setPassword('');
        setAddress('');
        setStep('account');
        setSource(null);
      },
      (e: unknown) => {
        setPhase('idle');
        setError(describeError(e));
      },
    );
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (step === 'account') discover();
    else addAccount();
  };

  const passwordField = (
    <PasswordField
      id={id}
      value={password}
      disabled={busy}
      onChange={(v) => {
        setPassword(v);
        setError(null);
      }}
    />
  );

  // Shown just above the buttons, where the eye is after pressing one.
  const errorBlock = error && (
    <p className="form-error" role="alert">
      {error}
    </p>
  );

  return (
    <form className="add-account add-account-email" onSubmit={onSubmit} aria-label="Add account" aria-busy={busy} noValidate>
      {step === 'account' ? (
        <>
          <div className="email-protocol-row">{protocolField}</div>
          <div className="email-account-row">
            <div className="field field-grow">
              <label htmlFor={`${id}-address`}>Email address</label>
              <input
                id={`${id}-address`}
                type="email"
                autoComplete="email"
                spellCheck={false}
                autoCapitalize="off"
                maxLength={320}
                placeholder="you@example.org"
                disabled={busy}
                value={address}
                onChange={(e) => {
                  setAddress(e.target.value);
                  setNotFound(false);
                  setError(null);
                }}
              />
            </div>
            {passwordField}
          </div>
          {notFound && (
            <div className="email-not-found" role="status">
              <p>
                Switchboard could not find the settings for {domain ?? 'this address'}. Your provider's help pages list them (look
                for “IMAP” and “SMTP”).
              </p>
              <button type="button" className="button" onClick={editManually}>
                Set up manually
              </button>
            </div>
          )}
          {errorBlock}
          <div className="form-actions">
            {!notFound && (
              <button type="button" className="button button-quiet" disabled={busy} onClick={editManually}>
                Set up manually
              </button>
            )}
            <button type="submit" className="button button-primary" disabled={busy}>
              {phase === 'discovering' ? 'Looking up settings…' : 'Continue'}
            </button>
          </div>
        </>
      ) : (
        <>
          <div className="email-settings-head">
            <p className={`email-source${source ? ' email-source-found' : ''}`} role="status">
              {source ? `Found settings at ${source}` : `Enter the server settings for ${address.trim() || 'your account'}`}
            </p>
            <p className="field-hint">Check them, then Switchboard logs in once to make sure they work.</p>
          </div>
          <div className="email-account-row">
            <div className="field field-grow">
              <label htmlFor={`${id}-address2`}>Email address</label>
              <input id={`${id}-address2`} type="email" readOnly value={address.trim()} className="input-readonly" />
            </div>
            {passwordField}
          </div>
          <EmailServerFields value={draft} onChange={setDraft} disabled={busy} />
          {errorBlock}
          <div className="form-actions">
            <button type="button" className="button" disabled={busy} onClick={() => setStep('account')}>
              Back
            </button>
            <button type="submit" className="button button-primary" disabled={busy}>
              {phase === 'adding' ? 'Checking…' : 'Add account'}
            </button>
          </div>
        </>
      )}
    </form>
  );
}
