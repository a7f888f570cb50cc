/**
 * Above the composer of a chat that goes by email while an encrypted route could exist: says so
 * plainly and offers the upgrade (an invitation by email). Once sent, says what happens meanwhile.
 * "Not now" hides the offer for this conversation on this device.
 */
import { useState } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';
import { dismissUpgrade, upgradeDismissed } from '../state/upgradeDismissals.ts';
import { CloseIcon, LockGlyph } from './icons.tsx';

export function UpgradeBanner({ conversation }: { conversation: ConversationSummary }) {
  const bridge = useBridge();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [hidden, setHidden] = useState(() => upgradeDismissed(conversation.id));
  const name = conversation.title;
  if (conversation.upgrade === null || (conversation.upgrade === 'possible' && hidden)) return null;

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
            <strong>Messages to {name} go by email</strong>, which mail servers can read. Invite them to end-to-end encrypted chat; this
            conversation continues, encrypted, once they accept.
          </p>
          <div className="upgrade-actions">
            <button type="button" className="button button-primary" disabled={busy} onClick={upgrade}>
              Upgrade to encrypted chat
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label="Not now"
              title="Not now"
              onClick={() => {
                dismissUpgrade(conversation.id);
                setHidden(true);
              }}
            >
              <CloseIcon />
            </button>
          </div>
        </>
      ) : (
        <p className="upgrade-text">
          <strong>Invitation sent by email.</strong> Messages go by email until {name} accepts. You can revoke it in the contact details.
        </p>
      )}
    </section>
  );
}
