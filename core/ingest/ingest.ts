import type { AdapterEvent, MessageContent, Protocol } from '../../adapters/contract.ts';
import type { CoreContext } from '../context.ts';
import { directConversation, groupConversation, normaliseAddress, resolveIdentity } from '../contacts/resolve.ts';
import { boundInvite, markInvite, storeInvitation, validInvitation } from '../upgrade/invitations.ts';
import { linkIdentity } from '../upgrade/link.ts';
import { syncGroupConversation } from '../groups/membership.ts';
import { loadConversation, toConversationSummary, toMessage } from '../inbox/views.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { storeContent } from '../content/store.ts';
import { getSettings } from '../settings/settings.ts';
import { factsIdOf } from '../store/facts.ts';
import { newId } from '../store/ids.ts';
import type { ConversationRow, MessageRow } from '../store/rows.ts';
import { announceAdapterChange, type ChangeTopic } from './changes.ts';
import { applyChange } from './edits.ts';
import { validateAdapterEvent } from './validate.ts';
import { applyPresence, readTyping, readVerification, type TypingNotice } from './ephemeral.ts';
import type { VerificationUpdate } from '../api/types.ts';
import { stmt, pluck } from '../store/statements.ts';

const log = createLogger('ingest');

/** Most events written in one transaction; a burst larger than this takes several. */
const BATCH_MAX = 2_000;
/** A message dated further ahead than this is treated as arriving now (a wrong or hostile clock). */
const FUTURE_SLACK_MS = 5 * 60_000;
/** The wait before retrying a failed write; it doubles with each failure in a row, up to the max. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 3_000;
/** After this many failures in a row the head batch is written one event at a time, to find a poison event. */
const SPLIT_AFTER_FAILURES = 3;
/**
 * After this many failures in a row (about 3 s of retries) `idle()` stops waiting: storage is broken,
 * and shutdown must not hang on it. The events stay queued and retries go on.
 */
const IDLE_GIVE_UP_AFTER_FAILURES = 6;
/**
 * SQLite result codes that describe the storage, not the event: retrying later can succeed, and no
 * event is ever dropped for one of them (disk full, locked by another process, I/O error, ...).
 */
const STORAGE_FAULT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|READONLY|CANTOPEN|PROTOCOL|INTERRUPT|CORRUPT|NOTADB|PERM|AUTH)/;
/** Logged when one event cannot be stored although storage works: it is dropped so the rest can go on. */
const POISON_EVENT = 'adapter event not stored: storage failed on this (already validated) event; dropped';

type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;
type TimerEvent = Extract<AdapterEvent, { type: 'disappearing' }>;

/** What a batch changed, announced after it commits. */
interface BatchEffects {
  added: string[];
  updated: string[];
  conversations: Set<string>;
  /**
   * Per account, the remote ids of the message events handled (stored, already there, or a repeated
   * echo): the adapter may acknowledge them. One that failed to store is not among them.
   */
  handled: Map<string, string[]>;
  /** Per account, the topics an adapter said changed. */
  changed: Map<string, Set<ChangeTopic>>;
  /** Accounts that reported a peer or a route's facts: what their outbox rows wait for may be back. */
  routes: Set<string>;
  /** The earliest deadline of a disappearing message stored, if any. */
  firstExpiry: number | null;
  /** Messages stored with an invitation to encrypted chat (by id), offered to the user. */
  invitations: string[];
  /** Contacts whose routes changed (a native identity linked to them), and conversations emptied into another. */
  contacts: Set<string>;
  removedConversations: string[];
  /** Typing notices, in order (not stored). */
  typing: TypingNotice[];
  /** Emoji verifications' progress, in order (not stored). */
  verifications: VerificationUpdate[];
}

const noEffects = (): BatchEffects => ({
  typing: [],
  verifications: [],
  invitations: [],
  contacts: new Set(),
  removedConversations: [],
  added: [],
  updated: [],
  conversations: new Set(),
  handled: new Map(),
  changed: new Map(),
  routes: new Set(),
  firstExpiry: null,
});

