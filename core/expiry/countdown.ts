import type { CoreContext } from '../context.ts';
import { stmt } from '../store/statements.ts';

/**
 * SQL starting the countdowns of a conversation's incoming disappearing messages not started yet;
 * exported for the query-plan test (it must stay on the small `messages_countdown_pending` index,
 * never walk the conversation).
 */
export const START_READ_COUNTDOWNS_SQL = `UPDATE messages SET expires_at = @now + disappear_seconds * 1000
  WHERE conversation_id = @id AND disappear_seconds > 0 AND expires_at IS NULL AND direction = 'in'
  RETURNING id, expires_at`;

/**
 * The user has just read a conversation: its incoming disappearing messages start counting down
 * (Signal's rule: an unread message never disappears). Returns their ids, for `message.updated`.
 */
export function startReadCountdowns(ctx: CoreContext, conversationId: string): string[] {
  const rows = stmt(ctx.db, START_READ_COUNTDOWNS_SQL).all({ id: conversationId, now: ctx.now() }) as { id: string; expires_at: number }[];
  if (rows.length > 0) ctx.expiry.noteExpiry(rows.reduce((min, r) => Math.min(min, r.expires_at), Infinity));
  return rows.map((r) => r.id);
}
