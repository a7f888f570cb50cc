/**
 * Adding a Matrix account: the Matrix ID and password; the homeserver is found from the ID (its
 * server's .well-known file) while the user types the password, and shown under "Advanced" where
 * it can be changed (Advanced opens by itself when nothing is found, so the user sees why). Switchboard logs in before saving and keeps only the login's token, so a
 * wrong password is said here. The password lives only in this form's state and the
 * `accounts.add` call.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { DiscoveredSettings } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { PasswordField } from './PasswordField.tsx';

/** `@localpart:server`; the server name (host and optional port) is group 1. */
const MXID = /^@[\x21-\x39\x3b-\x7e]+:((?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?)$/;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** How long typing must pause before the homeserver is looked up. */
const LOOKUP_DELAY_MS = 500;

interface Props {
  /** The protocol chooser of the add-account form. */
  protocolField: ReactNode;
}

function serverNameOf(mxid: string): string | null {
  return MXID.exec(mxid.trim())?.[1] ?? null;
}

/** What is wrong with a homeserver URL, in words; null when it will do (the core checks again). */
function homeserverProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'The homeserver is a web address, like https://matrix.example.org.';
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname.toLowerCase())) return null;
  return 'The homeserver address must start with https:// (plain http:// is allowed only for a server on this computer).';
}

type Lookup = { state: 'idle' | 'looking' | 'none' } | { state: 'found'; source: string };

