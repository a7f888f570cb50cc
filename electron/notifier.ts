/**
 * Turns core's events into the badge and desktop notifications. The Electron calls (badge,
 * Notification) and the core lookup come in as functions, so the rules are tested with fakes.
 */
import type { ApiEvent } from '../core/api/events.ts';
import type { ConversationSummary, Message, Page } from '../core/api/types.ts';
import { createLogger, errorText } from '../core/log/logger.ts';
import { AttentionTracker, notificationFor, type NotificationContent } from './attention.ts';

const log = createLogger('electron/notifier');

/** Startup listing stops here: a bug returning the same cursor forever must not hang the shell. */
const MAX_SEED_PAGES = 200;

/** What the notifier needs from the outside world. */
export interface NotifierDeps {
  /** Core's `conversations.get`, for a conversation no event has described yet. */
  getConversation(conversationId: string): Promise<ConversationSummary>;
  /** Core's `conversations.list`, for the startup badge. */
  listConversations(folder: 'inbox' | 'archived', cursor: string | null): Promise<Page<ConversationSummary>>;
  setBadge(count: number): void;
  notify(content: NotificationContent): void;
  now(): number;
}

/** The shell's attention logic: keeps the badge right and notifies for new incoming messages. */
export class Notifier {
  private readonly tracker = new AttentionTracker();
  private lastBadge: number | null = null;

  constructor(private readonly deps: NotifierDeps) {}

  /** Feeds one core event. Returns a promise only so tests can wait for the lookup it may start. */
  handle(event: ApiEvent): Promise<void> {
    if (this.tracker.apply(event)) this.refreshBadge();
    if (event.type === 'message.added' && event.message.direction === 'in') return this.consider(event.message);
    return Promise.resolve();
  }

  /** Loads every conversation once at startup, so the badge is right before any event arrives. */
  async seed(): Promise<void> {
    for (const folder of ['inbox', 'archived'] as const) {
      let cursor: string | null = null;
      for (let page = 0; page < MAX_SEED_PAGES; page++) {
        const result: Page<ConversationSummary> = await this.deps.listConversations(folder, cursor);
        this.tracker.seed(result.items);
        cursor = result.nextCursor;
        if (cursor === null) break;
      }
    }
    this.refreshBadge();
  }

  private refreshBadge(): void {
    const count = this.tracker.badgeCount();
    if (count === this.lastBadge) return;
    this.lastBadge = count;
    this.deps.setBadge(count);
  }

  private async consider(message: Message): Promise<void> {
    let muted = this.tracker.isMuted(message.conversationId);
    if (muted === undefined) {
      try {
        const conversation = await this.deps.getConversation(message.conversationId);
        this.tracker.seed([conversation]);
        muted = conversation.muted;
      } catch (err) {
        // When we cannot tell whether the user muted it, stay quiet: the badge still counts it.
        log.warn('no notification: conversation lookup failed', { conversationId: message.conversationId, error: errorText(err) });
        return;
      }
    }
    const content = notificationFor(message, muted, this.deps.now());
    if (content !== null) this.deps.notify(content);
  }
}
