import type { SecurityFacts } from '../../adapters/contract.ts';
import type { Contact, Identity, Route, Settings } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { parseFacts } from '../ingest/validate.ts';
import { chooseRoute, type RouteCandidate, type RouteDecision } from '../routing/index.ts';
import { rate, UNKNOWN_FACTS } from '../security/index.ts';
import type { ContactRow, IdentityRow } from '../store/rows.ts';
import { contactInvites } from '../upgrade/contact-invites.ts';
import { mergesInto } from './merge-record.ts';
import { stmt } from '../store/statements.ts';

/** The facts of a route: what its adapter says now, else what it said last, else the worst case. */
export function identityFacts(ctx: CoreContext, row: IdentityRow): SecurityFacts {
  return ctx.accounts.factsFor(row.account_id, row.address) ?? parseFacts(row.facts) ?? UNKNOWN_FACTS;
}

export function identitiesOf(ctx: CoreContext, contactId: string): IdentityRow[] {
  return stmt(ctx.db, 'SELECT * FROM identities WHERE contact_id = ? ORDER BY id').all(contactId) as IdentityRow[];
}

export function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    contactId: row.contact_id,
    accountId: row.account_id,
    protocol: row.protocol,
    address: row.address,
    displayName: row.display_name,
  };
}

/** A route as the api shows it: the identity, whether it can send now, its padlock and the peer's presence. */
export function toRoute(ctx: CoreContext, identity: IdentityRow, c: RouteCandidate): Route {
  return {
    identity: toIdentity(identity),
    available: c.available,
    rating: c.rating,
    presence: ctx.accounts.presenceOf(c.accountId, identity.address),
    identityChanged: c.identityChanged,
    emojiVerification: ctx.accounts.adapter(c.accountId)?.sas !== undefined,
  };
}

export function routeCandidates(ctx: CoreContext, rows: IdentityRow[]): RouteCandidate[] {
  return rows.map((r) => {
    const facts = identityFacts(ctx, r);
    return {
      identityId: r.id,
      protocol: r.protocol,
      accountId: r.account_id,
      available: ctx.accounts.isAvailable(r.account_id),
      rating: rate(facts, r.protocol),
      identityChanged: facts.identity === 'changed',
      lastUsedAt: r.last_used_at,
    };
  });
}

/** The routing decision for the next message to a contact. */
export function decideRoute(
  ctx: CoreContext,
  contact: ContactRow,
  settings: Settings,
  decision?: 'send-anyway' | 'wait',
): { decision: RouteDecision; candidates: RouteCandidate[]; identities: IdentityRow[] } {
  const identities = identitiesOf(ctx, contact.id);
  const candidates = routeCandidates(ctx, identities);
  const opts = { pinnedIdentityId: contact.pinned_identity_id, padlockStyle: settings.padlockStyle, decision };
  return { decision: chooseRoute(candidates, opts), candidates, identities };
}

export function getContactRow(ctx: CoreContext, contactId: string): ContactRow | undefined {
  return stmt(ctx.db, 'SELECT * FROM contacts WHERE id = ?').get(contactId) as ContactRow | undefined;
}

/** The contact card: every route with its padlock, and which one the next message takes and why. */
export function contactView(ctx: CoreContext, contact: ContactRow, settings: Settings): Contact {
  const { decision, candidates, identities } = decideRoute(ctx, contact, settings);
  const byId = new Map(identities.map((r) => [r.id, r]));
  const routes: Route[] = candidates.map((c) => toRoute(ctx, byId.get(c.identityId)!, c));
  let chosenIdentityId: string | null = null;
  let chosenReason: string;
  switch (decision.kind) {
    case 'send':
      chosenIdentityId = decision.route.identityId;
      chosenReason = decision.reason;
      break;
    case 'needs-decision':
      chosenIdentityId = decision.available?.identityId ?? null;
      chosenReason = decision.question;
      break;
    case 'no-route':
      chosenReason = decision.reason;
      break;
  }
  return {
    id: contact.id,
    displayName: contact.display_name,
    identities: identities.map(toIdentity),
    routes,
    chosenIdentityId,
    chosenReason,
    pinnedIdentityId: contact.pinned_identity_id,
    invites: contactInvites(ctx, contact.id),
    merges: mergesInto(ctx, contact.id),
  };
}
