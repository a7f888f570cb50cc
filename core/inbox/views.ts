import type { ConversationSummary, Message, MessageStatus, PresenceState, Protocol, Rating, Settings } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { contentSummary, parseAttachments, type ContentSummaryRow } from '../content/store.ts';
import { invitationSummary, openInvites, type InvitationSummaryRow } from '../upgrade/invitations.ts';
import { decideRoute, getContactRow } from '../contacts/routes.ts';
import { hasLeft } from '../groups/membership.ts';
import { parseFacts } from '../ingest/validate.ts';
import { rate, UNKNOWN_FACTS } from '../security/index.ts';
import { factsById } from '../store/facts.ts';
import type { Db } from '../store/open.ts';
import type { ConversationRow, IdentityRow, MessageRow } from '../store/rows.ts';
import { stmt, pluck } from '../store/statements.ts';

const PREVIEW_CHARS = 140;

/**
 * A stored message as the api shows it. A row that already carries the content summary columns (a
 * page joins them) is used as it is; any other row costs one primary-key lookup.
 */
export function toMessage(db: Db, row: MessageRow & Partial<ContentSummaryRow> & Partial<InvitationSummaryRow>): Message {
  const content = 'has_original' in row ? row : contentSummary(db, row.seq);
  const invitation = 'invitation_state' in row ? row : invitationSummary(db, row.seq);
  return {
    id: row.id,
    conversationId: row.conversation_id,
    kind: row.kind,
    direction: row.direction,
    senderName: row.sender_name,
    protocol: row.protocol,
    text: row.body,
    sentAt: row.sent_at,
    status: row.status as MessageStatus,
    error: row.error,
    pinned: row.pinned === 1,
    rating: rate(factsById(db, row.facts_id) ?? UNKNOWN_FACTS, row.protocol),
    expiresAt: row.expires_at,
    subject: content?.subject ?? null,
    hasOriginal: content?.has_original === 1,
    attachments: parseAttachments(content?.attachments ?? null),
    problem: content?.problem ?? null,
    invitation: invitation?.invitation_state ? { state: invitation.invitation_state, error: invitation.invitation_error ?? null } : null,
    editedAt: row.edited_at ?? null,
    deleted: row.redacted_at != null,
  };
}

/** The padlock of a conversation: the rating of the route its next message will take. */
export function conversationRating(
  ctx: CoreContext,
  row: ConversationRow,
  settings: Settings,
): { rating: Rating; protocols: Protocol[]; upgrade: ConversationSummary['upgrade']; presence: PresenceState | null } {
  if (row.kind === 'group') {
    const account = row.account_id ? ctx.accounts.view(row.account_id) : null;
    const facts =
      (row.account_id && row.remote_id ? ctx.accounts.factsFor(row.account_id, row.remote_id) : null) ??
      parseFacts(row.facts) ??
      UNKNOWN_FACTS;
    const protocol = account?.protocol ?? (pluck(ctx.db, 'SELECT protocol FROM accounts WHERE id = ?').get(row.account_id) as Protocol | undefined);
    return { rating: rate(facts, protocol), protocols: protocol ? [protocol] : [], upgrade: null, presence: null };
  }
  const contact = row.contact_id ? getContactRow(ctx, row.contact_id) : undefined;
  if (!contact) return { rating: rate(UNKNOWN_FACTS), protocols: [], upgrade: null, presence: null };
  const { decision, candidates, identities } = decideRoute(ctx, contact, settings);
  const protocols = [...new Set(candidates.map((c) => c.protocol))];
  let rating: Rating;
  switch (decision.kind) {
    case 'send':
      rating = decision.route.rating;
      break;
    case 'needs-decision':
      rating = (decision.available ?? decision.best).rating;
      break;
    case 'no-route':
      rating = rate(UNKNOWN_FACTS);
      break;
  }
  return { rating, protocols, upgrade: upgradeState(ctx, row, contact.id, protocols), presence: bestPresence(ctx, identities) };
}

const PRESENCE_RANK: Readonly<Record<PresenceState, number>> = { available: 2, away: 1, offline: 0 };

/** The contact's presence over the routes that report it (online on any of them counts), or null when none does. */
export function bestPresence(ctx: CoreContext, identities: readonly IdentityRow[]): PresenceState | null {
  let best: PresenceState | null = null;
  for (const i of identities) {
    const p = ctx.accounts.presenceOf(i.account_id, i.address);
    if (p !== null && (best === null || PRESENCE_RANK[p] > PRESENCE_RANK[best])) best = p;
  }
  return best;
}

/**
 * Whether this conversation can be upgraded to encrypted chat: its contact is reached by email and
 * not natively, it is not a request, a native account exists to invite from, and no invitation of
 * theirs waits for an answer here.
 */
function upgradeState(ctx: CoreContext, row: ConversationRow, contactId: string, protocols: Protocol[]): ConversationSummary['upgrade'] {
  if (row.request === 1 || !protocols.includes('email') || protocols.includes('native')) return null;
  if (!pluck(ctx.db, `SELECT 1 FROM accounts WHERE protocol = 'native' LIMIT 1`).get()) return null;
  // They invited the user already: the answer is Accept on their invitation, not a second invite.
  const offered = pluck(
    ctx.db,
    `SELECT 1 FROM message_invitations mi JOIN messages m ON m.seq = mi.message_seq
     WHERE m.conversation_id = ? AND m.direction = 'in' AND mi.state = 'offered' LIMIT 1`,
  ).get(row.id);
  if (offered) return null;
  return openInvites(ctx.db, contactId, ctx.now()).length > 0 ? 'invited' : 'possible';
}

type RowWithLast = ConversationRow & { last_body: string | null };

export function toConversationSummary(ctx: CoreContext, row: RowWithLast, settings: Settings): ConversationSummary {
  const { rating, protocols, upgrade, presence } = conversationRating(ctx, row, settings);
  const body = row.last_body;
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    contactId: row.contact_id,
    protocols,
    lastActivityAt: row.last_activity_at,
    lastMessagePreview: body === null ? null : body.length > PREVIEW_CHARS ? body.slice(0, PREVIEW_CHARS) + '…' : body,
    unreadCount: row.unread_count,
    pinned: row.pinned === 1,
    muted: row.muted === 1,
    archived: row.archived === 1,
    request: row.request === 1,
    rating,
    disappearingSeconds: row.disappear_seconds,
    accountId: row.kind === 'group' ? row.account_id : null,
    left: hasLeft(row),
    upgrade,
    presence,
  };
}

export const CONVERSATION_SELECT = `
  SELECT c.*, CASE WHEN m.redacted_at IS NULL THEN m.body ELSE 'Message deleted' END AS last_body FROM conversations c
  LEFT JOIN messages m ON m.seq = c.last_message_seq`;

export function loadConversation(ctx: CoreContext, id: string): RowWithLast | undefined {
  return stmt(ctx.db, `${CONVERSATION_SELECT} WHERE c.id = ?`).get(id) as RowWithLast | undefined;
}
