/** Every event core pushes to the renderer, discriminated by `type`. */
import type { Account, ConversationSummary, Message, Settings } from './types.ts';

export type ApiEvent =
  | { type: 'message.added'; message: Message }
  | { type: 'message.updated'; message: Message }
  | { type: 'conversation.updated'; conversation: ConversationSummary }
  | { type: 'conversation.removed'; conversationId: string }
  | { type: 'account.status'; account: Account }
  | { type: 'settings.changed'; settings: Settings };

export type ApiEventType = ApiEvent['type'];

/** Exhaustiveness helper for switches over unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(x)}`);
}
