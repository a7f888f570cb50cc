/** Invites in words: what kind, how many uses are left, when it ends, what state it is in. */
import type { Invite, InviteKind } from '../../../core/api/types.ts';
import { fullDateTime } from './time.ts';

/** The plain-words name of each kind, as the New invite dialog offers them. */
export const INVITE_KIND_LABEL: Record<InviteKind, string> = {
  'one-use': 'For one person',
  'multi-use': 'For several people',
  timed: 'For a limited time',
  address: 'My contact address',
};

export const INVITE_STATE_LABEL: Record<Invite['state'], string> = {
  active: 'Active',
  'used-up': 'Used up',
  expired: 'Expired',
  revoked: 'Revoked',
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function people(n: number): string {
  return `${n} ${n === 1 ? 'person' : 'people'}`;
}

/** "in 59 minutes", "in 23 hours", "in 7 days". */
export function inWords(ms: number): string {
  // Rounded first, so 59.9 minutes reads "in 1 hour", not "in 60 minutes".
  const minutes = Math.max(1, Math.round(ms / MINUTE));
  if (minutes < 60) return `in ${plural(minutes, 'minute')}`;
  const hours = Math.round(ms / HOUR);
  if (hours < 48) return `in ${plural(hours, 'hour')}`;
  return `in ${plural(Math.round(ms / DAY), 'day')}`;
}

/** The invite's name in lists: the user's label, else its kind. */
export function inviteTitle(invite: Invite): string {
  return invite.label.trim() || INVITE_KIND_LABEL[invite.kind];
}

/** "Used by 2 of 5 people", "Not used yet", "Used by 3 people". */
export function usesInWords(invite: Invite): string {
  if (invite.maxUses === 1) return invite.uses > 0 ? 'Used' : 'Not used yet';
  if (invite.maxUses !== null) {
    return invite.uses === 0 ? `Not used yet (up to ${people(invite.maxUses)})` : `Used by ${invite.uses} of ${people(invite.maxUses)}`;
  }
  return invite.uses === 0 ? 'Not used yet' : `Used by ${people(invite.uses)}`;
}

/**
 * "Expires in 7 days (Tuesday, 12 March 2025 at 14:00)", "Works until you revoke it", "Expired …";
 * `short` leaves out the date.
 */
export function expiryInWords(invite: Invite, now: number, short = false): string {
  if (invite.expiresAt === null) return 'Works until you revoke it';
  const when = fullDateTime(invite.expiresAt);
  if (invite.expiresAt <= now) return short ? 'Expired' : `Expired ${when}`;
  return `Expires ${inWords(invite.expiresAt - now)}${short ? '' : ` (${when})`}`;
}

/** What the one who receives it can do, for the dialog that shows a fresh invite. */
export function inviteReach(invite: Invite): string {
  switch (invite.kind) {
    case 'one-use':
      return 'The first person who opens this link becomes your contact. Send it to them privately.';
    case 'multi-use':
      return `Up to ${invite.maxUses ?? 'several'} people can use this link. Share it only with the people you mean.`;
    case 'timed':
      return 'Anyone with this link can write to you until it expires.';
    case 'address':
      return 'Anyone with this address can send you a message request. You decide whom to accept.';
  }
}