/** What ingest tells the rest of core after a commit. */
export interface IngestHooks {
  /** An account reported a peer or a route's facts (stored by now). */
  routesChanged?(accountId: string): void;
  /** Messages carrying an invitation to encrypted chat were stored (by id). */
  invitationsArrived?(messageIds: readonly string[]): void;
}

/**
 * Turns adapter events into stored messages: validate → dedupe → resolve identity, contact,
 * conversation → store → bump unread and ordering, in one transaction per batch, then emit.
 * Events queue up and are written together, so a burst costs one transaction, not one each.
 *
 * An event leaves the queue only once its transaction committed: a failed write (disk full, the
 * database locked) is retried with backoff, so nothing is lost while storage is down. A backlog is
 * written one batch per event-loop turn, so api calls are served in between.
 */
export class Ingestor {
  private queue: AdapterEvent[] = [];
  /** Cancels the pending drain (an immediate, or a retry timer); null when none is pending. */
  private cancelDrain: (() => void) | null = null;
  /** Failed write attempts in a row; 0 while storage works. */
  private failures = 0;
  /** Set by `stop()` or when the database was closed: no more drains are scheduled. */
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly protocols = new Map<string, Protocol>();

  constructor(
    private readonly ctx: CoreContext,
    private readonly hooks: IngestHooks = {},
  ) {}

  /** Queues an event from an adapter. Invalid events are logged and dropped here, never thrown. */
  push(event: unknown): void {
    const v = validateAdapterEvent(event);
    if (!v.ok) {
      log.warn('adapter event refused', { reason: v.reason });
      return;
    }
    this.queue.push(v.event);
    this.schedule(0);
  }

