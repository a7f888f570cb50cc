/** The choices of the New invite dialog: which kind (in plain words), how many or how long, a label. */
import { useId, useState, type FormEvent } from 'react';
import type { CommandParams } from '../../../core/api/commands.ts';
import type { Account, InviteKind } from '../../../core/api/types.ts';
import { INVITE_KIND_LABEL } from '../format/invites.ts';

const KIND_DESCRIPTION: Record<InviteKind, string> = {
  'one-use': 'One person can use it, once. The safest choice.',
  'multi-use': 'A set number of people can use it: a family, a team.',
  timed: 'Anyone with the link can use it until it expires.',
  address: 'A long-lived address for a website or a business card. People who use it arrive as requests.',
};

const KINDS: InviteKind[] = ['one-use', 'multi-use', 'timed', 'address'];

const DURATIONS = [
  { seconds: 3_600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 7 * 86_400, label: '7 days' },
];

export type InviteRequest = CommandParams['invites.create'];

interface NewInviteFormProps {
  /** The native accounts; a choice appears when there are several. */
  accounts: Account[];
  busy: boolean;
  onSubmit: (request: InviteRequest) => void;
  onCancel: () => void;
}

export function NewInviteForm({ accounts, busy, onSubmit, onCancel }: NewInviteFormProps) {
  const id = useId();
  const [kind, setKind] = useState<InviteKind>('one-use');
  const [uses, setUses] = useState('5');
  const [seconds, setSeconds] = useState(86_400);
  const [label, setLabel] = useState('');
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? '');
  const usesNumber = Number(uses);
  const usesValid = Number.isInteger(usesNumber) && usesNumber >= 2 && usesNumber <= 1000;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (kind === 'multi-use' && !usesValid) return;
    onSubmit({
      kind,
      ...(accountId ? { accountId } : {}),
      ...(kind === 'multi-use' ? { uses: usesNumber } : {}),
      ...(kind === 'timed' ? { expiresInSeconds: seconds } : {}),
      ...(label.trim() ? { label: label.trim() } : {}),
    });
  };

  return (
    <form className="invite-form" onSubmit={submit}>
      <fieldset className="setting">
        <legend className="setting-title">Who is it for?</legend>
        <div className="radios">
          {KINDS.map((k) => (
            <label key={k} className="radio">
              <input
                type="radio"
                name={`${id}-kind`}
                value={k}
                checked={kind === k}
                aria-describedby={`${id}-${k}-d`}
                data-autofocus={k === kind ? true : undefined}
                onChange={() => setKind(k)}
              />
              <span className="radio-text">
                <span className="radio-label">{INVITE_KIND_LABEL[k]}</span>
                <span className="radio-description" id={`${id}-${k}-d`}>
                  {KIND_DESCRIPTION[k]}
                </span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="invite-form-fields">
        {kind === 'multi-use' && (
          <div className="field">
            <label htmlFor={`${id}-uses`}>How many people</label>
            <input
              id={`${id}-uses`}
              type="number"
              min={2}
              max={1000}
              value={uses}
              aria-invalid={!usesValid}
              aria-describedby={usesValid ? undefined : `${id}-uses-e`}
              onChange={(e) => setUses(e.target.value)}
            />
            {!usesValid && (
              <span className="form-error" id={`${id}-uses-e`}>
                Between 2 and 1000.
              </span>
            )}
          </div>
        )}
        {kind === 'timed' && (
          <div className="field">
            <label htmlFor={`${id}-for`}>Works for</label>
            <select id={`${id}-for`} value={seconds} onChange={(e) => setSeconds(Number(e.target.value))}>
              {DURATIONS.map((d) => (
                <option key={d.seconds} value={d.seconds}>
                  {d.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field field-grow">
          <label htmlFor={`${id}-label`}>Label (optional, only you see it)</label>
          <input
            id={`${id}-label`}
            type="text"
            maxLength={200}
            autoComplete="off"
            placeholder="e.g. Book club"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        </div>
        {accounts.length > 1 && (
          <div className="field">
            <label htmlFor={`${id}-account`}>From account</label>
            <select id={`${id}-account`} value={accountId} onChange={(e) => setAccountId(e.target.value)}>
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.displayName || a.address}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy || (kind === 'multi-use' && !usesValid)}>
          {busy ? 'Creating…' : 'Create invite'}
        </button>
      </div>
    </form>
  );
}
