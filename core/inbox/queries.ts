import type { ConversationSummary, Message, Page, Settings } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { CONTENT_SUMMARY_COLUMNS, type ContentSummaryRow } from '../content/store.ts';
import { INVITATION_COLUMNS, type InvitationSummaryRow } from '../upgrade/invitations.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';
import type { ConversationFolder, ConversationRow, MessageRow } from '../store/rows.ts';
import { CONVERSATION_SELECT, toConversationSummary, toMessage } from './views.ts';
import { stmt } from '../store/statements.ts';

export const DEFAULT_PAGE = 50;

/**
 * SQL of a conversation list page (first or later); exported for the query-plan test. `folder` is
 * a generated column (archived, else requests, else inbox), so a folder is one index equality.
 */
export function inboxPageSql(withCursor: boolean): string {
  return `${CONVERSATION_SELECT}
  WHERE c.folder = @folder${withCursor ? ' AND (c.pinned, c.last_activity_at, c.id) < (@pinned, @at, @id)' : ''}
  ORDER BY c.pinned DESC, c.last_activity_at DESC, c.id DESC LIMIT @limit`;
}

/**
 * A conversation list: the inbox (no requests), the archive (archived requests included), or the
 * message requests not archived. Pinned first, then by last activity; keyset-paged so page 200
 * costs what page 1 does.
 */
export function listConversations(
  ctx: CoreContext,
  settings: Settings,
  folder: ConversationFolder,
  cursor: string | null | undefined,
  limit = DEFAULT_PAGE,
): Page<ConversationSummary> {
  const [pinned, at, id] = cursor ? decodeCursor(cursor, ['number', 'number', 'string']) : [0, 0, ''];
  const params = { folder, limit, ...(cursor ? { pinned, at, id } : {}) };
  const rows = stmt(ctx.db, inboxPageSql(!!cursor)).all(params) as (ConversationRow & { last_body: string | null })[];
  const last = rows.length === limit ? rows.at(-1) : undefined;
  return {
    items: rows.map((r) => toConversationSummary(ctx, r, settings)),
    nextCursor: last ? encodeCursor([last.pinned, last.last_activity_at, last.id]) : null,
  };
}

/**
 * SQL of a conversation page (newest first, before a cursor or not); exported for the query-plan
 * test. The bubble's content columns come along by primary key; the original and HTML never do.
 */
export function messagePageSql(withCursor: boolean): string {
  return `SELECT m.*, ${CONTENT_SUMMARY_COLUMNS}, ${INVITATION_COLUMNS} FROM messages m
  LEFT JOIN message_content mc ON mc.message_seq = m.seq
  LEFT JOIN message_invitations mi ON mi.message_seq = m.seq
  WHERE m.conversation_id = @conversationId${withCursor ? ' AND (m.sent_at, m.seq) < (@at, @seq)' : ''}
  ORDER BY m.sent_at DESC, m.seq DESC LIMIT @limit`;
}

/** A page of a conversation, oldest first; the cursor fetches the messages before it. */
export function messagePage(
  ctx: CoreContext,
  conversationId: string,
  cursor: string | null | undefined,
  limit = DEFAULT_PAGE,
): Page<Message> {
  const [at, seq] = cursor ? decodeCursor(cursor, ['number', 'number']) : [0, 0];
  const params = { conversationId, limit, ...(cursor ? { at, seq } : {}) };
  const rows = stmt(ctx.db, messagePageSql(!!cursor)).all(params) as (MessageRow & ContentSummaryRow & InvitationSummaryRow)[];
  const oldest = rows.length === limit ? rows.at(-1) : undefined;
  return {
    items: rows.reverse().map((r) => toMessage(ctx.db, r)),
    nextCursor: oldest ? encodeCursor([oldest.sent_at, oldest.seq]) : null,
  };
}
