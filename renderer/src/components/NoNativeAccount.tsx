/** Invites need an encrypted-chat account: says so, and where to add one. */
export function NoNativeAccount({ onClose }: { onClose: () => void }) {
  return (
    <>
      <p className="dialog-text">
        Invites work with Switchboard's own encrypted chat. Set it up first: Settings, Accounts, “Switchboard (encrypted chat)”.
      </p>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          OK
        </button>
      </div>
    </>
  );
}
