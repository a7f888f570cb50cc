import type { AdapterEvent, Protocol } from '../../adapters/contract.ts';
import type { CoreContext } from '../context.ts';
import { directConversation, groupConversation, resolveIdentity } from '../contacts/resolve.ts';
import { loadConversation, toConversationSummary, toMessage } from '../inbox/views.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { getSettings } from '../settings/settings.ts';
import { factsIdOf } from '../store/facts.ts';
import { newId } from '../store/ids.ts';
import type { ConversationRow, MessageRow } from '../store/rows.ts';
import { validateAdapterEvent } from './validate.ts';
import { stmt, pluck } from '../store/statements.ts';

const log = createLogger('ingest');

/** Most events written in one transaction; a burst larger than this takes several. */
const BATCH_MAX = 2_000;
/** A message dated further ahead than this is treated as arriving now (a wrong or hostile clock). */
const FUTURE_SLACK_MS = 5 * 60_000;

type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;

/** What a batch changed, announced after it commits. */
interface BatchEffects {
  added: string[];
  updated: string[];
  conversations: Set<string>;
}

/**
 * Turns adapter events into stored messages: validate → dedupe → resolve identity, contact,
 * conversation → store → bump unread and ordering, in one transaction per batch, then emit.
 * Events queue up and are written together, so a burst costs one transaction, not one each.
 */
export class Ingestor {
  private queue: unknown[] = [];
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly protocols = new Map<string, Protocol>();

  constructor(private readonly ctx: CoreContext) {}

