/** A made invite: its QR code, the link to copy, and what it allows in words. */
import type { Invite } from '../../../core/api/types.ts';
import { expiryInWords, INVITE_STATE_LABEL, inviteReach, inviteTitle, usesInWords } from '../format/invites.ts';
import { useNow } from '../state/useNow.ts';
import { CopyField } from './CopyField.tsx';
import { QrCode } from './QrCode.tsx';

export function InviteDetails({ invite }: { invite: Invite }) {
  const now = useNow();
  const active = invite.state === 'active';
  return (
    <div className="invite-details">
      <div className="invite-summary">
        {/* The short form when there is one: a smaller code scans more easily. */}
        <QrCode value={invite.shortLink ?? invite.link} label="QR code of the invite" className="invite-qr" />
        <div className="invite-words">
          <p className="invite-title">
            {inviteTitle(invite)}
            <span className={`invite-state invite-state-${invite.state}`}>{INVITE_STATE_LABEL[invite.state]}</span>
          </p>
          <p className="invite-reach">{active ? inviteReach(invite) : 'This invite no longer works.'}</p>
          <ul className="invite-facts">
            <li>{usesInWords(invite)}</li>
            <li>{expiryInWords(invite, now)}</li>
          </ul>
        </div>
      </div>
      {/* The full link: it carries everything, so it works even when the relay is unreachable. */}
      <CopyField label="Invite link" value={invite.link} buttonLabel="Copy link" />
    </div>
  );
}