export function MatrixAccountForm({ protocolField }: Props) {
  const bridge = useBridge();
  const { add } = useAccounts();
  const id = useId();
  const [address, setAddress] = useState('');
  const [password, setPassword] = useState('');
  const [homeserver, setHomeserver] = useState('');
  /** The user typed the homeserver: a lookup no longer replaces it. */
  const [ownHomeserver, setOwnHomeserver] = useState(false);
  const [lookup, setLookup] = useState<Lookup>({ state: 'idle' });
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [phase, setPhase] = useState<'idle' | 'discovering' | 'adding'>('idle');
  const [error, setError] = useState<string | null>(null);
  const busy = phase !== 'idle';
  // The pending lookup's timer, and a counter so only the newest lookup's answer is used.
  const pending = useRef<{ timer: ReturnType<typeof setTimeout> | undefined; seq: number }>({ timer: undefined, seq: 0 });
  const addressInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const p = pending.current;
    return () => clearTimeout(p.timer);
  }, []);

  /** Forgets any lookup under way; returns the number the next one answers to. */
  const cancelLookup = (): number => {
    clearTimeout(pending.current.timer);
    return ++pending.current.seq;
  };

  const discover = (mxid: string): Promise<DiscoveredSettings | null> =>
    bridge.call('accounts.discover', { protocol: 'matrix', address: mxid }).catch(() => null);

  /** Looks the homeserver up once typing pauses; a later keystroke or the user's own URL wins. */
  const scheduleLookup = (mxid: string) => {
    const seq = cancelLookup();
    if (!serverNameOf(mxid)) return setLookup({ state: 'idle' });
    pending.current.timer = setTimeout(() => {
      setLookup({ state: 'looking' });
      void discover(mxid.trim()).then((found) => {
        if (seq !== pending.current.seq) return;
        const url = found?.settings.homeserver;
        if (found && typeof url === 'string') {
          setHomeserver(url);
          setLookup({ state: 'found', source: found.source });
        } else {
          setLookup({ state: 'none' });
          // Nothing found: say so where the address is typed in, unless the user is still typing the ID.
          if (document.activeElement !== addressInput.current) setAdvancedOpen(true);
        }
      });
    }, LOOKUP_DELAY_MS);
  };

  const onAddressChange = (value: string) => {
    const server = serverNameOf(value);
    if (!ownHomeserver && server !== serverNameOf(address)) {
      // Another server: what was found for the old one no longer applies.
      setHomeserver('');
      scheduleLookup(value);
    }
    setAddress(value);
    setError(null);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const mxid = address.trim();
    if (!serverNameOf(mxid)) return setError('Enter your whole Matrix ID, like @you:matrix.example.org.');
    if (!password) return setError('Enter your password.');
    const typed = homeserver.trim();
    const problem = typed ? homeserverProblem(typed) : null;
    if (problem) {
      setAdvancedOpen(true);
      return setError(problem);
    }
    setError(null);
    void (async () => {
      try {
        let url = typed;
        if (!url) {
          cancelLookup();
          setPhase('discovering');
          const found = (await discover(mxid))?.settings.homeserver;
          if (typeof found !== 'string') {
            setPhase('idle');
            setLookup({ state: 'none' });
            setAdvancedOpen(true);
            return setError(`Couldn't find the homeserver for ${serverNameOf(mxid) ?? mxid}. Enter its address under Advanced.`);
          }
          url = found;
          setHomeserver(found);
        }
        setPhase('adding');
        await add({ protocol: 'matrix', address: mxid, displayName: mxid, settings: { homeserver: url }, secrets: { password } });
        setPhase('idle');
        setAddress('');
        setPassword('');
        setHomeserver('');
        setOwnHomeserver(false);
        setLookup({ state: 'idle' });
      } catch (e) {
        setPhase('idle');
        setError(`Couldn't add the account: ${describeError(e)}`);
      }
    })();
  };

  const lookupHint =
    lookup.state === 'looking'
      ? 'Looking up the homeserver…'
      : lookup.state === 'found' && !ownHomeserver
        ? `Found from ${lookup.source}.`
        : lookup.state === 'none' && !ownHomeserver
          ? 'No homeserver was found from your Matrix ID; enter its address.'
          : 'Leave empty to find it from your Matrix ID.';

  return (
    <form className="add-account add-account-email" onSubmit={onSubmit} aria-label="Add account" aria-busy={busy} noValidate>
      <div className="email-protocol-row">{protocolField}</div>
      {/* Top-aligned: the ID's hint under it would otherwise push the password field down. */}
      <div className="email-account-row email-account-row-top">
        <div className="field field-grow">
          <label htmlFor={`${id}-address`}>Matrix ID</label>
          <input
            ref={addressInput}
            id={`${id}-address`}
            type="text"
            autoComplete="username"
            spellCheck={false}
            autoCapitalize="off"
            maxLength={255}
            placeholder="@you:example.org"
            aria-describedby={`${id}-address-hint`}
            disabled={busy}
            value={address}
            onChange={(e) => onAddressChange(e.target.value)}
            onBlur={() => {
              if (lookup.state === 'none' && !ownHomeserver) setAdvancedOpen(true);
            }}
          />
          <span className="field-hint" id={`${id}-address-hint`}>
            Your whole Matrix ID: @, your user name, a colon and your server, as your other Matrix app shows it.
          </span>
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
      <details className="server-settings" open={advancedOpen} onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}>
        <summary>Advanced</summary>
        <div className="field">
          <label htmlFor={`${id}-homeserver`}>Homeserver</label>
          <input
            id={`${id}-homeserver`}
            type="url"
            spellCheck={false}
            autoCapitalize="off"
            maxLength={2048}
            placeholder="https://matrix.example.org"
            aria-describedby={`${id}-homeserver-hint`}
            disabled={busy}
            value={homeserver}
            onChange={(e) => {
              cancelLookup();
              setHomeserver(e.target.value);
              setOwnHomeserver(e.target.value.trim() !== '');
              if (lookup.state === 'looking') setLookup({ state: 'idle' });
              setError(null);
            }}
          />
          <span className="field-hint" id={`${id}-homeserver-hint`} aria-live="polite">
            {lookupHint} Switchboard keeps only a login token, never the password.
          </span>
        </div>
      </details>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {phase === 'discovering' ? 'Finding the homeserver…' : phase === 'adding' ? 'Logging in…' : 'Add account'}
        </button>
      </div>
    </form>
  );
}
