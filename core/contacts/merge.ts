/**
 * Merging two contacts by hand ("Ada by email" and "Ada on XMPP" are one person), and undoing it.
 * Never automatic, never by name. A merge moves the identities (routes) of one contact to the
 * other and its conversation's messages into the other's conversation; routing then sees every
 * route of the person. Undo puts back the contact, its conversation (same ids, title, settings)
 * and every message that came through its identities — including ones that arrived after the merge.
 */
import { ApiError } from '../api/commands.ts';
import type { CoreContext } from '../context.ts';
import { newId } from '../store/ids.ts';
import type { ContactRow, ConversationRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import { directConversation } from './resolve.ts';

/** The parts of a conversation a merge keeps to restore it (the rest is recomputed from its messages). */
interface SavedConversation {
  id: string;
  title: string;
  facts: string | null;
  pinned: number;
  muted: number;
  archived: number;
  request: number;
  disappear_seconds: number;
  created_at: number;
}

interface MergeRow {
  id: string;
  into_contact_id: string;
  from_contact_id: string;
  from_name: string;
  from_pinned_identity_id: string | null;
  from_created_at: number;
  from_conversation: string | null;
  into_had_conversation: number;
  identity_ids: string;
  merged_at: number;
  undone_at: number | null;
}

/** A merge the user can still undo, as the contact card lists it. */
export interface MergeInfo {
  id: string;
  /** The name of the contact that was merged in. */
  displayName: string;
  mergedAt: number;
}

/** What a merge or undo changed, for the caller to announce. */
export interface MergeResult {
  mergeId: string;
  /** The surviving (merge) or restored (undo) conversation, if any. */
  conversationIds: string[];
  removedConversationIds: string[];
  contactIds: string[];
}

function contactRow(ctx: CoreContext, id: string): ContactRow {
  const row = stmt(ctx.db, 'SELECT * FROM contacts WHERE id = ?').get(id) as ContactRow | undefined;
  if (!row) throw new ApiError('not-found', 'That contact does not exist.');
  return row;
}

const conversationOf = (ctx: CoreContext, contactId: string) =>
  stmt(ctx.db, 'SELECT * FROM conversations WHERE contact_id = ?').get(contactId) as ConversationRow | undefined;

/** Recomputes a conversation's last message and activity from its messages; unread at most its incoming ones. */
function recount(ctx: CoreContext, conversationId: string): void {
  stmt(
    ctx.db,
    `UPDATE conversations SET
       last_message_seq = (SELECT seq FROM messages WHERE conversation_id = @id ORDER BY sent_at DESC, seq DESC LIMIT 1),
       last_activity_at = coalesce((SELECT max(sent_at) FROM messages WHERE conversation_id = @id), last_activity_at),
       unread_count = min(unread_count, (SELECT count(*) FROM messages WHERE conversation_id = @id AND direction = 'in' AND kind = 'chat'))
     WHERE id = @id`,
  ).run({ id: conversationId });
}

/** Folds `fromContactId` into `intoContactId`. */
export function mergeContacts(ctx: CoreContext, fromContactId: string, intoContactId: string): MergeResult {
  if (fromContactId === intoContactId) throw new ApiError('bad-request', 'A contact cannot be merged with itself.');
  const { db } = ctx;
  return db.transaction((): MergeResult => {
    const from = contactRow(ctx, fromContactId);
    const into = contactRow(ctx, intoContactId);
    const fromConv = conversationOf(ctx, from.id);
    const intoHad = conversationOf(ctx, into.id) !== undefined;
    // The merged contact's messages need a conversation to go to; without any, none is made.
    const intoConv = fromConv || intoHad ? directConversation(db, into.id, into.display_name, ctx.now()).row : undefined;
    const identityIds = (stmt(db, 'SELECT id FROM identities WHERE contact_id = ?').all(from.id) as { id: string }[]).map((r) => r.id);
    const saved: SavedConversation | null = fromConv
      ? {
          id: fromConv.id,
          title: fromConv.title,
          facts: fromConv.facts,
          pinned: fromConv.pinned,
          muted: fromConv.muted,
          archived: fromConv.archived,
          request: fromConv.request,
          disappear_seconds: fromConv.disappear_seconds,
          created_at: fromConv.created_at,
        }
      : null;
    const mergeId = newId();
    stmt(
      db,
      `INSERT INTO contact_merges (id, into_contact_id, from_contact_id, from_name, from_pinned_identity_id, from_created_at, from_conversation, into_had_conversation, identity_ids, merged_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(mergeId, into.id, from.id, from.display_name, from.pinned_identity_id, from.created_at, saved ? JSON.stringify(saved) : null, intoHad ? 1 : 0, JSON.stringify(identityIds), ctx.now());

    stmt(db, 'UPDATE identities SET contact_id = ? WHERE contact_id = ?').run(into.id, from.id);
    stmt(db, 'UPDATE contact_invites SET contact_id = ? WHERE contact_id = ?').run(into.id, from.id);
    const removed: string[] = [];
    if (fromConv && intoConv) {
      stmt(db, 'UPDATE messages SET conversation_id = ? WHERE conversation_id = ?').run(intoConv.id, fromConv.id);
      // Unread messages stay unread. The person is accepted (and in the inbox) if either side was;
      // a conversation made just now for the merge takes the merged one's state.
      stmt(
        db,
        `UPDATE conversations SET unread_count = unread_count + @unread,
           request = CASE WHEN @fresh THEN @request ELSE min(request, @request) END,
           archived = CASE WHEN @fresh THEN @archived ELSE min(archived, @archived) END
         WHERE id = @id`,
      ).run({ unread: fromConv.unread_count, request: fromConv.request, archived: fromConv.archived, fresh: intoHad ? 0 : 1, id: intoConv.id });
      stmt(db, 'DELETE FROM conversations WHERE id = ?').run(fromConv.id);
      removed.push(fromConv.id);
    }
    if (intoConv) recount(ctx, intoConv.id);
    stmt(db, 'DELETE FROM contacts WHERE id = ?').run(from.id);
    return { mergeId, conversationIds: intoConv ? [intoConv.id] : [], removedConversationIds: removed, contactIds: [into.id] };
  })();
}

/** Undoes a merge: the merged contact, its conversation and its messages come back. */
export function unmergeContacts(ctx: CoreContext, mergeId: string): MergeResult {
  const { db } = ctx;
  return db.transaction((): MergeResult => {
    const m = stmt(db, 'SELECT * FROM contact_merges WHERE id = ?').get(mergeId) as MergeRow | undefined;
    if (!m) throw new ApiError('not-found', 'That merge does not exist.');
    if (m.undone_at !== null) throw new ApiError('conflict', `The merge of ${m.from_name} was already undone.`);
    const into = stmt(db, 'SELECT * FROM contacts WHERE id = ?').get(m.into_contact_id) as ContactRow | undefined;
    if (!into) throw new ApiError('conflict', `${m.from_name} was merged into a contact that was itself merged since: undo that merge first.`);
    const ids = JSON.parse(m.identity_ids) as string[];
    const moved = ids.filter((id) => pluck(db, 'SELECT contact_id FROM identities WHERE id = ?').get(id) === into.id);
    if (stmt(db, 'SELECT 1 FROM contacts WHERE id = ?').get(m.from_contact_id)) throw new ApiError('conflict', `${m.from_name} already exists again.`);

    stmt(db, 'INSERT INTO contacts (id, display_name, pinned_identity_id, created_at) VALUES (?, ?, ?, ?)').run(
      m.from_contact_id,
      m.from_name,
      m.from_pinned_identity_id !== null && moved.includes(m.from_pinned_identity_id) ? m.from_pinned_identity_id : null,
      m.from_created_at,
    );
    const inList = `(${moved.map(() => '?').join(',') || 'NULL'})`;
    stmt(db, `UPDATE identities SET contact_id = ? WHERE id IN ${inList}`).run(m.from_contact_id, ...moved);
    if (into.pinned_identity_id !== null && moved.includes(into.pinned_identity_id)) stmt(db, 'UPDATE contacts SET pinned_identity_id = NULL WHERE id = ?').run(into.id);

    const intoConv = conversationOf(ctx, into.id);
    const saved = m.from_conversation === null ? null : (JSON.parse(m.from_conversation) as SavedConversation);
    const hasMessages = intoConv !== undefined && moved.length > 0 && stmt(db, `SELECT 1 FROM messages WHERE conversation_id = ? AND identity_id IN ${inList} LIMIT 1`).get(intoConv.id, ...moved) !== undefined;
    const conversationIds: string[] = [];
    const removed: string[] = [];
    let fromConvId: string | null = null;
    if (saved) {
      stmt(
        db,
        `INSERT INTO conversations (id, kind, contact_id, title, facts, last_activity_at, pinned, muted, archived, request, disappear_seconds, created_at, unread_count)
         VALUES (@id, 'direct', @contact, @title, @facts, @created_at, @pinned, @muted, @archived, @request, @disappear_seconds, @created_at, 0)`,
      ).run({ ...saved, contact: m.from_contact_id });
      fromConvId = saved.id;
    } else if (hasMessages) {
      fromConvId = directConversation(db, m.from_contact_id, m.from_name, ctx.now()).row.id;
    }
    if (fromConvId !== null && intoConv) {
      // The messages that came through its routes go back (the restored conversation starts read:
      // they were shown in the merged one).
      stmt(db, `UPDATE messages SET conversation_id = ? WHERE conversation_id = ? AND identity_id IN ${inList}`).run(fromConvId, intoConv.id, ...moved);
      recount(ctx, fromConvId);
      conversationIds.push(fromConvId);
    }
    if (intoConv) {
      const empty = !stmt(db, 'SELECT 1 FROM messages WHERE conversation_id = ? LIMIT 1').get(intoConv.id);
      if (m.into_had_conversation === 0 && empty) {
        stmt(db, 'DELETE FROM conversations WHERE id = ?').run(intoConv.id);
        removed.push(intoConv.id);
      } else {
        recount(ctx, intoConv.id);
        conversationIds.push(intoConv.id);
      }
    }
    stmt(db, 'UPDATE contact_merges SET undone_at = ? WHERE id = ?').run(ctx.now(), m.id);
    return { mergeId: m.id, conversationIds, removedConversationIds: removed, contactIds: [into.id, m.from_contact_id] };
  })();
}

/** The merges into a contact that can still be undone, newest first. */
export function mergesInto(ctx: CoreContext, contactId: string): MergeInfo[] {
  return (
    stmt(ctx.db, 'SELECT id, from_name, merged_at FROM contact_merges WHERE into_contact_id = ? AND undone_at IS NULL ORDER BY merged_at DESC').all(contactId) as {
      id: string;
      from_name: string;
      merged_at: number;
    }[]
  ).map((r) => ({ id: r.id, displayName: r.from_name, mergedAt: r.merged_at }));
}
