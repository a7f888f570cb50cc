/**
 * Group rooms the account is in (or was): the one place that keeps a group conversation in step
 * with what its adapter says, and the words for a group the user is no longer in.
 */
import { groupConversation } from '../contacts/resolve.ts';
import type { Db } from '../store/open.ts';
import type { ConversationRow } from '../store/rows.ts';
import { stmt } from '../store/statements.ts';

/** Why nothing can be sent to a group the account is no longer in. */
export const LEFT_GROUP_REASON = 'You are no longer in this group.';

/** What the adapter says about a group room (its `group` event, or what `groups.create` returned). */
export interface GroupState {
  accountId: string;
  roomId: string;
  title: string;
  left: boolean;
}

/**
 * Makes sure the group conversation exists (the room id as its remote id) and carries the room's
 * title and whether the account is still in it. A room the account left and core never stored
 * creates nothing (there is nothing to read in it). Returns the conversation id, or null then.
 * Call inside a transaction.
 */
export function syncGroupConversation(db: Db, g: GroupState, now: number): string | null {
  const title = g.title.trim() || undefined;
  const known = stmt(db, 'SELECT id FROM conversations WHERE account_id = ? AND remote_id = ?').get(g.accountId, g.roomId);
  if (!known && g.left) return null;
  const { row } = groupConversation(db, g.accountId, g.roomId, title, now);
  const left = g.left ? 1 : 0;
  if (row.left_group !== left) stmt(db, 'UPDATE conversations SET left_group = ? WHERE id = ?').run(left, row.id);
  return row.id;
}

/** Whether the account is no longer in this group (always false for a 1:1 conversation). */
export function hasLeft(conv: Pick<ConversationRow, 'kind' | 'left_group'>): boolean {
  return conv.kind === 'group' && conv.left_group === 1;
}
