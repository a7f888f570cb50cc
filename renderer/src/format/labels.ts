/** Words the UI shows for api values. Labels only: ratings themselves come from core. */
import type { Identity, MessageStatus, PresenceState, Protocol, Rating } from '../../../core/api/types.ts';

/** Long names, as in the first-use and downgrade dialogs. */
export const PROTOCOL_LABEL: Record<Protocol, string> = {
  email: 'Email',
  xmpp: 'XMPP',
  matrix: 'Matrix',
  native: 'Switchboard (native)',
};

/** Short names for the small badges in lists and headers. */
export const PROTOCOL_BADGE: Record<Protocol, string> = {
  email: 'Email',
  xmpp: 'XMPP',
  matrix: 'Matrix',
  native: 'Native',
};

/** A contact's presence (XMPP) in words. */
export const PRESENCE_LABEL: Record<PresenceState, string> = {
  available: 'Online',
  away: 'Away',
  offline: 'Offline',
};

/** The same on a contact's route, where "Available" already says whether the account can send. */
export const PRESENCE_DETAIL: Record<PresenceState, string> = {
  available: 'They are online',
  away: 'They are away',
  offline: 'They are offline: messages wait on their server',
};

/** The exact accessible name of every padlock. */
export function padlockName(rating: Rating): string {
  return `Security: ${rating.colour}, ${rating.score}%`;
}

export function statusLabel(status: MessageStatus, error: string | null): string | null {
  switch (status) {
    case 'received':
      return null;
    case 'queued':
      return 'Queued';
    case 'waiting-route':
      return 'Waiting for a secure route';
    case 'sending':
      return 'Sending…';
    case 'sent':
      return 'Sent';
    case 'delivered':
      return 'Delivered';
    case 'read':
      return 'Read';
    case 'failed':
      return `Failed: ${error ?? 'unknown error'}`;
  }
}

/**
 * How a route's address reads: an encrypted-chat address is a local random id that means nothing
 * to people, so the name the peer chose is shown instead.
 */
export function identityLabel(identity: Pick<Identity, 'protocol' | 'address' | 'displayName'>): string {
  return identity.protocol === 'native' ? identity.displayName : identity.address;
}
