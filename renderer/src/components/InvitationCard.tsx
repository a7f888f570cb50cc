/**
 * An invitation to end-to-end encrypted chat that came in an email (or that the user sent): who
 * invites, Accept / Decline, and what became of it. The email's own text stays one click away.
 */
import { useState } from 'react';
import type { Message } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { LockGlyph } from './icons.tsx';

interface InvitationCardProps {
  message: Message;
  /** The message as core returns it after an answer. */
  onChanged: (message: Message) => void;
}

export function InvitationCard({ message: m, onChanged }: InvitationCardProps) {
  const bridge = useBridge();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const invitation = m.invitation;
  if (!invitation) return null;
  const name = m.senderName;

  const respond = (accept: boolean) => {
    setBusy(true);
    setError(null);
    bridge.call('invitations.respond', { messageId: m.id, accept }).then(
      (updated) => {
        setBusy(false);
        onChanged(updated);
      },
      (e: unknown) => {
        setBusy(false);
        // A refusal is stored on the message too (state `failed`); this covers a call that never got there.
        setError(describeError(e));
      },
    );
  };

  const failure = invitation.state === 'failed' ? (invitation.error ?? error) : error;
  return (
    <div className={`invitation-card invitation-${invitation.state}`} role="group" aria-label="Invitation to encrypted chat">
      <div className="invitation-head">
        <LockGlyph colour="green" className="invitation-icon" />
        <div>
          {invitation.state === 'sent' ? (
            <>
              <div className="invitation-title">Your invitation to end-to-end encrypted chat</div>
              <div className="invitation-text">Sent by ordinary email. Messages go by email until it is accepted.</div>
            </>
          ) : (
            <>
              <div className="invitation-title">{name} invites you to end-to-end encrypted chat</div>
              <div className="invitation-text">
                {invitation.state === 'accepted'
                  ? 'Accepted. Messages in this conversation now go end-to-end encrypted when possible.'
                  : invitation.state === 'declined'
                    ? 'You declined. Nothing changes; you can still accept.'
                    : 'Accept to continue this conversation so that only the two of you can read it. The invitation came by email: check the safety number with them to be sure it is theirs.'}
              </div>
            </>
          )}
        </div>
      </div>
      {failure && (
        <p className="invitation-error" role="alert">
          {failure}
        </p>
      )}
      {(invitation.state === 'offered' || invitation.state === 'failed' || invitation.state === 'declined') && (
        <div className="invitation-actions">
          {invitation.state === 'offered' && (
            <button type="button" className="button" disabled={busy} onClick={() => respond(false)}>
              Decline
            </button>
          )}
          <button type="button" className="button button-primary" disabled={busy} onClick={() => respond(true)}>
            {invitation.state === 'failed' ? 'Try again' : 'Accept'}
          </button>
        </div>
      )}
      <details className="invitation-email">
        <summary>Show the email</summary>
        <div className="message-text">{m.text}</div>
      </details>
    </div>
  );
}
