/** The user's invites with their state, to show again or revoke (after asking). */
import { useState } from 'react';
import type { Invite } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { expiryInWords, INVITE_KIND_LABEL, INVITE_STATE_LABEL, inviteTitle, usesInWords } from '../format/invites.ts';
import { useNotify } from '../state/notify.tsx';
import { useInvites } from '../state/useInvites.ts';
import { useNow } from '../state/useNow.ts';
import { Dialog } from './Dialog.tsx';
import { InviteDetails } from './InviteDetails.tsx';

function InviteItem({ invite, now, onShow, onRevoke }: { invite: Invite; now: number; onShow: () => void; onRevoke: () => void }) {
  const title = inviteTitle(invite);
  const active = invite.state === 'active';
  return (
    <li className={`account invite${active ? '' : ' invite-inactive'}`}>
      <div className="invite-main">
        <div className="account-line">
          <span className="account-address">{title}</span>
          <span className={`invite-state invite-state-${invite.state}`}>{INVITE_STATE_LABEL[invite.state]}</span>
        </div>
        <div className="account-line muted invite-meta">
          {invite.label.trim() && <span>{INVITE_KIND_LABEL[invite.kind]}</span>}
          <span>{usesInWords(invite)}</span>
          {active && <span title={expiryInWords(invite, now)}>{expiryInWords(invite, now, true)}</span>}
        </div>
      </div>
      {active && (
        <>
          <button type="button" className="button button-small" aria-label={`Show ${title}`} onClick={onShow}>
            Show
          </button>
          <button type="button" className="button button-small button-danger" aria-label={`Revoke ${title}`} onClick={onRevoke}>
            Revoke
          </button>
        </>
      )}
    </li>
  );
}

export function InviteList() {
  const { invites, failure, revoke } = useInvites();
  const notify = useNotify();
  const now = useNow();
  const [showing, setShowing] = useState<Invite | null>(null);
  const [revoking, setRevoking] = useState<Invite | null>(null);

  if (failure && !invites) return <p className="muted">Couldn't load your invites: {failure}</p>;
  if (!invites) return <p className="muted">Loading invites…</p>;

  const confirmRevoke = (invite: Invite) => {
    setRevoking(null);
    revoke(invite).catch((error: unknown) => notify(`Couldn't revoke the invite: ${describeError(error)}`));
  };
  // The fresh copy: the list changes (uses, expiry) while one is shown.
  const shown = showing && (invites.find((i) => i.id === showing.id) ?? showing);

  return (
    <>
      {invites.length === 0 ? (
        <p className="muted">No invites yet.</p>
      ) : (
        <ul className="accounts invites" aria-label="Invites">
          {invites.map((invite) => (
            <InviteItem key={invite.id} invite={invite} now={now} onShow={() => setShowing(invite)} onRevoke={() => setRevoking(invite)} />
          ))}
        </ul>
      )}
      {shown && (
        <Dialog label="Invite" onClose={() => setShowing(null)} className="invite-dialog" dismissible>
          <h2 className="dialog-title">Invite</h2>
          <InviteDetails invite={shown} />
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={() => setShowing(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {revoking && (
        <Dialog label="Revoke invite" onClose={() => setRevoking(null)}>
          <h2 className="dialog-title">Revoke this invite?</h2>
          <p className="dialog-text">
            Nobody new can use “{inviteTitle(revoking)}” after this. People who already accepted it stay in your contacts.
          </p>
          <div className="dialog-actions">
            <button type="button" className="button" data-autofocus onClick={() => setRevoking(null)}>
              Cancel
            </button>
            <button type="button" className="button button-danger" onClick={() => confirmRevoke(revoking)}>
              Revoke
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
