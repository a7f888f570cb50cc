/** "New invite": choose the kind, then show the invite (QR code, link, what it allows). */
import { useEffect, useRef, useState } from 'react';
import type { Invite } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { useInvites } from '../state/useInvites.ts';
import { Dialog } from './Dialog.tsx';
import { InviteDetails } from './InviteDetails.tsx';
import { NewInviteForm, type InviteRequest } from './NewInviteForm.tsx';
import { NoNativeAccount } from './NoNativeAccount.tsx';

export function NewInviteDialog({ onClose }: { onClose: () => void }) {
  const bridge = useBridge();
  const { accounts } = useAccounts();
  const { invites } = useInvites();
  const [created, setCreated] = useState<Invite | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const native = (accounts ?? []).filter((a) => a.protocol === 'native');
  // The list's copy once it has it: uses and state change while the dialog is open.
  const shown = created && (invites?.find((i) => i.id === created.id) ?? created);

  // The button pressed is gone once the view switches (Create, Make another): focus the next thing to do.
  useEffect(() => {
    const next = created ? '.copy-field button' : 'input[type="radio"]:checked';
    bodyRef.current?.querySelector<HTMLElement>(next)?.focus();
  }, [created]);

  const create = (request: InviteRequest) => {
    setBusy(true);
    setError(null);
    bridge.call('invites.create', request).then(
      (invite) => {
        setBusy(false);
        setCreated(invite);
      },
      (e: unknown) => {
        setBusy(false);
        setError(describeError(e));
      },
    );
  };

  return (
    <Dialog label="New invite" onClose={onClose} className="invite-dialog" dismissible>
      <div ref={bodyRef}>
        <h2 className="dialog-title">New invite</h2>
        {accounts !== null && native.length === 0 ? (
          <NoNativeAccount onClose={onClose} />
        ) : shown ? (
          <>
            <InviteDetails invite={shown} />
            <div className="dialog-actions">
              <button type="button" className="button" onClick={() => setCreated(null)}>
                Make another
              </button>
              <button type="button" className="button button-primary" onClick={onClose}>
                Done
              </button>
            </div>
          </>
        ) : (
          <>
            <p className="dialog-text">Whoever opens the invite becomes your contact on Switchboard's encrypted chat.</p>
            <NewInviteForm accounts={native} busy={busy} onSubmit={create} onCancel={onClose} />
            {error && (
              <p className="form-error" role="alert">
                Couldn't create the invite: {error}
              </p>
            )}
          </>
        )}
      </div>
    </Dialog>
  );
}
