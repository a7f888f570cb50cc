/** `contacts.merge`, `contacts.unmerge`, `contacts.merges`: the user's own merge of two contacts, and its undo (core/contacts/merge.ts). */
import { ApiError } from '../api/commands.ts';
import type { ConversationSummary } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { mergeContacts, unmergeContacts, type MergeChanges } from '../contacts/merge.ts';
import { mergesInto } from '../contacts/merge-record.ts';
import { createLogger } from '../log/logger.ts';
import { stmt } from '../store/statements.ts';
import type { Handlers } from './handlers.ts';

const log = createLogger('contacts-merge');

/** What the merge commands need from the other handlers. */
export interface MergeHandlerDeps {
  /** Emits `conversation.updated` for a conversation and returns its summary. */
  announceConversation(conversationId: string): ConversationSummary;
}

/** The merge commands, spread into `createHandlers`. */
export function mergeHandlers(ctx: CoreContext, deps: MergeHandlerDeps): Pick<Handlers, 'contacts.merge' | 'contacts.unmerge' | 'contacts.merges'> {
  /** Tells every view what changed; returns the summary of the conversation the change is about. */
  const announce = (c: MergeChanges): ConversationSummary | null => {
    for (const id of c.removedConversationIds) ctx.emit({ type: 'conversation.removed', conversationId: id });
    for (const id of c.reloadedConversationIds) ctx.emit({ type: 'conversation.reloaded', conversationId: id });
    const summaries = new Map(c.updatedConversationIds.map((id) => [id, deps.announceConversation(id)]));
    for (const id of c.contactIds) ctx.emit({ type: 'contact.updated', contactId: id });
    return c.conversationId === null ? null : (summaries.get(c.conversationId) ?? null);
  };
  return {
    'contacts.merge': (p) => {
      const c = mergeContacts(ctx, p);
      log.info('contacts merged', { mergeId: c.mergeId });
      return { mergeId: c.mergeId, conversation: announce(c) };
    },
    'contacts.unmerge': (p) => {
      const c = unmergeContacts(ctx, p.mergeId);
      log.info('merge undone', { mergeId: c.mergeId });
      return { restoredContactId: c.contactId, restoredConversation: announce(c) };
    },
    'contacts.merges': (p) => {
      if (!stmt(ctx.db, 'SELECT 1 FROM contacts WHERE id = ?').get(p.contactId)) throw new ApiError('not-found', 'That contact does not exist.');
      return mergesInto(ctx, p.contactId);
    },
  };
}
