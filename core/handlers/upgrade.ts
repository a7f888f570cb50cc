/**
 * Upgrading an email contact to encrypted chat: `conversations.upgrade` sends a one-use native
 * invite bound to the contact by email; `invitations.respond` accepts (or declines) one that came
 * in. Either way the native identity joins the existing contact (core/upgrade/link.ts), so the
 * conversation stays the same and routing starts sending by the green route.
 */
import type { InviteActions } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { ConversationSummary, Message } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { identitiesOf, identityFacts, getContactRow, routeCandidates } from '../contacts/routes.ts';
import { bumpConversation } from '../ingest/ingest.ts';
import { toMessage } from '../inbox/views.ts';
import { createLogger, errorText } from '../log/logger.ts';
import type { OutboxControl } from '../outbox/send.ts';
import { getSettings } from '../settings/settings.ts';
import { factsIdOf } from '../store/facts.ts';
import { newId } from '../store/ids.ts';
import type { AccountRow, ConversationRow, MessageRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import { invitationText } from '../upgrade/invitation-text.ts';
import { bindInvite, invitationLink, invitationSummary, setInvitationState, storeInvitation } from '../upgrade/invitations.ts';
import { linkIdentity } from '../upgrade/link.ts';
import { attemptAsync, toApiError } from './adapter-errors.ts';
import { tellPeerAccepted } from './conversation-remote.ts';
import type { Handlers } from './handlers.ts';
import { NO_INVITES } from './native.ts';

const log = createLogger('upgrade');

/** How long an upgrade invitation stays valid. */
export const UPGRADE_INVITE_SECONDS = 14 * 86_400;

export interface UpgradeDeps {
  outbox: OutboxControl;
  /** Emits `conversation.updated` for a conversation and returns its summary. */
  announceConversation(conversationId: string): ConversationSummary;
}

/** The first account (oldest first) whose running adapter makes and accepts invites. */
function inviteAccount(ctx: CoreContext): { row: AccountRow; invites: InviteActions } {
  for (const row of stmt(ctx.db, `SELECT * FROM accounts WHERE protocol = 'native' ORDER BY created_at, id`).all() as AccountRow[]) {
    const invites = ctx.accounts.adapter(row.id)?.invites;
    if (invites) return { row, invites };
  }
  throw new ApiError('unavailable', NO_INVITES);
}

export function upgradeHandlers(ctx: CoreContext, deps: UpgradeDeps): Pick<Handlers, 'conversations.upgrade' | 'invitations.respond'> & {
  /** Accepts, without asking, invitations from people the user has written to (when the setting allows). */
  autoAccept: (messageIds: readonly string[]) => void;
} {
  const { db } = ctx;

  const conversationRow = (id: string): ConversationRow => {
    const row = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
    if (!row) throw new ApiError('not-found', 'That conversation does not exist.');
    return row;
  };
  const messageRow = (id: string): MessageRow => {
    const row = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    if (!row) throw new ApiError('not-found', 'That message does not exist.');
    return row;
  };
  const emitMessage = (id: string): Message => {
    const message = toMessage(db, messageRow(id));
    ctx.emit({ type: 'message.updated', message });
    return message;
  };

  const upgrade = async (p: { conversationId: string }): Promise<{ conversation: ConversationSummary; message: Message }> => {
    const conv = conversationRow(p.conversationId);
    if (conv.kind !== 'direct' || !conv.contact_id) throw new ApiError('conflict', 'Only a chat with one person can be upgraded to encrypted chat.');
    if (conv.request === 1) throw new ApiError('conflict', 'Accept this message request first.');
    const contact = getContactRow(ctx, conv.contact_id);
    if (!contact) throw new ApiError('not-found', 'The contact of this conversation no longer exists.');
    const identities = identitiesOf(ctx, contact.id);
    if (identities.some((i) => i.protocol === 'native')) {
      throw new ApiError('conflict', `Messages to ${contact.display_name} can already go end-to-end encrypted.`);
    }
    // The email address to write to: one whose account can send now, else the one used last.
    const email = routeCandidates(ctx, identities.filter((i) => i.protocol === 'email')).sort(
      (a, b) => Number(b.available) - Number(a.available) || (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0),
    )[0];
    const emailIdentity = identities.find((i) => i.id === email?.identityId);
    if (!email || !emailIdentity) throw new ApiError('conflict', `There is no email address to send ${contact.display_name} the invitation to.`);
    const native = inviteAccount(ctx);
    const info = await attemptAsync(() =>
      native.invites.create({ kind: 'one-use', expiresInSeconds: UPGRADE_INVITE_SECONDS, label: `${contact.display_name} (invited by email)` }),
    );
    const text = invitationText({ to: contact.display_name, from: native.row.display_name || native.row.address, link: info.link, expiresAt: info.expiresAt });
    const now = ctx.now();
    const id = newId();
    try {
      db.transaction(() => {
        const seq = pluck(
          db,
          `INSERT INTO messages (id, conversation_id, account_id, identity_id, direction, sender_name, protocol, body, sent_at, received_at, status, facts_id)
           VALUES (?, ?, ?, ?, 'out', 'You', 'email', ?, ?, ?, 'queued', ?) RETURNING seq`,
        ).get(id, conv.id, email.accountId, email.identityId, text, now, now, factsIdOf(db, identityFacts(ctx, emailIdentity))) as number;
        stmt(db, `INSERT INTO outbox (message_id, state, identity_id, account_id, next_attempt_at) VALUES (?, 'pending', ?, ?, ?)`).run(
          id,
          email.identityId,
          email.accountId,
          now,
        );
        storeInvitation(db, seq, info.link, 'sent');
        bindInvite(db, { account_id: native.row.id, invite_id: info.id, contact_id: contact.id, expires_at: info.expiresAt, created_at: now });
        bumpConversation(db, conv.id, seq, now, 0);
      })();
    } catch (e) {
      // Nothing was queued: the invite must not stay open for nobody.
      native.invites.revoke(info.id).catch((err: unknown) => log.warn('revoking an unsent invite failed', { error: errorText(err) }));
      throw e;
    }
    log.info('upgrade invitation queued', { conversationId: conv.id, accountId: native.row.id });
    const message = toMessage(db, messageRow(id));
    ctx.emit({ type: 'message.added', message });
    ctx.emit({ type: 'invites.changed', accountId: native.row.id });
    ctx.emit({ type: 'contact.updated', contactId: contact.id });
    const conversation = deps.announceConversation(conv.id);
    deps.outbox.wake();
    return { conversation, message };
  };

  const respond = async (p: { messageId: string; accept: boolean }): Promise<Message> => {
    const msg = messageRow(p.messageId);
    const invitation = invitationSummary(db, msg.seq);
    const link = invitationLink(db, msg.seq);
    if (!invitation?.invitation_state || link === undefined) throw new ApiError('not-found', 'This message carries no invitation.');
    if (msg.direction !== 'in') throw new ApiError('conflict', 'This is the invitation you sent; the other person accepts it.');
    const state = invitation.invitation_state;
    if (state === 'accepted') {
      if (!p.accept) throw new ApiError('conflict', 'This invitation was already accepted.');
      return toMessage(db, msg);
    }
    const conv = conversationRow(msg.conversation_id);
    if (!conv.contact_id) throw new ApiError('conflict', 'Invitations are accepted in a chat with one person.');
    if (!p.accept) {
      setInvitationState(db, msg.seq, 'declined');
      return emitMessage(msg.id);
    }
    const native = inviteAccount(ctx);
    let peer;
    try {
      ({ peer } = await native.invites.accept(link));
    } catch (e) {
      const err = toApiError(e);
      const words = err instanceof ApiError ? err.message : `Accepting failed: ${errorText(e)}`;
      setInvitationState(db, msg.seq, 'failed', words);
      emitMessage(msg.id);
      log.info('accepting an invitation was refused', { messageId: msg.id, error: words });
      throw err;
    }
    const contactId = conv.contact_id;
    const { linked, wasRequest } = db.transaction(() => {
      const l = linkIdentity(ctx, native.row.id, peer, contactId);
      setInvitationState(db, msg.seq, 'accepted');
      // Accepting an invitation accepts its sender: the conversation belongs in the inbox.
      const r = stmt(db, 'UPDATE conversations SET request = 0, archived = 0 WHERE id = ? AND request = 1').run(l.conversationId);
      return { linked: l, wasRequest: r.changes > 0 };
    })();
    if (linked.removedConversationId) {
      ctx.emit({ type: 'conversation.removed', conversationId: linked.removedConversationId });
      ctx.emit({ type: 'conversation.reloaded', conversationId: linked.conversationId });
    }
    if (linked.systemMessageId) ctx.emit({ type: 'message.added', message: toMessage(db, messageRow(linked.systemMessageId)) });
    if (wasRequest) tellPeerAccepted(ctx, conversationRow(linked.conversationId));
    ctx.emit({ type: 'contact.updated', contactId });
    deps.announceConversation(linked.conversationId);
    return emitMessage(msg.id);
  };

  const autoAccept = (messageIds: readonly string[]): void => {
    if (!getSettings(db).autoAcceptInvitations) return;
    for (const id of messageIds) {
      // "Someone I have written to": the chat is not a request and has a message the user sent.
      const eligible = pluck(
        db,
        `SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.id = ? AND c.request = 0
           AND EXISTS (SELECT 1 FROM messages o WHERE o.conversation_id = c.id AND o.direction = 'out' AND o.kind = 'chat')`,
      ).get(id);
      if (!eligible) continue;
      respond({ messageId: id, accept: true }).then(
        () => log.info('invitation accepted automatically', { messageId: id }),
        (e: unknown) => log.warn('accepting an invitation automatically failed', { messageId: id, error: errorText(e) }),
      );
    }
  };

  return { 'conversations.upgrade': upgrade, 'invitations.respond': respond, autoAccept };
}
