/**
 * Invitations to encrypted chat that travel inside another protocol's messages (an email), as the
 * store keeps them (migration 007): the invite of a received message and what the user did with
 * it, the invite sent in one of ours, and the invites this profile made for a contact.
 */
import type { InvitationRef } from '../../adapters/contract.ts';
import type { InvitationState } from '../api/types.ts';
import type { Db } from '../store/open.ts';
import { pluck, stmt } from '../store/statements.ts';

/** The longest invite link kept; the native protocol's links are a few KB. */
export const MAX_INVITATION_LINK = 10_000;
const LINK = /^switchboard:\/\/invite\/[A-Za-z0-9_\-./:~%+=]+$/;

/** An invite link as core accepts it from an adapter, or null when it is not one. */
export function validInvitation(ref: InvitationRef | undefined): string | null {
  const link = ref?.link;
  if (typeof link !== 'string' || link.length > MAX_INVITATION_LINK || !LINK.test(link)) return null;
  return link;
}

/** The invitation columns a message bubble needs, selected from `message_invitations` aliased `mi`. */
export const INVITATION_COLUMNS = 'mi.state AS invitation_state, mi.error AS invitation_error';

export interface InvitationSummaryRow {
  invitation_state: InvitationState | null;
  invitation_error: string | null;
}

/** Stores the invitation of a message. Call inside the message's transaction. */
export function storeInvitation(db: Db, messageSeq: number, link: string, state: InvitationState): void {
  stmt(db, 'INSERT OR REPLACE INTO message_invitations (message_seq, link, state, error) VALUES (?, ?, ?, NULL)').run(messageSeq, link, state);
}

export function invitationSummary(db: Db, messageSeq: number): InvitationSummaryRow | undefined {
  return stmt(db, `SELECT ${INVITATION_COLUMNS} FROM message_invitations mi WHERE mi.message_seq = ?`).get(messageSeq) as
    | InvitationSummaryRow
    | undefined;
}

export function invitationLink(db: Db, messageSeq: number): string | undefined {
  return pluck(db, 'SELECT link FROM message_invitations WHERE message_seq = ?').get(messageSeq) as string | undefined;
}

export function setInvitationState(db: Db, messageSeq: number, state: InvitationState, error: string | null = null): void {
  stmt(db, 'UPDATE message_invitations SET state = ?, error = ? WHERE message_seq = ?').run(state, error, messageSeq);
}

/** An invite made for a contact (the upgrade button), and what became of it. */
export interface ContactInviteRow {
  account_id: string;
  invite_id: string;
  contact_id: string;
  state: 'active' | 'linked' | 'revoked';
  expires_at: number | null;
  created_at: number;
}

export function bindInvite(db: Db, row: Omit<ContactInviteRow, 'state'>): void {
  stmt(db, 'INSERT INTO contact_invites (account_id, invite_id, contact_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)').run(
    row.account_id,
    row.invite_id,
    row.contact_id,
    row.expires_at,
    row.created_at,
  );
}

export function boundInvite(db: Db, accountId: string, inviteId: string): ContactInviteRow | undefined {
  return stmt(db, 'SELECT * FROM contact_invites WHERE account_id = ? AND invite_id = ?').get(accountId, inviteId) as ContactInviteRow | undefined;
}

/** The contact's invites still waiting to be accepted (not linked, revoked or expired). */
export function openInvites(db: Db, contactId: string, now: number): ContactInviteRow[] {
  return stmt(
    db,
    `SELECT * FROM contact_invites WHERE contact_id = ? AND state = 'active' AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC`,
  ).all(contactId, now) as ContactInviteRow[];
}

export function markInvite(db: Db, accountId: string, inviteId: string, state: ContactInviteRow['state']): void {
  stmt(db, 'UPDATE contact_invites SET state = ? WHERE account_id = ? AND invite_id = ?').run(state, accountId, inviteId);
}
