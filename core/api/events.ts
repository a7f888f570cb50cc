/** Every event core pushes to the renderer, discriminated by `type`. */
import type { Account, ConversationSummary, Message, Settings, VerificationUpdate } from './types.ts';

export type ApiEvent =
  | { type: 'message.added'; message: Message }
  | { type: 'message.updated'; message: Message }
  /** A message is gone (its disappearing timer ran out): drop it from every view. */
  | { type: 'message.removed'; messageId: string; conversationId: string }
  | { type: 'conversation.updated'; conversation: ConversationSummary }
  | { type: 'conversation.removed'; conversationId: string }
  /** Messages moved in or out of a conversation wholesale (contacts merged, or the merge undone): read its pages again. */
  | { type: 'conversation.reloaded'; conversationId: string }
  | { type: 'account.status'; account: Account }
  | { type: 'settings.changed'; settings: Settings }
  /** An account's invites changed (made, used, revoked, expired): re-read `invites.list`. */
  | { type: 'invites.changed'; accountId: string }
  /** Accepts were held or released: re-read `quarantine.list`. */
  | { type: 'quarantine.changed'; accountId: string; count: number }
  /** A contact changed (a key changed or was verified, a route appeared): re-read `contacts.get`. */
  | { type: 'contact.updated'; contactId: string }
  /** Someone in the conversation started or stopped typing (not stored; a notice unrepeated for a while has ended). */
  | { type: 'conversation.typing'; conversationId: string; name: string; typing: boolean }
  /** An emoji verification with someone moved on (asked, emoji to compare, verified, stopped). */
  | { type: 'verification.updated'; verification: VerificationUpdate };

export type ApiEventType = ApiEvent['type'];

/** Exhaustiveness helper for switches over unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(x)}`);
}
