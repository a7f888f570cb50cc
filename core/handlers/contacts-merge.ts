/** `contacts.merge` and `contacts.unmerge`: the user's own merge of two contacts, and its undo (core/contacts/merge.ts). */
import type { ConversationSummary } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { mergeContacts, unmergeContacts, type MergeResult } from '../contacts/merge.ts';
import { createLogger } from '../log/logger.ts';
import type { Handlers } from './handlers.ts';

const log = createLogger('contacts-merge');

export interface MergeHandlerDeps {
  /** Emits `conversation.updated` for a conversation and returns its summary. */
  announceConversation(conversationId: string): ConversationSummary;
}

export function mergeHandlers(ctx: CoreContext, deps: MergeHandlerDeps): Pick<Handlers, 'contacts.merge' | 'contacts.unmerge'> {
  const announce = (r: MergeResult): ConversationSummary | null => {
    for (const id of r.removedConversationIds) ctx.emit({ type: 'conversation.removed', conversationId: id });
    for (const id of r.contactIds) ctx.emit({ type: 'contact.updated', contactId: id });
    for (const id of r.conversationIds) ctx.emit({ type: 'conversation.reloaded', conversationId: id });
    let first: ConversationSummary | null = null;
    for (const id of r.conversationIds) first ??= deps.announceConversation(id);
    return first;
  };
  return {
    'contacts.merge': (p) => {
      const r = mergeContacts(ctx, p.fromContactId, p.intoContactId);
      log.info('contacts merged', { mergeId: r.mergeId });
      return { mergeId: r.mergeId, conversation: announce(r) };
    },
    'contacts.unmerge': (p) => {
      const r = unmergeContacts(ctx, p.mergeId);
      log.info('merge undone', { mergeId: r.mergeId });
      return { conversation: announce(r) };
    },
  };
}
