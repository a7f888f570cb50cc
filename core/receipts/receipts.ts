import type { RemoteConversationRef } from '../../adapters/contract.ts';
import type { CoreContext } from '../context.ts';
import { conversationRating } from '../inbox/views.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { maySendReceipts } from '../routing/index.ts';
import { rate, UNKNOWN_FACTS } from '../security/index.ts';
import { getSettings } from '../settings/settings.ts';
import { factsById } from '../store/facts.ts';
import { stmt } from '../store/statements.ts';
import type { ConversationRow, IdentityRow, MessageRow } from '../store/rows.ts';

const log = createLogger('receipts');

/**
 * Read receipts and typing notices leak what the user does and when. They go out only where
 * routing's receipts policy allows it: on green routes, or on any route if the user opted in;
 * never for a message request. Returns whether anything was sent.
 */
export async function shareReceipt(ctx: CoreContext, conversationId: string, what: { kind: 'read' } | { kind: 'typing'; typing: boolean }): Promise<boolean> {
  const { db } = ctx;
  const conv = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(conversationId) as ConversationRow | undefined;
  // A message request comes from someone the user has not accepted: reading it must not tell them
  // the account is alive and watched, so nothing goes out until the user accepts.
  if (!conv || conv.request === 1) return false;
  const settings = getSettings(db);
  // The last message the peer sent: a receipt answers it on the route it came by.
  const last = stmt(
    db,
    `SELECT * FROM messages WHERE conversation_id = ? AND direction = 'in' AND remote_id IS NOT NULL ORDER BY sent_at DESC, seq DESC LIMIT 1`,
  ).get(conversationId) as MessageRow | undefined;
  if (!last) return false;
  const rating =
    what.kind === 'read'
      ? rate(factsById(db, last.facts_id) ?? UNKNOWN_FACTS, last.protocol)
      : conversationRating(ctx, conv, settings).rating;
  if (!maySendReceipts(rating, settings)) return false;
  const adapter = ctx.accounts.adapter(last.account_id);
  const ref = remoteRef(ctx, conv, last);
  if (!adapter || !ref || !ctx.accounts.isAvailable(last.account_id)) return false;
  try {
    if (what.kind === 'read') {
      if (!adapter.sendReadReceipt || !last.remote_id) return false;
      await adapter.sendReadReceipt(ref, last.remote_id);
    } else {
      if (!adapter.sendTyping) return false;
      await adapter.sendTyping(ref, what.typing);
    }
    return true;
  } catch (e) {
    log.warn('receipt not sent', { conversationId, kind: what.kind, error: errorText(e) });
    return false;
  }
}

function remoteRef(ctx: CoreContext, conv: ConversationRow, last: MessageRow): RemoteConversationRef | null {
  if (conv.kind === 'group') return conv.remote_id ? { kind: 'group', roomId: conv.remote_id } : null;
  const identity = last.identity_id
    ? (stmt(ctx.db, 'SELECT * FROM identities WHERE id = ?').get(last.identity_id) as IdentityRow | undefined)
    : undefined;
  return identity ? { kind: 'direct', peer: { address: identity.address, displayName: identity.display_name } } : null;
}
