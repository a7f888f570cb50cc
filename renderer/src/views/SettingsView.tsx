/** Settings: padlock style, receipts on weak routes, security dialogs, theme, accounts, invites. */
import { useId } from 'react';
import type { ConversationSummary, Settings } from '../../../core/api/types.ts';
import { AccountList } from '../components/AccountList.tsx';
import { AddAccountForm } from '../components/AddAccountForm.tsx';
import { CloseIcon } from '../components/icons.tsx';
import { useInviteDialogs } from '../components/InviteDialogs.tsx';
import { InviteList } from '../components/InviteList.tsx';
import { useSettings } from '../state/settings.tsx';

interface Choice<T extends string> {
  value: T;
  label: string;
  description?: string;
}

const PADLOCK_STYLES: Choice<Settings['padlockStyle']>[] = [
  { value: 'explain', label: 'Explain', description: 'Colour and a short label (“Encrypted”, “Not private”), with notices the first time.' },
  { value: 'quiet', label: 'Quiet', description: 'The padlock icon only; asks only before a red downgrade.' },
];

const THEMES: Choice<Settings['theme']>[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

function RadioGroup<T extends string>({ legend, name, choices, value, onChange }: { legend: string; name: string; choices: Choice<T>[]; value: T; onChange: (value: T) => void }) {
  const id = useId();
  return (
    <fieldset className="setting">
      <legend className="setting-title">{legend}</legend>
      <div className="radios">
        {choices.map((c) => (
          <label key={c.value} className="radio">
            <input
              type="radio"
              name={`${id}-${name}`}
              value={c.value}
              checked={value === c.value}
              aria-describedby={c.description ? `${id}-${c.value}-d` : undefined}
              onChange={() => onChange(c.value)}
            />
            <span className="radio-text">
              <span className="radio-label">{c.label}</span>
              {c.description && (
                <span className="radio-description" id={`${id}-${c.value}-d`}>
                  {c.description}
                </span>
              )}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function Toggle({ label, description, checked, onChange }: { label: string; description: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div className="setting setting-toggle">
      <input id={id} type="checkbox" checked={checked} aria-describedby={`${id}-d`} onChange={(e) => onChange(e.target.checked)} />
      <div>
        <label htmlFor={id} className="setting-title">
          {label}
        </label>
        <p className="setting-description" id={`${id}-d`}>
          {description}
        </p>
      </div>
    </div>
  );
}

interface SettingsViewProps {
  onClose: () => void;
  /** An invite was accepted from here: open its conversation. */
  onInviteAccepted: (conversation: ConversationSummary) => void;
}

export function SettingsView({ onClose, onInviteAccepted }: SettingsViewProps) {
  const { settings, update } = useSettings();
  const invites = useInviteDialogs(onInviteAccepted);
  return (
    <main className="settings" aria-labelledby="settings-title">
      <header className="settings-header">
        <h1 id="settings-title">Settings</h1>
        <button type="button" className="icon-button" aria-label="Close settings" title="Close settings" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div className="settings-body">
        {!settings ? (
          <p className="muted">Loading settings…</p>
        ) : (
          <>
            <section className="settings-section" aria-labelledby="settings-security">
              <h2 id="settings-security">Security</h2>
              <RadioGroup legend="Padlock style" name="padlock" choices={PADLOCK_STYLES} value={settings.padlockStyle} onChange={(padlockStyle) => update({ padlockStyle })} />
              <Toggle
                label="Send read receipts and typing notifications on grey and red routes"
                description="Read receipts and typing notifications are only sent on green (end-to-end encrypted) routes unless you turn this on."
                checked={settings.receiptsOnWeakRoutes}
                onChange={(receiptsOnWeakRoutes) => update({ receiptsOnWeakRoutes })}
              />
              <Toggle
                label="Show security messages"
                description="Explain how a protocol rates the first time you use it."
                checked={settings.securityDialogs}
                onChange={(securityDialogs) => update({ securityDialogs })}
              />
              <Toggle
                label="Accept invitations to encrypted chat automatically from people you have written to"
                description="An invitation that comes by email from someone you have sent messages to is accepted without asking. Invitations from anyone else always ask first."
                checked={settings.autoAcceptInvitations}
                onChange={(autoAcceptInvitations) => update({ autoAcceptInvitations })}
              />
            </section>
            <section className="settings-section" aria-labelledby="settings-appearance">
              <h2 id="settings-appearance">Appearance</h2>
              <RadioGroup legend="Theme" name="theme" choices={THEMES} value={settings.theme} onChange={(theme) => update({ theme })} />
            </section>
          </>
        )}
        <section className="settings-section" aria-labelledby="settings-accounts">
          <h2 id="settings-accounts">Accounts</h2>
          <AccountList />
          <h3 className="settings-subtitle">Add an account</h3>
          <AddAccountForm />
        </section>
        <section className="settings-section" aria-labelledby="settings-invites">
          <h2 id="settings-invites">Invites</h2>
          <p className="setting-description settings-lead">
            People join your encrypted chat through an invite: a link or a QR code you give them.
          </p>
          <div className="settings-buttons">
            <button type="button" className="button button-primary" onClick={invites.openNew}>
              New invite
            </button>
            <button type="button" className="button" onClick={invites.openAccept}>
              Accept invite
            </button>
          </div>
          <InviteList />
          {invites.dialogs}
        </section>
      </div>
    </main>
  );
}
