/**
 * Above the composer of a chat that goes by email while an encrypted route could exist: says so
 * plainly and offers the upgrade (an invitation by email). Once sent, says what happens meanwhile.
 */
import { useState } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';
import { LockGlyph } from './icons.tsx';

export function UpgradeBanner({ conversation }: { conversation: ConversationSummary }) {
  const bridge = useBridge();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const name = conversation.title;
  if (conversation.upgrade === null) return null;

  const upgrade = () => {
    setBusy(true);
    bridge.call('conversations.upgrade', { conversationId: conversation.id }).then(
      () => setBusy(false),
      (error: unknown) => {
        setBusy(false);
        notify(`Couldn't send the invitation: ${describeError(error)}`);
      },
    );
  };

  return (
    <section className="upgrade-banner" aria-label="Encrypted chat">
      <LockGlyph colour={conversation.upgrade === 'invited' ? 'grey' : conversation.rating.colour} className="upgrade-icon" />
      {conversation.upgrade === 'possible' ? (
        <>
          <p className="upgrade-text">
            Messages to {name} go by email, which mail servers can read. Invite {name} to end-to-end encrypted chat: the invitation goes
            by email, and this conversation continues encrypted once {name} accepts.
          </p>
          <button type="button" className="button button-primary" disabled={busy} onClick={upgrade}>
            Upgrade to encrypted chat
          </button>
        </>
      ) : (
        <p className="upgrade-text">
          Invitation sent by email. Messages go by email until {name} accepts; you can revoke it from the contact details.
        </p>
      )}
    </section>
  );
}