  /** Events accepted but not yet stored. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Resolves when everything queued so far is written (tests, shutdown) — or, so that shutdown
   * cannot hang, once writing has failed several times in a row (the events stay queued; see `pending`).
   */
  idle(): Promise<void> {
    if (this.queue.length === 0 || this.gaveUp()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Writes queued events now, synchronously (the benchmark uses it). Throws when a batch cannot be
   * written; its events stay queued and are retried later.
   */
  flush(): void {
    try {
      while (this.queue.length > 0) this.writeHead();
      this.failures = 0;
    } catch (e) {
      this.failed(e);
      this.schedule(retryDelay(this.failures));
      throw e;
    } finally {
      this.settleWaiters();
    }
  }

  /**
   * For shutdown: one last attempt to write everything, then no more retries. What could not be
   * written is logged (it is lost with the process); `idle()` resolves from now on.
   */
  stop(): void {
    this.cancelDrain?.();
    this.cancelDrain = null;
    this.stopped = true;
    if (this.queue.length > 0 && this.ctx.db.open) {
      try {
        this.flush();
      } catch {
        // `flush` logged it; what is left is reported below.
      }
    }
    if (this.queue.length > 0) log.error('ingest stopped with events not stored', { pending: this.queue.length });
    this.settleWaiters();
  }

  /** Makes sure a drain runs `delayMs` from now (or sooner, if one is already pending). */
  private schedule(delayMs: number): void {
    if (this.cancelDrain || this.stopped) return;
    const run = (): void => {
      this.cancelDrain = null;
      this.drain();
    };
    if (delayMs <= 0) {
      const immediate = setImmediate(run);
      this.cancelDrain = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(run, delayMs);
      this.cancelDrain = () => clearTimeout(timer);
    }
  }

  /** Writes one batch, then yields the event loop: a big backlog does not starve api calls or IPC. */
  private drain(): void {
    if (!this.ctx.db.open) {
      this.stopped = true;
      if (this.queue.length > 0) log.error('database closed; events not stored', { pending: this.queue.length });
    } else if (this.queue.length > 0) {
      try {
        if (this.failures >= SPLIT_AFTER_FAILURES) this.writeHeadOneByOne();
        else this.writeHead();
        this.failures = 0;
      } catch (e) {
        this.failed(e);
      }
    }
    if (this.queue.length > 0) this.schedule(this.failures > 0 ? retryDelay(this.failures) : 0);
    this.settleWaiters();
  }

  /** Writes the head batch in one transaction; its events leave the queue only after the commit. */
  private writeHead(): void {
    const batch = this.queue.slice(0, BATCH_MAX);
    const effects = this.commit(batch);
    this.queue.splice(0, batch.length);
    this.afterCommit(effects);
  }

  /**
   * The head batch keeps failing: writes its events one transaction each, so one event that breaks
   * its transaction cannot hold back the others. An event that fails alone for a reason of its own
   * is logged and dropped; a storage fault stops the pass with the rest still queued (and throws).
   */
  private writeHeadOneByOne(): void {
    const head = this.queue.slice(0, BATCH_MAX);
    const effects = noEffects();
    let settled = 0;
    try {
      for (const event of head) {
        try {
          mergeEffects(effects, this.commit([event]));
        } catch (e) {
          if (isStorageFault(e)) throw e;
          log.error(POISON_EVENT, { type: event.type, accountId: event.accountId, error: errorText(e) });
        }
        settled++;
      }
    } finally {
      this.queue.splice(0, settled);
      this.afterCommit(effects);
    }
  }

  private failed(e: unknown): void {
    this.failures++;
    const meta = { pending: this.queue.length, failures: this.failures, error: errorText(e) };
    if (this.failures === IDLE_GIVE_UP_AFTER_FAILURES) {
      log.error('storage keeps failing; events held in memory, still retrying', meta);
    } else {
      log.warn('batch not written; will retry', { ...meta, retryInMs: retryDelay(this.failures) });
    }
  }

  private gaveUp(): boolean {
    return this.stopped || this.failures >= IDLE_GIVE_UP_AFTER_FAILURES;
  }

  /** Resolves `idle()` waiters when nothing is left to write (or writing gave up). */
  private settleWaiters(): void {
    if (this.idleWaiters.length === 0 || (this.queue.length > 0 && !this.gaveUp())) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Stores events in one transaction and says what changed. Throws (having stored nothing) when the batch fails. */
  private commit(batch: readonly AdapterEvent[]): BatchEffects {
    const effects = noEffects();
    const { db } = this.ctx;
    db.transaction(() => {
      for (const event of batch) {
        // A savepoint per event: one event that fails to store rolls back alone.
        try {
          db.transaction(() => this.apply(event, effects))();
          if (event.type === 'message' || event.type === 'message-body') pushTo(effects.handled, event.accountId, event.remoteId);
        } catch (e) {
          // A fault of the storage itself, or one that ended the whole transaction, fails the batch:
          // it is retried, never dropped.
          if (isStorageFault(e) || !db.inTransaction) throw e;
          log.error(POISON_EVENT, { type: event.type, accountId: event.accountId, error: errorText(e) });
        }
      }
    })();
    return effects;
  }

  /** What follows a commit: acknowledgements, the sweeper's next deadline, the outbox, events. */
  private afterCommit(effects: BatchEffects): void {
    this.acknowledge(effects);
    if (effects.firstExpiry !== null) this.ctx.expiry.noteExpiry(effects.firstExpiry);
    for (const accountId of effects.routes) {
      try {
        this.hooks.routesChanged?.(accountId);
      } catch (e) {
        log.error('reacting to a route change failed', { accountId, error: errorText(e) });
      }
    }
    this.announceSafely(effects);
    if (effects.invitations.length > 0) {
      try {
        this.hooks.invitationsArrived?.(effects.invitations);
      } catch (e) {
        log.error('reacting to an invitation failed', { error: errorText(e) });
      }
    }
  }

  /**
   * Tells each adapter which of its messages are now durably stored (or were already), so it can
   * acknowledge them to its server. An event that failed to store is not acknowledged: the server
   * keeps it and delivers it again. An adapter that throws here is logged; ingest goes on.
   */
  private acknowledge(effects: BatchEffects): void {
    for (const [accountId, remoteIds] of effects.handled) {
      try {
        this.ctx.accounts.adapter(accountId)?.messagesStored?.(remoteIds);
      } catch (e) {
        log.warn('adapter failed on messagesStored', { accountId, count: remoteIds.length, error: errorText(e) });
      }
    }
  }

  /** Announces a committed batch. The data is stored, so a failure here is logged, never retried. */
  private announceSafely(effects: BatchEffects): void {
    try {
      this.announce(effects);
    } catch (e) {
      log.error('announcing stored events failed', { error: errorText(e) });
    }
  }

  private apply(e: AdapterEvent, fx: BatchEffects): void {
    switch (e.type) {
      case 'message':
        this.applyMessage(e, fx);
        return;
      case 'message-body':
        this.applyBody(e, fx);
        return;
      case 'message-edit':
      case 'message-redacted':
        applyChange(this.ctx.db, e, fx);
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
        const protocol = this.protocolOf(e.accountId);
        if (!protocol) {
          log.warn('route facts for an unknown account dropped', { accountId: e.accountId });
          return;
        }
        // Identities are stored under the normalised address ('Ada@Example.com' is ada@example.com
        // on email); rooms under the id the adapter reported, so both spellings are tried for them.
        const address = normaliseAddress(protocol, e.target);
        const facts = JSON.stringify(e.facts);
        const db = this.ctx.db;
        const ids = stmt(db, 'UPDATE identities SET facts = ? WHERE account_id = ? AND address = ?').run(facts, e.accountId, address);
        const rooms = stmt(db, 'UPDATE conversations SET facts = ? WHERE account_id = ? AND remote_id IN (?, ?) RETURNING id').all(
          facts,
          e.accountId,
          e.target,
          address,
        ) as { id: string }[];
        for (const r of rooms) fx.conversations.add(r.id);
        fx.routes.add(e.accountId);
        if (ids.changes > 0) {
          const convs = stmt(db, 
              `SELECT c.id FROM conversations c JOIN identities i ON i.contact_id = c.contact_id WHERE i.account_id = ? AND i.address = ?`,
            )
            .all(e.accountId, address) as { id: string }[];
          for (const c of convs) fx.conversations.add(c.id);
        }
        return;
      }
      case 'status':
      case 'sync':
        // The account runtime tracks status and sync progress; nothing to store.
        return;
      case 'error':
        log.warn('adapter reported an error', { accountId: e.accountId, error: e.error });
        return;
      case 'peer':
        this.applyPeer(e, fx);
        return;
      case 'group':
        this.applyGroup(e, fx);
        return;
      case 'disappearing':
        this.applyTimer(e, fx);
        return;
      case 'presence': {
        const shown = applyPresence(this.ctx, e);
        for (const c of shown.contacts) fx.contacts.add(c);
        for (const c of shown.conversations) fx.conversations.add(c);
        return;
      }
      case 'typing': {
        const notice = readTyping(this.ctx, e);
        if (notice) fx.typing.push(notice);
        return;
      }
      case 'verification': {
        const update = readVerification(this.ctx, e);
        if (update) fx.verifications.push(update);
        return;
      }
      case 'changed': {
        // Nothing to store: the adapter owns invites, the quarantine and keys; the UI re-reads them.
        let topics = fx.changed.get(e.accountId);
        if (!topics) fx.changed.set(e.accountId, (topics = new Set()));
        topics.add(e.topic);
        return;
      }
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

  /** The stored conversation a message or timer event belongs to, if it exists; creates nothing. */
  private findConversation(e: MessageEvent | TimerEvent, protocol: Protocol): string | undefined {
    const { db } = this.ctx;
    if (e.conversation.kind === 'group') {
      return pluck(db, 'SELECT id FROM conversations WHERE account_id = ? AND remote_id = ?').get(e.accountId, e.conversation.roomId) as
        | string
        | undefined;
    }
    return pluck(db, 'SELECT c.id FROM identities i JOIN conversations c ON c.contact_id = i.contact_id WHERE i.account_id = ? AND i.address = ?').get(
      e.accountId,
      normaliseAddress(protocol, e.conversation.peer.address),
    ) as string | undefined;
  }

  /** Someone became reachable before any message: their contact and conversation exist from now on. */
  private applyPeer(e: Extract<AdapterEvent, { type: 'peer' }>, fx: BatchEffects): void {
    const { db } = this.ctx;
    const protocol = this.protocolOf(e.accountId);
    if (!protocol) {
      log.warn('peer for an unknown account dropped', { accountId: e.accountId });
      return;
    }
    fx.routes.add(e.accountId);
    // They accepted an invite made for a contact (the upgrade of an email chat): they join that contact.
    const bound = e.inviteId !== undefined ? boundInvite(db, e.accountId, e.inviteId) : undefined;
    if (bound?.state === 'active' && protocol === 'native') {
      const linked = linkIdentity(this.ctx, e.accountId, e.peer, bound.contact_id);
      markInvite(db, e.accountId, bound.invite_id, 'linked');
      fx.conversations.add(linked.conversationId);
      fx.contacts.add(bound.contact_id);
      if (linked.systemMessageId) fx.added.push(linked.systemMessageId);
      if (linked.removedConversationId) fx.removedConversations.push(linked.removedConversationId);
      return;
    }
    const now = this.ctx.now();
    const identity = resolveIdentity(db, e.accountId, protocol, e.peer, now);
    const contactName = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(identity.contact_id) as string;
    const conv = directConversation(db, identity.contact_id, contactName, now, { request: e.request });
    fx.conversations.add(conv.row.id);
  }

  /**
   * A group room appeared or changed (made here or by someone else, renamed, members changed, or
   * the account removed from it): its conversation exists from now on, before any message, and
   * carries the room's title and whether the account is still in it.
   */
  private applyGroup(e: Extract<AdapterEvent, { type: 'group' }>, fx: BatchEffects): void {
    if (!this.protocolOf(e.accountId)) {
      log.warn('group for an unknown account dropped', { accountId: e.accountId });
      return;
    }
    const id = syncGroupConversation(this.ctx.db, e, this.ctx.now());
    if (id) fx.conversations.add(id);
    else log.info('left a group never stored; nothing to show', { accountId: e.accountId });
  }

  /**
   * The peer changed the conversation's disappearing timer: messages sent from now on carry it.
   * A timer for a conversation not stored yet is dropped rather than creating one (a stranger's
   * timer must not put a chat in the inbox); its first message brings the timer along.
   */
  private applyTimer(e: TimerEvent, fx: BatchEffects): void {
    const protocol = this.protocolOf(e.accountId);
    const id = protocol ? this.findConversation(e, protocol) : undefined;
    if (!id) {
      log.info('disappearing timer for an unknown conversation dropped', { accountId: e.accountId });
      return;
    }
    const r = stmt(this.ctx.db, 'UPDATE conversations SET disappear_seconds = ? WHERE id = ? AND disappear_seconds != ?').run(e.seconds, id, e.seconds);
    if (r.changes > 0) fx.conversations.add(id);
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
      if (mine.changes > 0) return;
      const taken = stmt(db, 'SELECT conversation_id, account_id, direction FROM messages WHERE id = ?').get(e.clientId) as
        | Pick<MessageRow, 'conversation_id' | 'account_id' | 'direction'>
        | undefined;
      if (taken) {
        // A second echo of our own message is normal; a client id naming someone else's message is
        // an adapter bug (or worse), and the echo cannot be stored under that id.
        if (taken.direction !== 'out' || taken.account_id !== e.accountId || taken.conversation_id !== this.findConversation(e, protocol)) {
          log.warn('echo names the client id of another message; echo dropped', { accountId: e.accountId, clientId: e.clientId });
        }
        return;
      }
    }
    const now = this.ctx.now();
    // Past dates are kept as reported, even implausible ones: history must sort by when it was
    // really sent, and there is no honest "now" to file an old message under. Only future dates,
    // which would pin a conversation to the top, are clamped.
    const sentAt = e.sentAt > now + FUTURE_SLACK_MS ? now : e.sentAt;

    let conv: ConversationRow;
    let created: boolean;
    let identityId: string | null = null;
    let senderName: string;
    let target: string;
    if (e.conversation.kind === 'direct') {
      const identity = resolveIdentity(db, e.accountId, protocol, e.conversation.peer, now);
      identityId = identity.id;
      target = identity.address;
      const contactName = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(identity.contact_id) as string;
      ({ row: conv, created } = directConversation(db, identity.contact_id, contactName, sentAt, { request: e.request }));
      senderName = e.sender === 'self' ? 'You' : identity.display_name;
    } else {
      ({ row: conv, created } = groupConversation(db, e.accountId, e.conversation.roomId, e.conversation.title, sentAt, { request: e.request }));
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
    const timer = e.disappearAfterSeconds ?? 0;
    const expiresAt = timer > 0 ? countdownStart(direction, sentAt, now, e.historical) : null;
    const deadline = expiresAt === null ? null : expiresAt + timer * 1000;
    const seq = pluck(db, 
        `INSERT INTO messages (id, conversation_id, account_id, remote_id, identity_id, direction, sender_name, protocol, body, sent_at, received_at, status, facts_id, disappear_seconds, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      )
      .get(id, conv.id, e.accountId, e.remoteId, identityId, direction, senderName, protocol, e.text, sentAt, now, direction === 'in' ? 'received' : 'sent', factsIdOf(db, facts), timer, deadline) as number;
    // Subject, original, HTML, attachments: in the message's own transaction, so neither exists without the other.
    storeContent(db, seq, e.content);
    this.applyInvitation(e.accountId, { seq, id, direction, kind: conv.kind }, e.content, fx);
    // A conversation that starts with a disappearing message starts with its timer (its sender's
    // setting, whose own announcement may have come before the conversation existed).
    if (created && timer > 0) stmt(db, 'UPDATE conversations SET disappear_seconds = ? WHERE id = ?').run(timer, conv.id);
    if (deadline !== null && (fx.firstExpiry === null || deadline < fx.firstExpiry)) fx.firstExpiry = deadline;
    // History (fetched, or already seen on another client) is stored without counting as unread.
    bumpConversation(db, conv.id, seq, sentAt, direction === 'in' && !e.historical ? 1 : 0);
    fx.added.push(id);
    fx.conversations.add(conv.id);
  }

  /**
   * The invitation to encrypted chat a message carries (an email's `Switchboard-Invite`), offered to
   * the user. Only in a 1:1 chat, and never over the native protocol itself.
   */
  private applyInvitation(
    accountId: string,
    m: { seq: number; id: string; direction: 'in' | 'out'; kind: ConversationRow['kind'] },
    content: MessageContent | undefined,
    fx: BatchEffects,
  ): void {
    if (!content?.invitation) return;
    const link = validInvitation(content.invitation);
    if (link === null || m.kind !== 'direct' || this.protocolOf(accountId) === 'native') {
      log.info('an invitation that is not a valid invite link, or not in a 1:1 chat, ignored', { accountId });
      return;
    }
    if (stmt(this.ctx.db, 'SELECT 1 FROM message_invitations WHERE message_seq = ?').get(m.seq)) return;
    storeInvitation(this.ctx.db, m.seq, link, m.direction === 'in' ? 'offered' : 'sent');
    if (m.direction === 'in') fx.invitations.push(m.id);
  }

  /**
   * The body of a message stored from its headers: its text (and so its search entry, by trigger),
   * content and facts are replaced. A message gone meanwhile (deleted, disappeared) stays gone.
   */
  private applyBody(e: Extract<AdapterEvent, { type: 'message-body' }>, fx: BatchEffects): void {
    const { db } = this.ctx;
    const row = stmt(
      db,
      'SELECT m.seq, m.id, m.conversation_id, m.direction, c.kind FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.account_id = ? AND m.remote_id = ?',
    ).get(e.accountId, e.remoteId) as (Pick<MessageRow, 'seq' | 'id' | 'conversation_id' | 'direction'> & { kind: ConversationRow['kind'] }) | undefined;
    if (!row) return;
    stmt(db, 'UPDATE messages SET body = ?, facts_id = coalesce(?, facts_id) WHERE seq = ?').run(e.text, e.facts ? factsIdOf(db, e.facts) : null, row.seq);
    stmt(db, 'DELETE FROM message_content WHERE message_seq = ?').run(row.seq);
    storeContent(db, row.seq, e.content);
    // A mail listed from its headers brings its invitation with its body.
    this.applyInvitation(e.accountId, { seq: row.seq, id: row.id, direction: row.direction, kind: row.kind }, e.content, fx);
    fx.updated.push(row.id);
    fx.conversations.add(row.conversation_id);
  }

  private announce(fx: BatchEffects): void {
    if (!this.ctx.listening()) return;
    this.announceMessages(fx);
    for (const [accountId, topics] of fx.changed) {
      for (const topic of topics) {
        try {
          announceAdapterChange(this.ctx, accountId, topic);
        } catch (e) {
          log.error('announcing an adapter change failed', { accountId, topic, error: errorText(e) });
        }
      }
    }
  }

  private announceMessages(fx: BatchEffects): void {
    for (const id of fx.removedConversations) this.ctx.emit({ type: 'conversation.removed', conversationId: id });
    // A peer stored on its own a moment ago was linked into a contact: its messages moved.
    if (fx.removedConversations.length > 0) for (const id of fx.conversations) this.ctx.emit({ type: 'conversation.reloaded', conversationId: id });
    for (const id of fx.contacts) this.ctx.emit({ type: 'contact.updated', contactId: id });
    for (const t of fx.typing) this.ctx.emit({ type: 'conversation.typing', ...t });
    for (const verification of fx.verifications) this.ctx.emit({ type: 'verification.updated', verification });
    if (fx.added.length === 0 && fx.updated.length === 0 && fx.conversations.size === 0) return;
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

/**
 * When a stored message's disappearing countdown starts, or null for "when the user reads it".
 * Ours count from when they were sent; history (read elsewhere already, never unread here) from
 * when it arrived; a new incoming message waits for `conversations.markRead`.
 */
function countdownStart(direction: 'in' | 'out', sentAt: number, now: number, historical: boolean | undefined): number | null {
  if (direction === 'out') return sentAt;
  return historical ? now : null;
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

/** The wait before the next attempt after `failures` failures in a row: 50 ms doubling, at most a few seconds. */
function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));
}

/** Whether an error is the storage failing (worth retrying, never a reason to drop an event). */
function isStorageFault(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_FAULT.test(code);
}

function mergeEffects(into: BatchEffects, from: BatchEffects): void {
  into.added.push(...from.added);
  into.updated.push(...from.updated);
  into.invitations.push(...from.invitations);
  into.removedConversations.push(...from.removedConversations);
  for (const c of from.contacts) into.contacts.add(c);
  for (const c of from.conversations) into.conversations.add(c);
  for (const a of from.routes) into.routes.add(a);
  into.typing.push(...from.typing);
  into.verifications.push(...from.verifications);
  if (from.firstExpiry !== null && (into.firstExpiry === null || from.firstExpiry < into.firstExpiry)) into.firstExpiry = from.firstExpiry;
  for (const [accountId, ids] of from.handled) for (const id of ids) pushTo(into.handled, accountId, id);
  for (const [accountId, topics] of from.changed) {
    let set = into.changed.get(accountId);
    if (!set) into.changed.set(accountId, (set = new Set()));
    for (const t of topics) set.add(t);
  }
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