  /** Queues an event from an adapter. Invalid events are logged and dropped here, never thrown. */
  push(event: unknown): void {
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Resolves when everything queued so far is written (tests, shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes queued events now, synchronously (the benchmark and `drain` use it). */
  flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_MAX);
      this.writeBatch(batch);
    }
  }

  private drain(): void {
    this.scheduled = false;
    try {
      this.flush();
    } catch (e) {
      log.error('batch failed', { error: errorText(e) });
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private writeBatch(batch: unknown[]): void {
    const effects: BatchEffects = { added: [], updated: [], conversations: new Set() };
    const { db } = this.ctx;
    const run = db.transaction(() => {
      for (const raw of batch) {
        const v = validateAdapterEvent(raw);
        if (!v.ok) {
          log.warn('adapter event refused', { reason: v.reason });
          continue;
        }
        // A savepoint per event: one event that fails to store rolls back alone.
        try {
          db.transaction(() => this.apply(v.event, effects))();
        } catch (e) {
          log.error('adapter event not stored', { type: v.event.type, accountId: v.event.accountId, error: errorText(e) });
        }
      }
    });
    run();
    this.announce(effects);
  }

  private apply(e: AdapterEvent, fx: BatchEffects): void {
    switch (e.type) {
      case 'message':
        this.applyMessage(e, fx);
        return;
      case 'delivery': {
        const r = stmt(this.ctx.db, 
            `UPDATE messages SET status = ? WHERE id = ? AND account_id = ? AND direction = 'out'
             AND status IN ('sent', 'delivered', 'sending', 'queued')`,
          )
          .run(e.state, e.clientId, e.accountId);
        if (r.changes > 0) fx.updated.push(e.clientId);
        return;
      }
      case 'route-facts': {
        const facts = JSON.stringify(e.facts);
        const db = this.ctx.db;
        const ids = stmt(db, 'UPDATE identities SET facts = ? WHERE account_id = ? AND address = ?').run(facts, e.accountId, e.target);
        const rooms = stmt(db, 'UPDATE conversations SET facts = ? WHERE account_id = ? AND remote_id = ? RETURNING id').all(facts, e.accountId, e.target) as {
          id: string;
        }[];
        for (const r of rooms) fx.conversations.add(r.id);
        if (ids.changes > 0) {
          const convs = stmt(db, 
              `SELECT c.id FROM conversations c JOIN identities i ON i.contact_id = c.contact_id WHERE i.account_id = ? AND i.address = ?`,
            )
            .all(e.accountId, e.target) as { id: string }[];
          for (const c of convs) fx.conversations.add(c.id);
        }
        return;
      }
      case 'status':
        // The account runtime tracks status; nothing to store.
        return;
      case 'error':
        log.warn('adapter reported an error', { accountId: e.accountId, error: e.error });
        return;
    }
  }

  private protocolOf(accountId: string): Protocol | undefined {
    let p = this.protocols.get(accountId);
    if (!p) {
      p = pluck(this.ctx.db, 'SELECT protocol FROM accounts WHERE id = ?').get(accountId) as Protocol | undefined;
      if (p) this.protocols.set(accountId, p);
    }
    return p;
  }

  private applyMessage(e: MessageEvent, fx: BatchEffects): void {
    const { db } = this.ctx;
    const protocol = this.protocolOf(e.accountId);
    if (!protocol) {
      log.warn('message for an unknown account dropped', { accountId: e.accountId });
      return;
    }
    if (stmt(db, 'SELECT 1 FROM messages WHERE account_id = ? AND remote_id = ?').get(e.accountId, e.remoteId)) return;
    if (e.sender === 'self' && e.clientId) {
      // The echo of a message Switchboard sent: it is already stored under its client id.
      const mine = stmt(db, 'UPDATE messages SET remote_id = ? WHERE id = ? AND account_id = ? AND remote_id IS NULL').run(e.remoteId, e.clientId, e.accountId);
      if (mine.changes > 0 || stmt(db, 'SELECT 1 FROM messages WHERE id = ?').get(e.clientId)) return;
    }
    const now = this.ctx.now();
    const sentAt = e.sentAt > now + FUTURE_SLACK_MS ? now : e.sentAt;

    let conv: ConversationRow;
    let identityId: string | null = null;
    let senderName: string;
    let target: string;
    if (e.conversation.kind === 'direct') {
      const identity = resolveIdentity(db, e.accountId, protocol, e.conversation.peer, now);
      identityId = identity.id;
      target = identity.address;
      const contactName = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(identity.contact_id) as string;
      conv = directConversation(db, identity.contact_id, contactName, sentAt).row;
      senderName = e.sender === 'self' ? 'You' : identity.display_name;
    } else {
      conv = groupConversation(db, e.accountId, e.conversation.roomId, e.conversation.title, sentAt).row;
      target = e.conversation.roomId;
      if (e.sender === 'self') senderName = 'You';
      else {
        senderName = e.sender.displayName?.trim() || e.sender.address;
        identityId = resolveIdentity(db, e.accountId, protocol, e.sender, now).id;
      }
    }
    const facts = e.facts ?? this.ctx.accounts.factsFor(e.accountId, target);
    const direction = e.sender === 'self' ? 'out' : 'in';
    const id = e.sender === 'self' && e.clientId ? e.clientId : newId();
    const seq = pluck(db, 
        `INSERT INTO messages (id, conversation_id, account_id, remote_id, identity_id, direction, sender_name, protocol, body, sent_at, received_at, status, facts_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      )
      .get(id, conv.id, e.accountId, e.remoteId, identityId, direction, senderName, protocol, e.text, sentAt, now, direction === 'in' ? 'received' : 'sent', factsIdOf(db, facts)) as number;
    bumpConversation(db, conv.id, seq, sentAt, direction === 'in' ? 1 : 0);
    fx.added.push(id);
    fx.conversations.add(conv.id);
  }

  private announce(fx: BatchEffects): void {
    if (!this.ctx.listening() || (fx.added.length === 0 && fx.updated.length === 0 && fx.conversations.size === 0)) return;
    const get = stmt(this.ctx.db, 'SELECT * FROM messages WHERE id = ?');
    for (const id of fx.added) {
      const row = get.get(id) as MessageRow | undefined;
      if (row) this.ctx.emit({ type: 'message.added', message: toMessage(this.ctx.db, row) });
    }
    for (const id of fx.updated) {
      const row = get.get(id) as MessageRow | undefined;
      if (row) this.ctx.emit({ type: 'message.updated', message: toMessage(this.ctx.db, row) });
    }
    const settings = getSettings(this.ctx.db);
    for (const cid of fx.conversations) {
      const row = loadConversation(this.ctx, cid);
      if (row) this.ctx.emit({ type: 'conversation.updated', conversation: toConversationSummary(this.ctx, row, settings) });
    }
  }
}

/** Moves a conversation's last activity (never backwards) and adds to its unread count. */
export function bumpConversation(db: CoreContext['db'], conversationId: string, seq: number, sentAt: number, unread: number): void {
  stmt(db, 
    `UPDATE conversations SET
       last_message_seq = CASE WHEN last_message_seq IS NULL OR @sentAt >= last_activity_at THEN @seq ELSE last_message_seq END,
       last_activity_at = max(last_activity_at, @sentAt),
       unread_count = unread_count + @unread
     WHERE id = @id`,
  ).run({ id: conversationId, seq, sentAt, unread });
}
