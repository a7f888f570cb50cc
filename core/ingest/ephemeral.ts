/**
 * Adapter events that change nothing stored: a peer's presence (the adapter keeps it; core asks
 * `presenceOf` when it builds a view), typing notices and emoji verifications' progress. They only tell the renderer which contact or conversation to show
 * differently; nothing here creates a contact or a conversation (a stranger's presence or typing
 * must not put anything in the inbox).
 */
import type { AdapterEvent } from '../../adapters/contract.ts';
import type { VerificationUpdate } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { normaliseAddress } from '../contacts/resolve.ts';
import type { AccountRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';

type PresenceEvent = Extract<AdapterEvent, { type: 'presence' }>;
type TypingEvent = Extract<AdapterEvent, { type: 'typing' }>;

/** A typing notice for the renderer. */
export interface TypingNotice {
  conversationId: string;
  /** Who types, as the user knows them (the contact's name, or the group member's). */
  name: string;
  typing: boolean;
}

function protocolOf(ctx: CoreContext, accountId: string): AccountRow['protocol'] | undefined {
  return pluck(ctx.db, 'SELECT protocol FROM accounts WHERE id = ?').get(accountId) as AccountRow['protocol'] | undefined;
}

/** The contacts and direct conversations that show this peer's presence. */
export function applyPresence(ctx: CoreContext, e: PresenceEvent): { contacts: string[]; conversations: string[] } {
  const protocol = protocolOf(ctx, e.accountId);
  if (!protocol) return { contacts: [], conversations: [] };
  const address = normaliseAddress(protocol, e.address);
  const contacts = (stmt(ctx.db, 'SELECT DISTINCT contact_id FROM identities WHERE account_id = ? AND address = ?').all(e.accountId, address) as {
    contact_id: string;
  }[]).map((r) => r.contact_id);
  const conversations = contacts.flatMap((c) => (stmt(ctx.db, "SELECT id FROM conversations WHERE contact_id = ? AND kind = 'direct'").all(c) as { id: string }[]).map((r) => r.id));
  return { contacts, conversations };
}

/** The conversation a typing notice belongs to and who types, or null when it is not one the user has. */
export function readTyping(ctx: CoreContext, e: TypingEvent): TypingNotice | null {
  const protocol = protocolOf(ctx, e.accountId);
  if (!protocol) return null;
  if (e.conversation.kind === 'group') {
    const id = pluck(ctx.db, 'SELECT id FROM conversations WHERE account_id = ? AND remote_id = ?').get(e.accountId, e.conversation.roomId) as string | undefined;
    return id ? { conversationId: id, name: e.sender.displayName?.trim() || e.sender.address, typing: e.typing } : null;
  }
  const row = stmt(
    ctx.db,
    `SELECT c.id, k.display_name FROM identities i JOIN contacts k ON k.id = i.contact_id
     JOIN conversations c ON c.contact_id = i.contact_id AND c.kind = 'direct'
     WHERE i.account_id = ? AND i.address = ?`,
  ).get(e.accountId, normaliseAddress(protocol, e.conversation.peer.address)) as { id: string; display_name: string } | undefined;
  return row ? { conversationId: row.id, name: row.display_name, typing: e.typing } : null;
}

type VerificationEvent = Extract<AdapterEvent, { type: 'verification' }>;

/** An emoji verification's progress for the UI, with the contact it is with when the address has one. */
export function readVerification(ctx: CoreContext, e: VerificationEvent): VerificationUpdate | null {
  const protocol = protocolOf(ctx, e.accountId);
  if (!protocol) return null;
  const row = stmt(
    ctx.db,
    `SELECT k.id, k.display_name FROM identities i JOIN contacts k ON k.id = i.contact_id WHERE i.account_id = ? AND i.address = ?`,
  ).get(e.accountId, normaliseAddress(protocol, e.peer.address)) as { id: string; display_name: string } | undefined;
  return {
    accountId: e.accountId,
    requestId: e.requestId,
    contactId: row?.id ?? null,
    peerName: row?.display_name ?? (e.peer.displayName?.trim() || e.peer.address),
    peerAddress: e.peer.address,
    step: e.step,
  };
}
