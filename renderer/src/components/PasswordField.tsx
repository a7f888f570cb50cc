/** The password field of the add-account forms (email, XMPP, Matrix): the same field and behaviour in each. */
interface PasswordFieldProps {
  /** The form's `useId()`: the input is `${id}-password`. */
  id: string;
  value: string;
  disabled: boolean;
  /** Called with the new value; the form clears its error there. */
  onChange: (value: string) => void;
}

export function PasswordField({ id, value, disabled, onChange }: PasswordFieldProps) {
  return (
    <div className="field field-grow">
      <label htmlFor={`${id}-password`}>Password</label>
      <input
        id={`${id}-password`}
        type="password"
        autoComplete="current-password"
        maxLength={4096}
        disabled={disabled}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
