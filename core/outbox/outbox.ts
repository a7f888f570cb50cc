import { AdapterSendError, type OutgoingMessage, type RemoteConversationRef, type SendErrorClass } from '../../adapters/contract.ts';
import { invitationLink } from '../upgrade/invitations.ts';
import type { CoreContext } from '../context.ts';
import { decideRoute, getContactRow, identityFacts } from '../contacts/routes.ts';
import { hasLeft, LEFT_GROUP_REASON } from '../groups/membership.ts';
import { colourDropped } from '../routing/index.ts';
import { rate, UNKNOWN_FACTS } from '../security/index.ts';
import { factsById } from '../store/facts.ts';
import { loadConversation, toConversationSummary, toMessage } from '../inbox/views.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { getSettings } from '../settings/settings.ts';
import { factsIdOf } from '../store/facts.ts';
import type { ConversationRow, IdentityRow, MessageRow, OutboxRow } from '../store/rows.ts';
import { stmt, pluck } from '../store/statements.ts';

const log = createLogger('outbox');

/** After this long without reaching the server, a message fails instead of retrying forever. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const MAX_TIMER_MS = 60_000;
const DUE_BATCH = 32;
/** How long core waits for an adapter's send before counting it as a network error. */
export const SEND_TIMEOUT_MS = 60_000;
/** How long `stop` waits for sends under way; a send cut off resumes after restart. */
const STOP_WAIT_MS = 5_000;
/** An account that is down is looked at again this often (without counting an attempt). */
const UNAVAILABLE_RECHECK_MS = 60_000;

/** Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function defaultBackoff(attempts: number): number {
  const base = Math.min(5 * 60_000, 1000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export interface OutboxOptions {
  backoff?: (attempts: number) => number;
  sendTimeoutMs?: number;
  /** How long `stop` waits for sends under way. */
  stopWaitMs?: number;
}

/**
 * The durable send queue. A row is written with its message before anything is sent; the
 * worker sends due rows through their account's adapter (idempotent on the message id, which is
 * the client id), retries network errors with backoff and fails auth or permanent errors with
 * their reason. Rows survive restarts; `waiting-route` rows wait for a safer route to return.
 */
export class Outbox {
  /** Message id → its conversation, for sends under way. */
  private readonly inFlight = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly backoff: (attempts: number) => number;
  private readonly sendTimeoutMs: number;
  private readonly stopWaitMs: number;
  private readonly settled = new Set<() => void>();

  constructor(
    private readonly ctx: CoreContext,
    opts: OutboxOptions = {},
  ) {
    this.backoff = opts.backoff ?? defaultBackoff;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? SEND_TIMEOUT_MS;
    this.stopWaitMs = opts.stopWaitMs ?? STOP_WAIT_MS;
  }

  /** Resumes after a restart: a message caught mid-send is queued again (the adapter dedupes by id). */
  start(): void {
    this.running = true;
    stmt(this.ctx.db, `UPDATE messages SET status = 'queued' WHERE status = 'sending' AND id IN (SELECT message_id FROM outbox)`).run();
    this.reconsiderWaiting();
    this.wake();
  }

  /**
   * Stops sending; waits a little for sends under way so their result is stored. A send still
   * under way after that stays in the outbox and resumes after the next start.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const deadline = Date.now() + this.stopWaitMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await new Promise<void>((r) => {
        this.settled.add(r);
        setTimeout(r, Math.max(0, deadline - Date.now()));
      });
    }
    if (this.inFlight.size > 0) log.warn('sends still under way at shutdown; they resume at the next start', { count: this.inFlight.size });
  }

  /** Takes a message that waits (queued or for a route) out of the queue; false if it is not waiting. */
  cancel(messageId: string): boolean {
    if (this.inFlight.has(messageId)) return false;
    const row = stmt(this.ctx.db, 'SELECT * FROM messages WHERE id = ?').get(messageId) as MessageRow | undefined;
    const queued = stmt(this.ctx.db, 'SELECT 1 FROM outbox WHERE message_id = ?').get(messageId);
    if (!row || !queued) return false;
    this.fail(row, 'Cancelled: not sent.', 'cancelled by the user');
    return true;
  }

