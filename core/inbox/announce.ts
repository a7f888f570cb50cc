import type { CoreContext } from '../context.ts';
import { getSettings } from '../settings/settings.ts';
import { stmt } from '../store/statements.ts';
import { loadConversation, toConversationSummary } from './views.ts';

/** At most this many conversations are re-announced at once; older ones are fresh when paged in. */
const ANNOUNCE_MAX = 500;

/**
 * An account went up or down: the padlock of every conversation reached through it may have
 * moved (its next message takes another route). Re-announce the most recently active ones.
 */
export function announceRoutesChanged(ctx: CoreContext, accountId: string): void {
  const ids = stmt(
    ctx.db,
    `SELECT id FROM conversations WHERE account_id = @a
       OR contact_id IN (SELECT contact_id FROM identities WHERE account_id = @a)
     ORDER BY last_activity_at DESC LIMIT @max`,
  )
    .all({ a: accountId, max: ANNOUNCE_MAX })
    .map((r) => (r as { id: string }).id);
  if (ids.length === 0) return;
  const settings = getSettings(ctx.db);
  for (const id of ids) {
    const row = loadConversation(ctx, id);
    if (row) ctx.emit({ type: 'conversation.updated', conversation: toConversationSummary(ctx, row, settings) });
  }
}

/**
 * What an account knows about its peers' identities changed (a key changed, was verified or
 * acknowledged): every contact reached through it is re-read, and so are the padlocks.
 */
export function announceIdentitiesChanged(ctx: CoreContext, accountId: string): void {
  const contacts = stmt(ctx.db, 'SELECT DISTINCT contact_id FROM identities WHERE account_id = ?').all(accountId) as { contact_id: string }[];
  for (const c of contacts) ctx.emit({ type: 'contact.updated', contactId: c.contact_id });
  announceRoutesChanged(ctx, accountId);
}
