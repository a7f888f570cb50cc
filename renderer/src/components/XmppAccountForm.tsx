/**
 * Adding an XMPP account: address and password; the server is found from the address (DNS SRV
 * records, else its domain) unless the user names one. Switchboard logs in once before saving, so
 * a wrong password or an untrusted certificate is said here, not later. The password lives only
 * in this form's state and the `accounts.add` call.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { PasswordField } from './PasswordField.tsx';

const JID = /^[^@/\s]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/;
const HOST = /^[A-Za-z0-9.-]+$/;

interface Props {
  /** The protocol chooser of the add-account form. */
  protocolField: ReactNode;
}

/** The server setting from the manual fields, or null to look it up; a string is a problem in words. */
function manualService(host: string, port: string, directTls: boolean): { service: string } | null | string {
  if (!host.trim() && !port.trim()) return null;
  if (!HOST.test(host.trim())) return 'Enter the server’s host name, like chat.example.org.';
  const p = port.trim() ? Number(port) : directTls ? 5223 : 5222;
  if (!Number.isInteger(p) || p < 1 || p > 65535) return 'The port is a number from 1 to 65535.';
  return { service: `${directTls ? 'xmpps' : 'xmpp'}://${host.trim()}:${p}` };
}

export function XmppAccountForm({ protocolField }: Props) {
  const bridge = useBridge();
  const { add } = useAccounts();
  const id = useId();
  const [address, setAddress] = useState('');
  const [password, setPassword] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [directTls, setDirectTls] = useState(false);
  const [certificate, setCertificate] = useState('');
  const [phase, setPhase] = useState<'idle' | 'discovering' | 'adding'>('idle');
  const [error, setError] = useState<string | null>(null);
  const busy = phase !== 'idle';

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const jid = address.trim();
    if (!JID.test(jid)) return setError('Enter your whole XMPP address, like you@jabber.example.org.');
    if (!password) return setError('Enter your password.');
    const manual = manualService(host, port, directTls);
    if (typeof manual === 'string') return setError(manual);
    const cert = certificate.trim();
    if (cert && !cert.includes('-----BEGIN CERTIFICATE-----')) return setError('The certificate must be in PEM form (it starts with -----BEGIN CERTIFICATE-----).');
    setError(null);
    void (async () => {
      try {
        let settings: Record<string, unknown>;
        if (manual) settings = manual;
        else {
          setPhase('discovering');
          settings = (await bridge.call('accounts.discover', { protocol: 'xmpp', address: jid }))?.settings ?? {};
        }
        if (cert) settings = { ...settings, trustedCertificate: cert };
        setPhase('adding');
        await add({ protocol: 'xmpp', address: jid, displayName: jid, settings, secrets: { password } });
        setPhase('idle');
        setAddress('');
        setPassword('');
        setHost('');
        setPort('');
        setCertificate('');
      } catch (e) {
        setPhase('idle');
        setError(`Couldn't add the account: ${describeError(e)}`);
      }
    })();
  };

  return (
    <form className="add-account add-account-email" onSubmit={onSubmit} aria-label="Add account" aria-busy={busy} noValidate>
      <div className="email-protocol-row">{protocolField}</div>
      <div className="email-account-row">
        <div className="field field-grow">
          <label htmlFor={`${id}-address`}>XMPP address</label>
          <input
            id={`${id}-address`}
            type="text"
            autoComplete="username"
            spellCheck={false}
            autoCapitalize="off"
            maxLength={320}
            placeholder="you@jabber.example.org"
            disabled={busy}
            value={address}
            onChange={(e) => {
              setAddress(e.target.value);
              setError(null);
            }}
          />
        </div>
        <PasswordField
          id={id}
          value={password}
          disabled={busy}
          onChange={(v) => {
            setPassword(v);
            setError(null);
          }}
        />
      </div>
      <details className="server-settings">
        <summary>Server settings (optional)</summary>
        <p className="field-hint">Leave empty to find the server from your address. Switchboard always uses TLS and checks the server’s certificate.</p>
        <div className="email-account-row">
          <div className="field field-grow">
            <label htmlFor={`${id}-host`}>Server</label>
            <input id={`${id}-host`} type="text" spellCheck={false} autoCapitalize="off" placeholder="chat.example.org" disabled={busy} value={host} onChange={(e) => setHost(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-port`}>Port</label>
            <input id={`${id}-port`} type="text" inputMode="numeric" placeholder={directTls ? '5223' : '5222'} disabled={busy} value={port} onChange={(e) => setPort(e.target.value)} />
          </div>
        </div>
        <label className="checkbox-line">
          <input type="checkbox" checked={directTls} disabled={busy} onChange={(e) => setDirectTls(e.target.checked)} /> TLS from the first byte (direct TLS) instead of STARTTLS
        </label>
        <div className="field">
          <label htmlFor={`${id}-cert`}>Trust this server’s own certificate (for a self-hosted server; PEM)</label>
          <textarea id={`${id}-cert`} rows={3} spellCheck={false} disabled={busy} value={certificate} onChange={(e) => setCertificate(e.target.value)} />
        </div>
      </details>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {phase === 'discovering' ? 'Finding the server…' : phase === 'adding' ? 'Logging in…' : 'Add account'}
        </button>
      </div>
    </form>
  );
}