  /** An account came online: what waited for it is due now, not after its backoff. */
  accountOnline(accountId: string): void {
    stmt(this.ctx.db, `UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending' AND account_id = ?`).run(this.ctx.now(), accountId);
    this.reconsiderWaiting();
    this.wake();
  }

  /** Looks for due rows now (after an enqueue, or an account coming online). */
  wake(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Asks routing again for messages waiting for a safer route; those it can now send become due. */
  reconsiderWaiting(): void {
    const { db } = this.ctx;
    const rows = stmt(db, `SELECT * FROM outbox WHERE state = 'waiting-route'`).all() as OutboxRow[];
    if (rows.length === 0) return;
    const settings = getSettings(db);
    for (const row of rows) {
      const conv = stmt(db, 'SELECT c.* FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE m.id = ?').get(row.message_id) as
        | ConversationRow
        | undefined;
      const contact = conv?.contact_id ? getContactRow(this.ctx, conv.contact_id) : undefined;
      if (!contact) continue;
      const { decision } = decideRoute(this.ctx, contact, settings, row.decision ?? 'wait');
      if (decision.kind !== 'send') continue;
      const facts = this.ctx.accounts.factsFor(decision.route.accountId, this.addressOf(decision.route.identityId) ?? '');
      db.transaction(() => {
        stmt(db, 
          `UPDATE outbox SET state = 'pending', identity_id = ?, account_id = ?, next_attempt_at = ? WHERE message_id = ?`,
        ).run(decision.route.identityId, decision.route.accountId, this.ctx.now(), row.message_id);
        stmt(db, `UPDATE messages SET status = 'queued', account_id = ?, identity_id = ?, protocol = ?, facts_id = ? WHERE id = ?`).run(
          decision.route.accountId,
          decision.route.identityId,
          decision.route.protocol,
          factsIdOf(db, facts),
          row.message_id,
        );
      })();
      log.info('waiting message has a route again', { messageId: row.message_id, protocol: decision.route.protocol });
      this.emitMessage(row.message_id);
    }
    this.wake();
  }

  private addressOf(identityId: string): string | undefined {
    return pluck(this.ctx.db, 'SELECT address FROM identities WHERE id = ?').get(identityId) as string | undefined;
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    const { db } = this.ctx;
    const now = this.ctx.now();
    // Within a conversation messages go in the order they were written: only the oldest pending
    // one is eligible, and not while another of that conversation is under way.
    const due = stmt(
      db,
      `SELECT o.*, m.conversation_id FROM outbox o JOIN messages m ON m.id = o.message_id
       WHERE o.state = 'pending' AND o.next_attempt_at <= ?
         AND NOT EXISTS (SELECT 1 FROM outbox o2 JOIN messages m2 ON m2.id = o2.message_id
                         WHERE o2.state = 'pending' AND m2.conversation_id = m.conversation_id
                           AND (m2.sent_at, m2.seq) < (m.sent_at, m.seq))
       ORDER BY o.next_attempt_at LIMIT ?`,
    ).all(now, DUE_BATCH + this.inFlight.size) as (OutboxRow & { conversation_id: string })[];
    const busy = new Set(this.inFlight.values());
    for (const row of due) {
      if (this.inFlight.has(row.message_id) || busy.has(row.conversation_id)) continue;
      busy.add(row.conversation_id);
      void this.dispatch(row, row.conversation_id);
    }
    const next = pluck(db, `SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND next_attempt_at > ?`)
      .get(now) as number | null;
    if (next !== null && this.running) {
      this.timer = setTimeout(() => this.tick(), Math.min(MAX_TIMER_MS, Math.max(0, next - now)));
    }
  }

  private async dispatch(row: OutboxRow, conversationId: string): Promise<void> {
    const { db } = this.ctx;
    this.inFlight.set(row.message_id, conversationId);
    try {
      const msg = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(row.message_id) as MessageRow | undefined;
      const conv = msg ? (stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(msg.conversation_id) as ConversationRow | undefined) : undefined;
      if (!msg || !conv || !row.account_id) {
        stmt(db, 'DELETE FROM outbox WHERE message_id = ?').run(row.message_id);
        return;
      }
      const adapter = this.ctx.accounts.adapter(row.account_id);
      if (!adapter || !this.ctx.accounts.isAvailable(row.account_id)) {
        // Not an attempt: nothing was tried. Look again later, or as soon as the account is back.
        stmt(db, 'UPDATE outbox SET next_attempt_at = ? WHERE message_id = ?').run(this.ctx.now() + UNAVAILABLE_RECHECK_MS, msg.id);
        return;
      }
      const weaker = this.routeGotWeaker(msg, row);
      if (weaker) {
        this.fail(msg, weaker, 'route became weaker');
        return;
      }
      stmt(db, `UPDATE messages SET status = 'sending' WHERE id = ?`).run(msg.id);
      this.emitMessage(msg.id);
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      try {
        const ref = this.remoteRef(conv, row);
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            abort.abort();
            reject(new AdapterSendError('network', `The server did not answer within ${Math.round(this.sendTimeoutMs / 1000)} s.`));
          }, this.sendTimeoutMs);
        });
        const out: OutgoingMessage = { clientId: msg.id, accountId: row.account_id, conversation: ref, text: msg.body };
        // An invitation to encrypted chat goes with its email (upgrade): the adapter adds its header.
        const invitation = msg.direction === 'out' ? invitationLink(db, msg.seq) : undefined;
        if (invitation !== undefined) out.invitation = { link: invitation };
        const receipt = await Promise.race([
          adapter.send(out, abort.signal),
          deadline,
        ]);
        this.succeeded(msg, row, receipt.remoteId);
      } catch (e) {
        this.failed(msg, row, e);
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      log.error('outbox row could not be processed', { messageId: row.message_id, error: errorText(e) });
    } finally {
      this.inFlight.delete(row.message_id);
      for (const r of this.settled) r();
      this.settled.clear();
      if (this.running) this.wakeLater();
    }
  }

  private wakeLater(): void {
    if (!this.timer) this.timer = setTimeout(() => this.tick(), 0);
  }

  private remoteRef(conv: ConversationRow, row: OutboxRow): RemoteConversationRef {
    if (conv.kind === 'group') {
      if (!conv.remote_id) throw new AdapterSendError('permanent', 'This group has no address to send to.');
      // Queued before the account was removed from the group: it can no longer go.
      if (hasLeft(conv)) throw new AdapterSendError('permanent', LEFT_GROUP_REASON);
      return { kind: 'group', roomId: conv.remote_id, title: conv.title };
    }
    const identity = row.identity_id
      ? (stmt(this.ctx.db, 'SELECT * FROM identities WHERE id = ?').get(row.identity_id) as IdentityRow | undefined)
      : undefined;
    if (!identity) throw new AdapterSendError('permanent', 'The address this message was going to no longer exists.');
    return { kind: 'direct', peer: { address: identity.address, displayName: identity.display_name } };
  }

  private succeeded(msg: MessageRow, row: OutboxRow, remoteId: string): void {
    const { db } = this.ctx;
    if (!this.running && !db.open) return;
    const now = this.ctx.now();
    const expiresAt = db.transaction(() => {
      // A disappearing message counts down from when it was sent.
      const updated = stmt(db, 
        `UPDATE messages SET status = CASE WHEN status IN ('delivered','read') THEN status ELSE 'sent' END, error = NULL,
           remote_id = CASE WHEN remote_id IS NULL AND NOT EXISTS (SELECT 1 FROM messages WHERE account_id = @account AND remote_id = @remote) THEN @remote ELSE remote_id END,
           expires_at = CASE WHEN disappear_seconds > 0 AND expires_at IS NULL THEN @now + disappear_seconds * 1000 ELSE expires_at END
         WHERE id = @id RETURNING expires_at`,
      ).get({ id: msg.id, account: row.account_id, remote: remoteId, now }) as { expires_at: number | null } | undefined;
      stmt(db, 'DELETE FROM outbox WHERE message_id = ?').run(msg.id);
      if (row.identity_id) stmt(db, 'UPDATE identities SET last_used_at = ? WHERE id = ?').run(now, row.identity_id);
      return updated?.expires_at ?? null;
    })();
    if (expiresAt !== null) this.ctx.expiry.noteExpiry(expiresAt);
    this.emitMessage(msg.id);
  }

  private failed(msg: MessageRow, row: OutboxRow, e: unknown): void {
    const { db } = this.ctx;
    if (!db.open) return;
    const errorClass: SendErrorClass = e instanceof AdapterSendError ? e.errorClass : 'network';
    const reason = errorText(e);
    const now = this.ctx.now();
    const firstFailed = row.first_failed_at ?? now;
    const tooOld = now - firstFailed > GIVE_UP_AFTER_MS;
    if (errorClass === 'network' && !tooOld) {
      const attempts = row.attempts + 1;
      db.transaction(() => {
        stmt(db, 'UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, first_failed_at = ? WHERE message_id = ?').run(
          attempts,
          now + this.backoff(attempts),
          reason,
          firstFailed,
          msg.id,
        );
        stmt(db, `UPDATE messages SET status = 'queued' WHERE id = ?`).run(msg.id);
      })();
      log.info('send will be retried', { messageId: msg.id, attempts, error: reason });
    } else {
      const text =
        errorClass === 'auth'
          ? `The server refused the account's sign-in: ${reason}`
          : errorClass === 'network'
            ? `Could not reach the server for 24 hours: ${reason}`
            : reason;
      this.fail(msg, text, errorClass);
      return;
    }
    this.emitMessage(msg.id);
  }

  /** Takes a message out of the queue as failed, with the reason the user reads. */
  private fail(msg: MessageRow, text: string, why: string): void {
    const { db } = this.ctx;
    db.transaction(() => {
      stmt(db, 'DELETE FROM outbox WHERE message_id = ?').run(msg.id);
      stmt(db, `UPDATE messages SET status = 'failed', error = ? WHERE id = ?`).run(text, msg.id);
    })();
    log.warn('send failed', { messageId: msg.id, why });
    this.emitMessage(msg.id);
  }

  /**
   * The route of a queued 1:1 message rates lower now than when the user sent it (an identity
   * changed, encryption went away): it must not go silently. Returns the reason, or null.
   */
  private routeGotWeaker(msg: MessageRow, row: OutboxRow): string | null {
    if (!row.identity_id || row.decision === 'send-anyway') return null;
    const identity = stmt(this.ctx.db, 'SELECT * FROM identities WHERE id = ?').get(row.identity_id) as IdentityRow | undefined;
    if (!identity) return null;
    const accepted = rate(factsById(this.ctx.db, msg.facts_id) ?? UNKNOWN_FACTS, msg.protocol);
    const now = rate(identityFacts(this.ctx, identity), identity.protocol);
    if (!colourDropped(accepted, now)) return null;
    return `Not sent: this route became less safe after you wrote the message (now ${now.colour}, ${now.score}%). ${now.summary} Press Retry to choose again.`;
  }

  private emitMessage(id: string): void {
    const row = stmt(this.ctx.db, 'SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    if (!row) return;
    this.ctx.emit({ type: 'message.updated', message: toMessage(this.ctx.db, row) });
    const conv = loadConversation(this.ctx, row.conversation_id);
    if (conv && conv.last_message_seq === row.seq) {
      this.ctx.emit({ type: 'conversation.updated', conversation: toConversationSummary(this.ctx, conv, getSettings(this.ctx.db)) });
    }
  }
}
