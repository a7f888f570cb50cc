/**
 * The record of a merge (table `contact_merges`, migration 008): writing it, reading it back, and
 * deciding whether it can still be undone. Kept apart from the moves themselves (merge.ts) so the
 * contact card can list merges without pulling in the merge machinery.
 */
import type { ContactMerge } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { newId } from '../store/ids.ts';
import type { Db } from '../store/open.ts';
import type { ContactRow, ConversationRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';

/** A `contact_merges` row. */
export interface MergeRow {
  id: string;
  into_contact_id: string;
  from_contact_id: string;
  from_name: string;
  from_pinned_identity_id: string | null;
  from_created_at: number;
  /** JSON of the merged contact's conversation row, or null. */
  from_conversation: string | null;
  /** JSON of the target's conversation settings before the merge (`TargetConversation`), or null. */
  into_conversation: string | null;
  /** JSON array of identity ids. */
  identity_ids: string;
  /** JSON array of [account_id, invite_id]. */
  invite_keys: string;
  merged_at: number;
  undone_at: number | null;
}

/** The merged contact's conversation as it was: its stored columns, by name. */
export type SavedConversation = Partial<Omit<ConversationRow, 'folder'>> & { id: string };

/** The target's conversation before the merge: which one, and the settings a merge combines. */
export type TargetConversation = Pick<ConversationRow, 'id' | 'pinned' | 'muted' | 'archived' | 'request'>;

/** What a merge records before it moves anything. */
export interface NewMerge {
  from: ContactRow;
  intoContactId: string;
  fromConversation: ConversationRow | undefined;
  intoConversation: ConversationRow | undefined;
  identityIds: string[];
  inviteKeys: [string, string][];
}

/** Writes the record of a merge; returns its id. */
export function recordMerge(ctx: CoreContext, m: NewMerge): string {
  const id = newId();
  const target = m.intoConversation;
  const kept: TargetConversation | null = target
    ? { id: target.id, pinned: target.pinned, muted: target.muted, archived: target.archived, request: target.request }
    : null;
  let saved: (SavedConversation & { folder?: string }) | null = null;
  if (m.fromConversation) {
    saved = { ...m.fromConversation };
    // Generated from the other columns: it cannot be written back.
    delete saved.folder;
  }
  stmt(
    ctx.db,
    `INSERT INTO contact_merges (id, into_contact_id, from_contact_id, from_name, from_pinned_identity_id, from_created_at,
       from_conversation, into_conversation, identity_ids, invite_keys, merged_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    m.intoContactId,
    m.from.id,
    m.from.display_name,
    m.from.pinned_identity_id,
    m.from.created_at,
    saved ? JSON.stringify(saved) : null,
    kept ? JSON.stringify(kept) : null,
    JSON.stringify(m.identityIds),
    JSON.stringify(m.inviteKeys),
    ctx.now(),
  );
  return id;
}

/** The record of a merge, if there is one by that id. */
export function readMerge(db: Db, mergeId: string): MergeRow | undefined {
  return stmt(db, 'SELECT * FROM contact_merges WHERE id = ?').get(mergeId) as MergeRow | undefined;
}

/** The identities a merge moved that are still with the contact it went into (an account removal takes some away). */
export function identitiesToTakeBack(db: Db, m: MergeRow): string[] {
  return pluck(db, 'SELECT i.id FROM json_each(?) j JOIN identities i ON i.id = j.value WHERE i.contact_id = ? ORDER BY i.id').all(
    m.identity_ids,
    m.into_contact_id,
  ) as string[];
}

/**
 * Why a merge cannot be undone now, in words; null if it can. Only the latest standing merge of
 * either contact can be undone: undoing in reverse order puts every contact and conversation back
 * exactly, where undoing out of order would have to guess (whose conversation an earlier merge
 * made, which later merge a route belongs to).
 */
export function undoBlocker(db: Db, m: MergeRow): string | null {
  if (m.undone_at !== null) return `The merge of ${m.from_name} was already undone.`;
  const later = stmt(
    db,
    `SELECT m.from_name, c.display_name AS into_name FROM contact_merges m LEFT JOIN contacts c ON c.id = m.into_contact_id
     WHERE m.undone_at IS NULL AND (m.merged_at > @at OR (m.merged_at = @at AND m.id > @id))
       AND (m.into_contact_id IN (@into, @from) OR m.from_contact_id IN (@into, @from))
     ORDER BY m.merged_at DESC, m.id DESC LIMIT 1`,
  ).get({ at: m.merged_at, id: m.id, into: m.into_contact_id, from: m.from_contact_id }) as
    | { from_name: string; into_name: string | null }
    | undefined;
  if (later) return `Undo the later merge of ${later.from_name} into ${later.into_name ?? 'another contact'} first.`;
  if (!stmt(db, 'SELECT 1 FROM contacts WHERE id = ?').get(m.into_contact_id)) {
    return `The contact ${m.from_name} was merged into no longer exists.`;
  }
  if (identitiesToTakeBack(db, m).length === 0) return `None of ${m.from_name}'s addresses are left (their accounts were removed).`;
  return null;
}

/**
 * The standing merges into a contact, newest first, each saying whether it can be undone now.
 * A merge none of whose addresses are left is not listed: there is nothing to take out.
 */
export function mergesInto(ctx: CoreContext, contactId: string): ContactMerge[] {
  const rows = stmt(ctx.db, 'SELECT * FROM contact_merges WHERE into_contact_id = ? AND undone_at IS NULL ORDER BY merged_at DESC, id DESC').all(
    contactId,
  ) as MergeRow[];
  return rows
    .filter((m) => identitiesToTakeBack(ctx.db, m).length > 0)
    .map((m) => ({ id: m.id, displayName: m.from_name, mergedAt: m.merged_at, undoBlocked: undoBlocker(ctx.db, m) }));
}
