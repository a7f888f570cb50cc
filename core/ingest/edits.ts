/**
 * Edits and deletions of stored messages (Matrix `m.replace` and redactions): the newest text
 * replaces the body (its search entry follows by trigger), a deletion empties it and drops the
 * message's content; the row stays, so the conversation shows where it was and its echo is never
 * stored again.
 */
import type { AdapterEvent } from '../../adapters/contract.ts';
import { createLogger } from '../log/logger.ts';
import type { Db } from '../store/open.ts';
import { stmt } from '../store/statements.ts';

const log = createLogger('ingest.edits');

type ChangeEvent = Extract<AdapterEvent, { type: 'message-edit' | 'message-redacted' }>;

/** What an applied change touched, for the announcements after the commit. */
export interface ChangeEffects {
  updated: string[];
  conversations: Set<string>;
}

interface Target {
  seq: number;
  id: string;
  conversation_id: string;
  edited_at: number | null;
  redacted_at: number | null;
}

export function applyChange(db: Db, e: ChangeEvent, fx: ChangeEffects): void {
  const row = stmt(db, 'SELECT seq, id, conversation_id, edited_at, redacted_at FROM messages WHERE account_id = ? AND remote_id = ?').get(
    e.accountId,
    e.remoteId,
  ) as Target | undefined;
  if (!row) {
    // History not fetched that far back, or a message deleted here: nothing to change.
    log.info('a change to a message not stored here dropped', { accountId: e.accountId, type: e.type });
    return;
  }
  if (row.redacted_at !== null) return;
  if (e.type === 'message-edit') {
    // Edits can arrive out of order (history fetched backwards): the newest one wins.
    if (row.edited_at !== null && row.edited_at > e.editedAt) return;
    stmt(db, 'UPDATE messages SET body = ?, edited_at = ? WHERE seq = ?').run(e.text, e.editedAt, row.seq);
  } else {
    stmt(db, "UPDATE messages SET body = '', redacted_at = ? WHERE seq = ?").run(e.redactedAt, row.seq);
    stmt(db, 'DELETE FROM message_content WHERE message_seq = ?').run(row.seq);
    stmt(db, 'DELETE FROM message_invitations WHERE message_seq = ?').run(row.seq);
  }
  fx.updated.push(row.id);
  fx.conversations.add(row.conversation_id);
}
