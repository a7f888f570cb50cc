/**
 * A read-only text field with a Copy button. The clipboard may be refused (no permission, an
 * insecure origin): the field stays there to select and copy by hand, and the status says so.
 */
import { useEffect, useId, useRef, useState } from 'react';

const CONFIRM_MS = 2_500;

interface CopyFieldProps {
  /** The field's accessible name, e.g. "Invite link". */
  label: string;
  value: string;
  /** The button's text, e.g. "Copy link". */
  buttonLabel: string;
}

export function CopyField({ label, value, buttonLabel }: CopyFieldProps) {
  const id = useId();
  const fieldRef = useRef<HTMLInputElement>(null);
  const [result, setResult] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (result !== 'copied') return;
    const timer = setTimeout(() => setResult('idle'), CONFIRM_MS);
    return () => clearTimeout(timer);
  }, [result]);

  const copy = () => {
    const fallback = () => {
      setResult('failed');
      fieldRef.current?.focus();
      fieldRef.current?.select();
    };
    if (!navigator.clipboard) return fallback();
    navigator.clipboard.writeText(value).then(() => setResult('copied'), fallback);
  };

  return (
    <div className="copy-field">
      <label htmlFor={id} className="copy-field-label">
        {label}
      </label>
      <div className="copy-field-row">
        <input
          ref={fieldRef}
          id={id}
          className="copy-field-input"
          type="text"
          readOnly
          spellCheck={false}
          value={value}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="button button-primary" onClick={copy}>
          {buttonLabel}
        </button>
      </div>
      <p className={`copy-field-status${result === 'failed' ? ' copy-field-failed' : ''}`} role="status">
        {result === 'copied' && '✓ Copied'}
        {result === 'failed' && "Couldn't copy by itself: the link is selected, press Ctrl+C (⌘C on a Mac)."}
      </p>
    </div>
  );
}
