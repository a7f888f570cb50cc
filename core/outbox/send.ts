import type { SecurityFacts } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { Protocol, SendResult } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { decideRoute, getContactRow, identityFacts, toRoute } from '../contacts/routes.ts';
import { hasLeft, LEFT_GROUP_REASON } from '../groups/membership.ts';
import { bumpConversation } from '../ingest/ingest.ts';
import { loadConversation, toConversationSummary, toMessage } from '../inbox/views.ts';
import { parseFacts } from '../ingest/validate.ts';
import { compareSafety, type RouteCandidate } from '../routing/index.ts';
import { rate, UNKNOWN_FACTS } from '../security/index.ts';
import { firstUseSeen, getSettings } from '../settings/settings.ts';

import { factsIdOf } from '../store/facts.ts';
import { newId } from '../store/ids.ts';
import type { ConversationRow, MessageRow } from '../store/rows.ts';
import { stmt, pluck } from '../store/statements.ts';

export interface SendParams {
  conversationId: string;
  text: string;
  clientId?: string | undefined;
  decision?: 'send-anyway' | 'wait' | undefined;
}

/** Where a new message goes: a route now, or a wait for a safer one. */
interface Placement {
  state: 'pending' | 'waiting-route';
  accountId: string;
  identityId: string | null;
  protocol: Protocol;
  facts: SecurityFacts | null;
  decision: 'send-anyway' | 'wait' | null;
}

/**
 * `messages.send`: asks routing for the route, and either writes the message and its outbox row
 * in one transaction (then the outbox sends it) or returns the question the user must answer
 * before a message leaves a safer route. Idempotent on the client id.
 */
