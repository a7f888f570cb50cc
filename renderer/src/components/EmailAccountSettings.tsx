/**
 * An email account's own settings: whose mail enters the inbox, how far back to download, the
 * servers, and the password. Everything goes through `accounts.update`; a new password or new
 * servers are checked by logging in before they are saved.
 */
import { useId, useState, type FormEvent } from 'react';
import type { Account } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { draftFrom, draftProblem, guessDraft, settingsFrom, type EmailDraft } from '../format/emailSettings.ts';
import { useAccounts } from '../state/accounts.tsx';
import { Dialog } from './Dialog.tsx';
import { EmailServerFields } from './EmailServerFields.tsx';

type ShowMailFrom = 'accepted' | 'all';

const SHOW_MAIL_FROM: { value: ShowMailFrom; label: string; description: string }[] = [
  { value: 'accepted', label: "People I've written to or accepted", description: 'Mail from anyone else waits under Requests.' },
  { value: 'all', label: 'Everyone', description: 'Every mail goes straight to the inbox, newsletters included.' },
];

const DEFAULT_SYNC_DAYS = 90;

function PasswordChange({ account }: { account: Account }) {
  const { update } = useAccounts();
  const id = useId();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!password || busy) return;
    setBusy(true);
    setMessage(null);
    update({ accountId: account.id, secrets: { password } }).then(
      () => {
        setBusy(false);
        setPassword('');
        setMessage({ ok: true, text: 'Password changed.' });
      },
      (e: unknown) => {
        setBusy(false);
        setMessage({ ok: false, text: describeError(e) });
      },
    );
  };

  return (
    <form className="email-settings-section" onSubmit={onSubmit} aria-label="Change password" aria-busy={busy} noValidate>
      <h3 className="email-settings-title">Password</h3>
      <div className="email-account-row">
        <div className="field field-grow">
          <label htmlFor={`${id}-password`}>New password</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="new-password"
            maxLength={4096}
            disabled={busy}
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setMessage(null);
            }}
          />
        </div>
        <button type="submit" className="button" disabled={busy || !password}>
          {busy ? 'Checking…' : 'Change password'}
        </button>
      </div>
      {message && (
        <p className={message.ok ? 'form-success' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </form>
  );
}

export function EmailAccountSettings({ account, onClose }: { account: Account; onClose: () => void }) {
  const { update } = useAccounts();
  const id = useId();
  const stored = account.settings;
  const [showMailFrom, setShowMailFrom] = useState<ShowMailFrom>(stored.showMailFrom === 'all' ? 'all' : 'accepted');
  const [days, setDays] = useState(String(typeof stored.syncDays === 'number' ? stored.syncDays : DEFAULT_SYNC_DAYS));
  const [draft, setDraft] = useState<EmailDraft>(() => draftFrom(stored, account.address) ?? guessDraft(account.address));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const syncDays = Number(days);
    if (!Number.isInteger(syncDays) || syncDays < 1 || syncDays > 3650) return setMessage({ ok: false, text: 'Enter a number of days from 1 to 3650.' });
    const problem = draftProblem(draft);
    if (problem) return setMessage({ ok: false, text: problem });
    setBusy(true);
    setMessage(null);
    update({ accountId: account.id, settings: { ...settingsFrom(draft, stored), showMailFrom, syncDays } }).then(
      () => {
        setBusy(false);
        setMessage({ ok: true, text: 'Saved.' });
      },
      (e: unknown) => {
        setBusy(false);
        setMessage({ ok: false, text: describeError(e) });
      },
    );
  };

  return (
    <Dialog label={`Settings for ${account.address}`} onClose={onClose} className="email-settings-dialog" dismissible>
      <h2 className="dialog-title">Email account settings</h2>
      <p className="dialog-summary">{account.address}</p>
      <form className="email-settings-section" onSubmit={onSubmit} aria-label="Mail settings" aria-busy={busy} noValidate>
        <fieldset className="setting" disabled={busy}>
          <legend className="setting-title">Show mail from</legend>
          <div className="radios">
            {SHOW_MAIL_FROM.map((c) => (
              <label key={c.value} className="radio">
                <input
                  type="radio"
                  name={`${id}-show`}
                  value={c.value}
                  checked={showMailFrom === c.value}
                  aria-describedby={`${id}-${c.value}-d`}
                  onChange={() => setShowMailFrom(c.value)}
                />
                <span className="radio-text">
                  <span className="radio-label">{c.label}</span>
                  <span className="radio-description" id={`${id}-${c.value}-d`}>
                    {c.description}
                  </span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        {/* The input inside its label: the name reads "Download mail from the last 90 days". */}
        <label className="setting sync-days">
          <span className="setting-title">Download mail from the last</span>
          <input type="number" min={1} max={3650} inputMode="numeric" disabled={busy} value={days} onChange={(e) => setDays(e.target.value)} />
          <span>days</span>
        </label>
        <details className="email-settings-servers">
          <summary>Server settings</summary>
          <EmailServerFields value={draft} onChange={setDraft} disabled={busy} />
        </details>
        <div className="form-actions">
          {message && (
            <p className={message.ok ? 'form-success' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
              {message.text}
            </p>
          )}
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
      <PasswordChange account={account} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
