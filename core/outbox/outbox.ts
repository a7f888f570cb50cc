import { AdapterSendError, type RemoteConversationRef, type SendErrorClass } from '../../adapters/contract.ts';
import type { CoreContext } from '../context.ts';
import { decideRoute, getContactRow } from '../contacts/routes.ts';
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

/** Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function defaultBackoff(attempts: number): number {
  const base = Math.min(5 * 60_000, 1000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export interface OutboxOptions {
  backoff?: (attempts: number) => number;
}

/**
 * The durable send queue. A row is written with its message before anything is sent; the
 * worker sends due rows through their account's adapter (idempotent on the message id, which is
 * the client id), retries network errors with backoff and fails auth or permanent errors with
 * their reason. Rows survive restarts; `waiting-route` rows wait for a safer route to return.
 */
export class Outbox {
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly backoff: (attempts: number) => number;
  private readonly settled = new Set<() => void>();

  constructor(
    private readonly ctx: CoreContext,
    opts: OutboxOptions = {},
  ) {
    this.backoff = opts.backoff ?? defaultBackoff;
  }

  /** Resumes after a restart: a message caught mid-send is queued again (the adapter dedupes by id). */
  start(): void {
    this.running = true;
    stmt(this.ctx.db, `UPDATE messages SET status = 'queued' WHERE status = 'sending' AND id IN (SELECT message_id FROM outbox)`).run();
    this.reconsiderWaiting();
    this.wake();
  }

  /** Stops sending; waits for sends under way to settle so the database can close. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight.size > 0) await new Promise<void>((r) => this.settled.add(r));
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
    const due = stmt(db, `SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`)
      .all(now, DUE_BATCH + this.inFlight.size) as OutboxRow[];
    for (const row of due) {
      if (this.inFlight.has(row.message_id)) continue;
      void this.dispatch(row);
    }
    const next = pluck(db, `SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND next_attempt_at > ?`)
      .get(now) as number | null;
    if (next !== null && this.running) {
      this.timer = setTimeout(() => this.tick(), Math.min(MAX_TIMER_MS, Math.max(0, next - now)));
    }
  }

  private async dispatch(row: OutboxRow): Promise<void> {
    const { db } = this.ctx;
    this.inFlight.add(row.message_id);
    try {
      const msg = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(row.message_id) as MessageRow | undefined;
      const conv = msg ? (stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(msg.conversation_id) as ConversationRow | undefined) : undefined;
      if (!msg || !conv || !row.account_id) {
        stmt(db, 'DELETE FROM outbox WHERE message_id = ?').run(row.message_id);
        return;
      }
      stmt(db, `UPDATE messages SET status = 'sending' WHERE id = ?`).run(msg.id);
      this.emitMessage(msg.id);
      try {
        const ref = this.remoteRef(conv, row);
        const adapter = this.ctx.accounts.adapter(row.account_id);
        if (!adapter || !this.ctx.accounts.isAvailable(row.account_id)) {
          throw new AdapterSendError('network', 'The account is not connected.');
        }
        const receipt = await adapter.send({ clientId: msg.id, accountId: row.account_id, conversation: ref, text: msg.body });
        this.succeeded(msg, row, receipt.remoteId);
      } catch (e) {
        this.failed(msg, row, e);
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
    db.transaction(() => {
      stmt(db, 
        `UPDATE messages SET status = CASE WHEN status IN ('delivered','read') THEN status ELSE 'sent' END, error = NULL,
           remote_id = CASE WHEN remote_id IS NULL AND NOT EXISTS (SELECT 1 FROM messages WHERE account_id = @account AND remote_id = @remote) THEN @remote ELSE remote_id END
         WHERE id = @id`,
      ).run({ id: msg.id, account: row.account_id, remote: remoteId });
      stmt(db, 'DELETE FROM outbox WHERE message_id = ?').run(msg.id);
      if (row.identity_id) stmt(db, 'UPDATE identities SET last_used_at = ? WHERE id = ?').run(this.ctx.now(), row.identity_id);
    })();
    this.emitMessage(msg.id);
  }

  private failed(msg: MessageRow, row: OutboxRow, e: unknown): void {
    const { db } = this.ctx;
    if (!db.open) return;
    const errorClass: SendErrorClass = e instanceof AdapterSendError ? e.errorClass : 'network';
    const reason = errorText(e);
    const tooOld = this.ctx.now() - msg.sent_at > GIVE_UP_AFTER_MS;
    if (errorClass === 'network' && !tooOld) {
      const attempts = row.attempts + 1;
      db.transaction(() => {
        stmt(db, 'UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE message_id = ?').run(
          attempts,
          this.ctx.now() + this.backoff(attempts),
          reason,
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
      db.transaction(() => {
        stmt(db, 'DELETE FROM outbox WHERE message_id = ?').run(msg.id);
        stmt(db, `UPDATE messages SET status = 'failed', error = ? WHERE id = ?`).run(text, msg.id);
      })();
      log.warn('send failed', { messageId: msg.id, errorClass, error: reason });
    }
    this.emitMessage(msg.id);
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