export function sendMessage(ctx: CoreContext, params: SendParams, outbox: OutboxControl): SendResult {
  const wake = () => outbox.wake();
  const { db } = ctx;
  const conv = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(params.conversationId) as ConversationRow | undefined;
  if (!conv) throw new ApiError('not-found', 'That conversation does not exist.');
  const clientId = params.clientId ?? newId();

  const existing = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(clientId) as MessageRow | undefined;
  if (existing) {
    if (existing.conversation_id !== conv.id || existing.direction !== 'out') {
      throw new ApiError('conflict', 'That client id belongs to another message.');
    }
    // The same call again (a retry, or the answer to a question asked earlier): no second message.
    if (params.decision && existing.status === 'waiting-route') {
      stmt(db, 'UPDATE outbox SET decision = ? WHERE message_id = ?').run(params.decision, clientId);
      outbox.reconsiderWaiting();
      const now = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(clientId) as MessageRow;
      return { kind: 'queued', message: toMessage(db, now), routeNote: null };
    }
    return { kind: 'queued', message: toMessage(db, existing), routeNote: null };
  }

  const settings = getSettings(db);
  const placed = placeMessage(ctx, conv, params.decision);
  if (placed.kind === 'needs-decision') return placed;
  const placement = placed.placement;
  // The first message on a protocol waits for the user to have read how it rates.
  if (placement.state === 'pending' && settings.securityDialogs && !firstUseSeen(db).has(placement.protocol)) {
    return { kind: 'first-use', protocol: placement.protocol, rating: rate(placement.facts ?? UNKNOWN_FACTS, placement.protocol) };
  }

  const now = ctx.now();
  const seq = db.transaction(() => {
    const s = pluck(db, 
        `INSERT INTO messages (id, conversation_id, account_id, identity_id, direction, sender_name, protocol, body, sent_at, received_at, status, facts_id, disappear_seconds)
         VALUES (?, ?, ?, ?, 'out', 'You', ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      )
      .get(
        clientId,
        conv.id,
        placement.accountId,
        placement.identityId,
        placement.protocol,
        params.text,
        now,
        now,
        placement.state === 'pending' ? 'queued' : 'waiting-route',
        factsIdOf(db, placement.facts),
        // It carries the conversation's timer as it is now; the countdown starts once it is sent.
        conv.disappear_seconds,
      ) as number;
    stmt(db, 
      `INSERT INTO outbox (message_id, state, identity_id, account_id, decision, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(clientId, placement.state, placement.identityId, placement.accountId, placement.decision, now);
    bumpConversation(db, conv.id, s, now, 0);
    if (conv.archived === 1) stmt(db, 'UPDATE conversations SET archived = 0 WHERE id = ?').run(conv.id);
    return s;
  })();

  const row = stmt(db, 'SELECT * FROM messages WHERE seq = ?').get(seq) as MessageRow;
  const message = toMessage(db, row);
  ctx.emit({ type: 'message.added', message });
  const summary = loadConversation(ctx, conv.id);
  if (summary) ctx.emit({ type: 'conversation.updated', conversation: toConversationSummary(ctx, summary, settings) });
  wake();

  return { kind: 'queued', message, routeNote: placed.note };
}

/** What sending needs of the outbox. */
export interface OutboxControl {
  wake(): void;
  reconsiderWaiting(): void;
}

/**
 * Where a message to this conversation goes now: a route (or a wait for the best one), or the
 * question to ask first. Used by a new send and by a retry, which both ask routing afresh.
 */
export function placeMessage(
  ctx: CoreContext,
  conv: ConversationRow,
  decisionParam: 'send-anyway' | 'wait' | undefined,
): { kind: 'placed'; placement: Placement; note: string | null } | Extract<SendResult, { kind: 'needs-decision' }> {
  const { db } = ctx;
  if (conv.kind === 'group') {
    if (!conv.account_id || !conv.remote_id) throw new ApiError('conflict', 'This group has no account to send through.');
    if (hasLeft(conv)) throw new ApiError('conflict', LEFT_GROUP_REASON);
    const protocol = pluck(db, 'SELECT protocol FROM accounts WHERE id = ?').get(conv.account_id) as Protocol;
    const facts = ctx.accounts.factsFor(conv.account_id, conv.remote_id) ?? parseFacts(conv.facts);
    return { kind: 'placed', placement: { state: 'pending', accountId: conv.account_id, identityId: null, protocol, facts, decision: null }, note: null };
  }
  const contact = conv.contact_id ? getContactRow(ctx, conv.contact_id) : undefined;
  if (!contact) throw new ApiError('not-found', 'The contact of this conversation no longer exists.');
  const { decision, identities, candidates } = decideRoute(ctx, contact, getSettings(db), decisionParam);
  const byId = new Map(identities.map((i) => [i.id, i]));
  const place = (route: RouteCandidate, state: Placement['state']): Placement => ({
    state,
    accountId: route.accountId,
    identityId: route.identityId,
    protocol: route.protocol,
    facts: identityFacts(ctx, byId.get(route.identityId)!),
    decision: decisionParam ?? null,
  });
  switch (decision.kind) {
    case 'no-route':
      throw new ApiError('conflict', decision.reason);
    case 'send': {
      // Going by less than the best known route (quiet mode, a pin, the user's "send anyway"): say so.
      const r = decision.route.rating;
      const weaker = candidates.some((c) => compareSafety(c.rating, r) < 0);
      return { kind: 'placed', placement: place(decision.route, 'pending'), note: weaker ? decision.reason : null };
    }
    case 'needs-decision':
      if (decision.available === null || decisionParam === 'wait') {
        // Nothing else to choose, or the user chose to wait: keep it until the best route is back.
        return { kind: 'placed', placement: { ...place(decision.best, 'waiting-route'), decision: 'wait' }, note: null };
      }
      return {
        kind: 'needs-decision',
        available: toRoute(ctx, byId.get(decision.available.identityId)!, decision.available),
        best: toRoute(ctx, byId.get(decision.best.identityId)!, decision.best),
        question: decision.question,
      };
  }
}
