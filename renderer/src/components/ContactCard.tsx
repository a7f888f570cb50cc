/**
 * Every route to a contact: protocol, address, account, reachability, padlock and reasons,
 * which one the next message takes and why (core decides), pinning a route, and checking the
 * safety number of a native identity.
 */
import { useEffect, useRef, useState } from 'react';
import type { Account, Contact, Route } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { identityLabel, PRESENCE_DETAIL } from '../format/labels.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useApiEvent, useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';
import { Avatar } from './Avatar.tsx';
import { Dialog } from './Dialog.tsx';
import { PadlockButton } from './Padlock.tsx';
import { ContactInvites } from './ContactInvites.tsx';
import { ContactMerges } from './ContactMerges.tsx';
import { MergeContactDialog } from './MergeContactDialog.tsx';
import { ProtocolBadge } from './ProtocolBadge.tsx';
import { SafetyNumberPanel } from './SafetyNumberPanel.tsx';
import { SecurityReasons } from './SecurityReasons.tsx';

interface RouteItemProps {
  route: Route;
  chosen: boolean;
  pinned: boolean;
  account: Account | undefined;
  onPin: (identityId: string | null) => void;
  /** Opens the safety number of this identity; only protocols that have them offer it. */
  onVerify: (identityId: string) => void;
  /** Starts an emoji verification (Matrix), or accepts their changed identity. */
  onEmoji: (identityId: string, what: 'verification.start' | 'verification.acknowledgeChange') => void;
}

function RouteItem({ route, chosen, pinned, account, onPin, onVerify, onEmoji }: RouteItemProps) {
  const { identity } = route;
  return (
    <li className={`route${chosen ? ' route-chosen' : ''}`}>
      <div className="route-head">
        <ProtocolBadge protocol={identity.protocol} />
        <span className="route-address">{identityLabel(identity)}</span>
        <PadlockButton rating={route.rating} />
      </div>
      <div className="route-facts">
        <span>via {account ? account.address : 'an account that was removed'}</span>
        <span className={route.available ? 'route-available' : 'route-unavailable'}>
          {route.available ? 'Available' : 'Not available now'}
        </span>
        {route.presence && <span className={`presence presence-${route.presence}`}>{PRESENCE_DETAIL[route.presence]}</span>}
        {chosen && <span className="route-tag">Used for the next message</span>}
        {pinned && <span className="route-tag route-tag-pinned">Pinned</span>}
      </div>
      <p className="route-summary">{route.rating.summary}</p>
      <SecurityReasons rating={route.rating} />
      <div className="route-actions">
        {identity.protocol === 'native' && (
          <button type="button" className="button button-small" data-verify={identity.id} onClick={() => onVerify(identity.id)}>
            Verify safety number
          </button>
        )}
        {route.emojiVerification && route.identityChanged && (
          <button type="button" className="button button-small" onClick={() => onEmoji(identity.id, 'verification.acknowledgeChange')}>
            Accept their new identity
          </button>
        )}
        {route.emojiVerification && (
          <button type="button" className="button button-small" onClick={() => onEmoji(identity.id, 'verification.start')}>
            Verify with emoji
          </button>
        )}
        {/* One button whose label flips, so keyboard focus stays on it. */}
        <button type="button" className="button button-small" onClick={() => onPin(pinned ? null : identity.id)}>
          {pinned ? 'Unpin' : 'Pin this route'}
        </button>
      </div>
    </li>
  );
}

export function ContactCard({ contactId, onClose }: { contactId: string; onClose: () => void }) {
  const bridge = useBridge();
  const notify = useNotify();
  const { accounts } = useAccounts();
  const [contact, setContact] = useState<Contact | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [verifying, setVerifying] = useState<string | null>(null);
  const [merging, setMerging] = useState(false);
  // Back from the safety number: focus returns to the button that opened it.
  const returnTo = useRef<string | null>(null);
  useEffect(() => {
    if (verifying !== null || returnTo.current === null) return;
    document.querySelector<HTMLElement>(`[data-verify="${CSS.escape(returnTo.current)}"]`)?.focus();
    returnTo.current = null;
  }, [verifying]);
  // Bumped by `contact.updated` for this contact: a key changed or a route appeared.
  const [version, setVersion] = useState(0);

  useApiEvent((event) => {
    if (event.type === 'contact.updated' && event.contactId === contactId) setVersion((v) => v + 1);
  });

  useEffect(() => {
    let live = true;
    bridge.call('contacts.get', { contactId }).then(
      (loaded) => live && setContact(loaded),
      (error: unknown) => live && setFailure(describeError(error)),
    );
    return () => {
      live = false;
    };
  }, [bridge, contactId, version]);

  const emoji = (identityId: string, what: 'verification.start' | 'verification.acknowledgeChange') => {
    bridge.call(what, { identityId }).then(
      () => {
        // The verification dialog takes over (it follows the verification's events).
        if (what === 'verification.start') onClose();
        else setVersion((v) => v + 1);
      },
      (error: unknown) => notify(`Couldn't ${what === 'verification.start' ? 'start the verification' : 'accept the new identity'}: ${describeError(error)}`),
    );
  };

  const pin = (identityId: string | null) => {
    bridge.call('contacts.pinRoute', { contactId, identityId }).then(setContact, (error: unknown) =>
      notify(`Couldn't change the route: ${describeError(error)}`),
    );
  };

  return (
    <Dialog label="Contact details" onClose={onClose} className="contact-card" dismissible>
      {!contact && !failure && <p className="dialog-text" role="status">Loading…</p>}
      {failure && <p className="dialog-text" role="alert">Couldn't load this contact: {failure}</p>}
      {contact && (
        <>
          <div className="contact-head">
            <Avatar id={contact.id} title={contact.displayName} size="large" />
            <h2 className="dialog-title">{contact.displayName}</h2>
          </div>
          {merging && (
            <MergeContactDialog
              contact={contact}
              onClose={() => setMerging(false)}
              onMerged={() => {
                setMerging(false);
                setVersion((v) => v + 1);
              }}
            />
          )}
          {verifying ? (
            <SafetyNumberPanel
              identityId={verifying}
              contactId={contactId}
              onBack={() => {
                returnTo.current = verifying;
                setVerifying(null);
              }}
            />
          ) : (
            <>
              <p className="contact-choice">
                <strong>Next message: </strong>
                {contact.chosenReason}
              </p>
              <ul className="routes" aria-label="Routes">
                {contact.routes.map((route) => (
                  <RouteItem
                    key={route.identity.id}
                    route={route}
                    chosen={route.identity.id === contact.chosenIdentityId}
                    pinned={route.identity.id === contact.pinnedIdentityId}
                    account={accounts?.find((a) => a.id === route.identity.accountId)}
                    onPin={pin}
                    onVerify={setVerifying}
                    onEmoji={emoji}
                  />
                ))}
              </ul>
              <ContactInvites invites={contact.invites} onChanged={() => setVersion((v) => v + 1)} />
              <ContactMerges merges={contact.merges} onChanged={() => setVersion((v) => v + 1)} />
              <div className="contact-more">
                <button type="button" className="button button-small" data-merge onClick={() => setMerging(true)}>
                  Merge with another contact…
                </button>
              </div>
            </>
          )}
        </>
      )}
    </Dialog>
  );
}
