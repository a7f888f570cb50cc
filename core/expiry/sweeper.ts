/**
 * Disappearing messages go when their time is up: the sweeper deletes every message whose
 * `expires_at` has passed (its search row goes by trigger, its outbox row by cascade, a pin with
 * the row), moves each conversation's preview to the newest message left, and tells the UI.
 *
 * It sleeps until the earliest `expires_at` rather than polling; whoever starts a countdown says
 * so (`CoreContext.expiry.noteExpiry`) so an earlier deadline pulls the wake-up forward.
 */
import type { CoreContext } from '../context.ts';
import { loadConversation, toConversationSummary } from '../inbox/views.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { getSettings } from '../settings/settings.ts';
import { pluck, stmt } from '../store/statements.ts';

const log = createLogger('expiry');

/** Messages deleted per transaction; more wait for the next turn of the event loop. */
const BATCH = 500;
/**
 * The longest single sleep. Timers run on a monotonic clock that may not count a suspended
 * machine, and setTimeout cannot wait more than ~24 days: waking now and then re-reads the clock.
 */
const MAX_SLEEP_MS = 10 * 60_000;
/** After a failed sweep (storage trouble) the next try comes this much later. */
const RETRY_MS = 30_000;

/** What the rest of core tells the sweeper. */
export interface ExpiryNotice {
  /** A message's countdown started: it must go at `at` (ms since the epoch). */
  noteExpiry(at: number): void;
}

/** SQL of the expired messages, earliest first; exported for the query-plan test. */
export const EXPIRED_SQL = 'SELECT seq, id, conversation_id FROM messages WHERE expires_at <= ? ORDER BY expires_at LIMIT ?';
/** SQL of the next deadline; exported for the query-plan test. */
export const NEXT_EXPIRY_SQL = 'SELECT min(expires_at) FROM messages WHERE expires_at IS NOT NULL';

export class ExpirySweeper implements ExpiryNotice {
  private timer: NodeJS.Timeout | null = null;
  /** When (core's clock) the pending timer fires; null when none is pending. */
  private wakeAt: number | null = null;
  private running = false;

  constructor(private readonly ctx: CoreContext) {}

  /** Deletes what expired while Switchboard was closed, then sleeps until the next deadline. */
  start(): void {
    this.running = true;
    this.sweep();
  }

  stop(): void {
    this.running = false;
    this.clear();
  }

  noteExpiry(at: number): void {
    if (!this.running) return;
    if (this.wakeAt === null || at < this.wakeAt) this.sleepUntil(at);
  }

  /** Deletes every expired message now, then sleeps until the next deadline (tests use it after moving the clock). */
  sweep(): void {
    this.clear();
    if (!this.running || !this.ctx.db.open) return;
    let full = false;
    try {
      full = this.removeBatch() === BATCH;
    } catch (e) {
      log.error('expired messages not deleted; will retry', { error: errorText(e) });
      this.sleepFor(RETRY_MS);
      return;
    }
    if (full) {
      // More are due: the next batch after other work had its turn.
      this.sleepFor(0);
      return;
    }
    const next = pluck(this.ctx.db, NEXT_EXPIRY_SQL).get() as number | null;
    if (next !== null) this.sleepUntil(next);
  }

  /** Deletes up to one batch of expired messages and announces them; returns how many went. */
  private removeBatch(): number {
    const { db } = this.ctx;
    const due = stmt(db, EXPIRED_SQL).all(this.ctx.now(), BATCH) as { seq: number; id: string; conversation_id: string }[];
    if (due.length === 0) return 0;
    const conversations = [...new Set(due.map((m) => m.conversation_id))];
    db.transaction(() => {
      const remove = stmt(db, 'DELETE FROM messages WHERE seq = ?');
      for (const m of due) remove.run(m.seq);
      // The preview moves to the newest message left. The conversation keeps its place in the
      // list (last activity): a chat jumping down when a message vanishes would be a surprise.
      const repoint = stmt(
        db,
        `UPDATE conversations SET
           last_message_seq = (SELECT seq FROM messages WHERE conversation_id = @id ORDER BY sent_at DESC, seq DESC LIMIT 1)
         WHERE id = @id AND last_message_seq IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM messages WHERE seq = conversations.last_message_seq)`,
      );
      for (const id of conversations) repoint.run({ id });
    })();
    log.info('disappearing messages deleted', { count: due.length });
    for (const m of due) this.ctx.emit({ type: 'message.removed', messageId: m.id, conversationId: m.conversation_id });
    if (this.ctx.listening()) {
      const settings = getSettings(db);
      for (const id of conversations) {
        const row = loadConversation(this.ctx, id);
        if (row) this.ctx.emit({ type: 'conversation.updated', conversation: toConversationSummary(this.ctx, row, settings) });
      }
    }
    return due.length;
  }

  private sleepUntil(at: number): void {
    this.sleepFor(at - this.ctx.now());
  }

  private sleepFor(ms: number): void {
    this.clear();
    if (!this.running) return;
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, ms));
    this.wakeAt = this.ctx.now() + delay;
    this.timer = setTimeout(() => this.sweep(), delay);
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wakeAt = null;
  }
}
