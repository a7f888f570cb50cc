/** The contact card's open invitations (made by "Upgrade to encrypted chat"): when they lapse, and Revoke. */
import { useState } from 'react';
import type { Invite } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { fullDateTime } from '../format/time.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';

export function ContactInvites({ invites, onChanged }: { invites: Invite[]; onChanged: () => void }) {
  const bridge = useBridge();
  const notify = useNotify();
  const [busy, setBusy] = useState<string | null>(null);
  if (invites.length === 0) return null;

  const revoke = (invite: Invite) => {
    setBusy(invite.id);
    bridge.call('invites.revoke', { accountId: invite.accountId, inviteId: invite.id }).then(
      () => {
        setBusy(null);
        onChanged();
      },
      (error: unknown) => {
        setBusy(null);
        notify(`Couldn't revoke the invitation: ${describeError(error)}`);
      },
    );
  };

  return (
    <section className="contact-invites" aria-labelledby="contact-invites-title">
      <h3 id="contact-invites-title" className="contact-section-title">
        Invitations
      </h3>
      <ul className="contact-invite-list">
        {invites.map((invite) => (
          <li key={invite.id} className="contact-invite">
            <span>
              Invitation to encrypted chat, sent by email {fullDateTime(invite.createdAt)}
              {invite.expiresAt !== null && `; works until ${fullDateTime(invite.expiresAt)}`}.
            </span>
            <button type="button" className="button button-small" disabled={busy === invite.id} onClick={() => revoke(invite)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
