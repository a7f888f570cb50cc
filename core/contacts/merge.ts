/**
 * Merging two contacts by hand ("Ada by email" and "Ada on XMPP" are one person), and undoing it.
 * Never automatic, never by name. A merge moves the identities (routes) of one contact to the
 * other and its conversation's messages into the other's conversation; routing then sees every
 * route of the person. Undo puts back the contact, its conversation (same ids, title, settings)
 * and every message that came through its identities — including ones that arrived after the merge.
 *
 * Messages move by `conversation_id` only: their seq (the FTS rowid, the key of their content and
 * invitation rows), their outbox rows and their pins stay as they are, so search, waiting sends and
 * pinned messages keep working on either side.
 */
import { ApiError } from '../api/commands.ts';
import type { CoreContext } from '../context.ts';
import type { Db } from '../store/open.ts';
import type { ContactRow, ConversationRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import {
  identitiesToTakeBack,
  readMerge,
  recordMerge,
  undoBlocker,
  type MergeRow,
  type SavedConversation,
  type TargetConversation,
} from './merge-record.ts';
import { directConversation } from './resolve.ts';

/** Which two contacts are one person: `from` joins `into` and goes. */
export interface MergeRequest {
  fromContactId: string;
  intoContactId: string;
}

/** What a merge or an undo changed, for the caller to announce. */
export interface MergeChanges {
  mergeId: string;
  /** The surviving contact (merge) or the restored one (undo). */
  contactId: string;
  /** The surviving conversation (merge) or the restored contact's (undo), if it has one. */
  conversationId: string | null;
  /** Conversations still there whose summary changed (protocols, last message, unread). */
  updatedConversationIds: string[];
  /** Of those, the ones whose messages changed wholesale: an open view reads them again. */
  reloadedConversationIds: string[];
  removedConversationIds: string[];
  /** Contacts whose card changed (the gone one too, so an open card of it learns). */
  contactIds: string[];
}

function contactRow(db: Db, id: string): ContactRow {
  const row = stmt(db, 'SELECT * FROM contacts WHERE id = ?').get(id) as ContactRow | undefined;
  if (!row) throw new ApiError('not-found', 'That contact does not exist.');
  return row;
}

const conversationOf = (db: Db, contactId: string) =>
  stmt(db, 'SELECT * FROM conversations WHERE contact_id = ?').get(contactId) as ConversationRow | undefined;

const isEmpty = (db: Db, conversationId: string) => !stmt(db, 'SELECT 1 FROM messages WHERE conversation_id = ? LIMIT 1').get(conversationId);

/** Recomputes a conversation's last message and activity from its messages. */
function recount(db: Db, conversationId: string): void {
  stmt(
    db,
    `UPDATE conversations SET
       last_message_seq = (SELECT seq FROM messages WHERE conversation_id = @id ORDER BY sent_at DESC, seq DESC LIMIT 1),
       last_activity_at = coalesce((SELECT max(sent_at) FROM messages WHERE conversation_id = @id), last_activity_at)
     WHERE id = @id`,
  ).run({ id: conversationId });
}

/**
 * Folds `fromContactId` into `intoContactId` in one transaction and records how to undo it.
 * Contacts only have 1:1 conversations (a group is never merged); either may have none.
 */
export function mergeContacts(ctx: CoreContext, { fromContactId, intoContactId }: MergeRequest): MergeChanges {
  if (fromContactId === intoContactId) throw new ApiError('bad-request', 'A contact cannot be merged with itself.');
  const { db } = ctx;
  return db.transaction((): MergeChanges => {
    const from = contactRow(db, fromContactId);
    const into = contactRow(db, intoContactId);
    const fromConv = conversationOf(db, from.id);
    const intoConv = conversationOf(db, into.id);
    const inviteKeys = (stmt(db, 'SELECT account_id, invite_id FROM contact_invites WHERE contact_id = ?').all(from.id) as {
      account_id: string;
      invite_id: string;
    }[]).map((r): [string, string] => [r.account_id, r.invite_id]);
    const mergeId = recordMerge(ctx, {
      from,
      intoContactId: into.id,
      fromConversation: fromConv,
      intoConversation: intoConv,
      identityIds: pluck(db, 'SELECT id FROM identities WHERE contact_id = ?').all(from.id) as string[],
      inviteKeys,
    });

    stmt(db, 'UPDATE identities SET contact_id = ? WHERE contact_id = ?').run(into.id, from.id);
    // An invite made for the merged contact still links whoever accepts it to this person.
    stmt(db, 'UPDATE contact_invites SET contact_id = ? WHERE contact_id = ?').run(into.id, from.id);
    // A pinned route was the user's own choice: it stays, unless the target has a pin of its own.
    if (into.pinned_identity_id === null && from.pinned_identity_id !== null) {
      stmt(db, 'UPDATE contacts SET pinned_identity_id = ? WHERE id = ?').run(from.pinned_identity_id, into.id);
    }
    const changes: MergeChanges = {
      mergeId,
      contactId: into.id,
      conversationId: intoConv?.id ?? fromConv?.id ?? null,
      updatedConversationIds: [],
      reloadedConversationIds: [],
      removedConversationIds: [],
      contactIds: [into.id, from.id],
    };
    if (fromConv && intoConv) {
      stmt(db, 'UPDATE messages SET conversation_id = ? WHERE conversation_id = ?').run(intoConv.id, fromConv.id);
      // Unread stays unread. The person is accepted, in the inbox and pinned if either side was;
      // muted only if both were, so nothing the user wanted to hear goes quiet.
      stmt(
        db,
        `UPDATE conversations SET unread_count = unread_count + @unread, request = min(request, @request),
           archived = min(archived, @archived), pinned = max(pinned, @pinned), muted = min(muted, @muted)
         WHERE id = @id`,
      ).run({ unread: fromConv.unread_count, request: fromConv.request, archived: fromConv.archived, pinned: fromConv.pinned, muted: fromConv.muted, id: intoConv.id });
      recount(db, intoConv.id);
      stmt(db, 'DELETE FROM conversations WHERE id = ?').run(fromConv.id);
      changes.removedConversationIds.push(fromConv.id);
      changes.reloadedConversationIds.push(intoConv.id);
    } else if (fromConv) {
      // Nothing to join: the conversation becomes the target's, keeping its id, messages and place.
      stmt(db, 'UPDATE conversations SET contact_id = ?, title = ? WHERE id = ?').run(into.id, into.display_name, fromConv.id);
    }
    if (changes.conversationId !== null) changes.updatedConversationIds.push(changes.conversationId);
    stmt(db, 'DELETE FROM contacts WHERE id = ?').run(from.id);
    return changes;
  })();
}

/** The stored (not generated) columns of `conversations`. */
function storedConversationColumns(db: Db): string[] {
  return (db.pragma('table_xinfo(conversations)') as { name: string; hidden: number }[]).filter((c) => c.hidden === 0).map((c) => c.name);
}

/**
 * Gives the merged contact its conversation back as it was: the row is written again (or, when the
 * merge re-pointed it to the target, pointed back) with every column the record kept.
 */
function putBackConversation(ctx: CoreContext, saved: SavedConversation, contactId: string): void {
  const { db } = ctx;
  const now = ctx.now();
  // Defaults first, so the record's own values win; what the messages decide is recomputed later.
  const row: Record<string, unknown> = { kind: 'direct', title: '', last_activity_at: saved.created_at ?? now, created_at: now, ...saved };
  Object.assign(row, { contact_id: contactId, unread_count: 0, last_message_seq: null });
  const cols = storedConversationColumns(db).filter((c) => c in row);
  const values = Object.fromEntries(cols.map((c) => [c, row[c]]));
  if (stmt(db, 'SELECT 1 FROM conversations WHERE id = ?').get(saved.id)) {
    const sets = cols.filter((c) => c !== 'id').map((c) => `${c} = @${c}`);
    stmt(db, `UPDATE conversations SET ${sets.join(', ')} WHERE id = @id`).run(values);
  } else {
    stmt(db, `INSERT INTO conversations (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(values);
  }
}

/**
 * Splits the merged conversation's unread count between the two after messages moved: unread are
 * its newest incoming messages, so each side gets those of them it now holds.
 */
function unreadSeqs(db: Db, conv: ConversationRow): number[] {
  if (conv.unread_count === 0) return [];
  return pluck(db, `SELECT seq FROM messages WHERE conversation_id = ? AND direction = 'in' AND kind = 'chat' ORDER BY seq DESC LIMIT ?`).all(
    conv.id,
    conv.unread_count,
  ) as number[];
}

function setUnread(db: Db, conversationId: string, seqs: number[]): void {
  const n = pluck(db, 'SELECT count(*) FROM json_each(?) j JOIN messages m ON m.seq = j.value WHERE m.conversation_id = ?').get(JSON.stringify(seqs), conversationId) as number;
  stmt(db, 'UPDATE conversations SET unread_count = ? WHERE id = ?').run(n, conversationId);
}

/** Undoes a merge: the merged contact, its conversation and its messages come back. */
export function unmergeContacts(ctx: CoreContext, mergeId: string): MergeChanges {
  const { db } = ctx;
  return db.transaction((): MergeChanges => {
    const m = readMerge(db, mergeId);
    if (!m) throw new ApiError('not-found', 'That merge does not exist.');
    const blocker = undoBlocker(db, m);
    if (blocker !== null) throw new ApiError('conflict', blocker);
    const into = contactRow(db, m.into_contact_id);
    const moved = identitiesToTakeBack(db, m);
    if (stmt(db, 'SELECT 1 FROM contacts WHERE id = ?').get(m.from_contact_id)) throw new ApiError('conflict', `${m.from_name} already exists again.`);

    const pin = m.from_pinned_identity_id !== null && moved.includes(m.from_pinned_identity_id) ? m.from_pinned_identity_id : null;
    stmt(db, 'INSERT INTO contacts (id, display_name, pinned_identity_id, created_at) VALUES (?, ?, ?, ?)').run(m.from_contact_id, m.from_name, pin, m.from_created_at);
    const ids = JSON.stringify(moved);
    stmt(db, 'UPDATE identities SET contact_id = ? WHERE id IN (SELECT value FROM json_each(?))').run(m.from_contact_id, ids);
    if (into.pinned_identity_id !== null && moved.includes(into.pinned_identity_id)) stmt(db, 'UPDATE contacts SET pinned_identity_id = NULL WHERE id = ?').run(into.id);
    stmt(
      db,
      `UPDATE contact_invites SET contact_id = @from WHERE contact_id = @into
         AND EXISTS (SELECT 1 FROM json_each(@keys) k WHERE json_extract(k.value, '$[0]') = account_id AND json_extract(k.value, '$[1]') = invite_id)`,
    ).run({ from: m.from_contact_id, into: into.id, keys: m.invite_keys });

    const changes = moveMessagesBack(ctx, m, into, ids);
    stmt(db, 'UPDATE contact_merges SET undone_at = ? WHERE id = ?').run(ctx.now(), m.id);
    return changes;
  })();
}

/**
 * The conversation half of an undo, after the contacts and identities are back: the merged
 * contact's conversation returns and takes back every message that came through its identities
 * (`ids`, JSON); the target keeps the rest, and loses a conversation that only the merge made.
 */
function moveMessagesBack(ctx: CoreContext, m: MergeRow, into: ContactRow, ids: string): MergeChanges {
  const { db } = ctx;
  const merged = conversationOf(db, into.id);
  const saved = m.from_conversation === null ? null : (JSON.parse(m.from_conversation) as SavedConversation);
  const unread = merged ? unreadSeqs(db, merged) : [];
  const ours = `identity_id IN (SELECT value FROM json_each(@ids))`;
  let restoredId: string | null = null;
  let intoId = merged?.id ?? null;

  if (saved && merged?.id === saved.id) {
    // The merge handed the merged contact's conversation to the target (it had none): hand it
    // back, and what came through the target's own routes since goes to a conversation of its own.
    putBackConversation(ctx, saved, m.from_contact_id);
    restoredId = saved.id;
    const theirs = stmt(db, `SELECT 1 FROM messages WHERE conversation_id = @conv AND NOT (${ours}) LIMIT 1`).get({ conv: saved.id, ids });
    intoId = theirs ? directConversation(db, into.id, into.display_name, ctx.now()).row.id : null;
    if (intoId !== null) stmt(db, `UPDATE messages SET conversation_id = @to WHERE conversation_id = @conv AND NOT (${ours})`).run({ to: intoId, conv: saved.id, ids });
  } else {
    if (saved) putBackConversation(ctx, saved, m.from_contact_id);
    restoredId = saved?.id ?? null;
    if (merged && stmt(db, `SELECT 1 FROM messages WHERE conversation_id = @conv AND ${ours} LIMIT 1`).get({ conv: merged.id, ids })) {
      restoredId ??= directConversation(db, m.from_contact_id, m.from_name, ctx.now()).row.id;
      stmt(db, `UPDATE messages SET conversation_id = @to WHERE conversation_id = @conv AND ${ours}`).run({ to: restoredId, conv: merged.id, ids });
    }
  }

  const changes: MergeChanges = {
    mergeId: m.id,
    contactId: m.from_contact_id,
    conversationId: restoredId,
    updatedConversationIds: [],
    reloadedConversationIds: [],
    removedConversationIds: [],
    contactIds: [into.id, m.from_contact_id],
  };
  const target = m.into_conversation === null ? null : (JSON.parse(m.into_conversation) as TargetConversation);
  if (merged && intoId === merged.id) {
    if (target?.id === merged.id) {
      // The settings the merge combined go back to the target's own.
      stmt(db, 'UPDATE conversations SET pinned = @pinned, muted = @muted, archived = @archived, request = @request WHERE id = @id').run(target);
    } else if (isEmpty(db, merged.id)) {
      // Made since the merge (for it, or by a message on a merged route), and empty now: it goes.
      stmt(db, 'DELETE FROM conversations WHERE id = ?').run(merged.id);
      changes.removedConversationIds.push(merged.id);
      intoId = null;
    }
  }
  for (const id of [restoredId, intoId]) {
    if (id === null) continue;
    setUnread(db, id, unread);
    recount(db, id);
    changes.updatedConversationIds.push(id);
    changes.reloadedConversationIds.push(id);
  }
  return changes;
}
