/** The editable server settings of an email account: IMAP and SMTP (server, port, security) and the user name. */
import { useId } from 'react';
import { SECURITY_LABEL, USUAL_PORT, type EmailDraft, type Security, type ServerDraft } from '../format/emailSettings.ts';

const SECURITIES: Security[] = ['tls', 'starttls', 'none'];

interface ServerProps {
  kind: 'imap' | 'smtp';
  value: ServerDraft;
  onChange: (value: ServerDraft) => void;
  disabled: boolean;
}

function ServerFields({ kind, value, onChange, disabled }: ServerProps) {
  const id = useId();
  const name = kind === 'imap' ? 'IMAP' : 'SMTP';
  const onSecurity = (security: Security) => {
    // A port that was the usual one for the old security follows the new one (993 → 143 for STARTTLS).
    const usual = Object.values(USUAL_PORT[kind]).map(String).includes(value.port.trim()) || value.port.trim() === '';
    onChange({ ...value, security, port: usual ? String(USUAL_PORT[kind][security]) : value.port });
  };
  return (
    <fieldset className="email-server" disabled={disabled}>
      <legend className="email-server-legend">{kind === 'imap' ? 'Incoming mail' : 'Outgoing mail'}</legend>
      <div className="email-server-row">
        <div className="field field-grow">
          <label htmlFor={`${id}-host`}>{name} server</label>
          <input
            id={`${id}-host`}
            type="text"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            maxLength={253}
            placeholder={kind === 'imap' ? 'imap.example.org' : 'smtp.example.org'}
            value={value.host}
            onChange={(e) => onChange({ ...value, host: e.target.value })}
          />
        </div>
        <div className="field field-port">
          <label htmlFor={`${id}-port`}>{name} port</label>
          <input
            id={`${id}-port`}
            type="number"
            inputMode="numeric"
            min={1}
            max={65535}
            value={value.port}
            onChange={(e) => onChange({ ...value, port: e.target.value })}
          />
        </div>
        <div className="field field-security">
          <label htmlFor={`${id}-security`}>{name} security</label>
          <select id={`${id}-security`} value={value.security} onChange={(e) => onSecurity(e.target.value as Security)}>
            {SECURITIES.map((s) => (
              <option key={s} value={s}>
                {SECURITY_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {value.security === 'none' && (
        <p className="field-warning" role="note">
          Without encryption, your password and your mail cross the network where anyone on the way can read them.
        </p>
      )}
    </fieldset>
  );
}

interface Props {
  value: EmailDraft;
  onChange: (value: EmailDraft) => void;
  disabled: boolean;
}

export function EmailServerFields({ value, onChange, disabled }: Props) {
  const id = useId();
  return (
    <div className="email-servers">
      <ServerFields kind="imap" value={value.imap} disabled={disabled} onChange={(imap) => onChange({ ...value, imap })} />
      <ServerFields kind="smtp" value={value.smtp} disabled={disabled} onChange={(smtp) => onChange({ ...value, smtp })} />
      <div className="field">
        <label htmlFor={`${id}-username`}>User name</label>
        <input
          id={`${id}-username`}
          type="text"
          autoComplete="username"
          spellCheck={false}
          autoCapitalize="off"
          maxLength={320}
          disabled={disabled}
          value={value.username}
          onChange={(e) => onChange({ ...value, username: e.target.value })}
        />
        <span className="field-hint">Most providers use your full email address.</span>
      </div>
    </div>
  );
}
