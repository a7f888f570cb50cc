/**
 * The ONE place that picks the route of an outgoing message, and decides whether leaving a safer
 * route needs the user's word. Pure: the caller gathers the candidates and keeps the message
 * queued while the answer is `needs-decision`. docs/security-ratings.md tells users these rules.
 *
 * Rules, in order:
 * 1. No candidates at all → `no-route`.
 * 2. Rank every candidate: safer colour first (green, grey, red), then higher score, then the one
 *    last used, then identityId (a stable order). Colour comes before score so a red route that
 *    scores high (an unchecked identity change) never silently beats a green one.
 *    `best` is the top of ALL candidates; `available` is the top of those whose account can send.
 * 3. A pinned route (a stale pin that matches no candidate is ignored):
 *    - available → `send` it, whatever else is up: the user chose it;
 *    - not available → `needs-decision` with `best` = the pinned route, in quiet mode too,
 *      because sending elsewhere would break the user's explicit choice; `send-anyway` sends by
 *      `available`.
 * 4. Nothing available → `needs-decision` with `available: null`, whatever the decision.
 * 5. `available` ranks as high as `best` → `send`.
 * 6. Otherwise the safer route is down (a downgrade):
 *    - decision `send-anyway` → `send` by `available`;
 *    - decision `wait` → `needs-decision` again: the caller keeps the message queued and asks
 *      again when routes change, and it goes by `best` once that is back (rule 5);
 *    - quiet mode and `available` is not red → `send`, the reason says it is less secure;
 *    - otherwise → `needs-decision`.
 */
import type { Protocol } from '../../adapters/contract.ts';
import type { Colour, Rating } from '../api/types.ts';
import { protocolLabel } from '../security/rating.ts';

/** One identity of the contact as a possible route for the next message. */
export interface RouteCandidate {
  identityId: string;
  protocol: Protocol;
  accountId: string;
  /** The identity's account can send now. */
  available: boolean;
  rating: Rating;
  /** The peer's identity changed since it was verified and the user has not accepted it. */
  identityChanged: boolean;
  lastUsedAt: number | null;
}

/** What to do with an outgoing message: send it, ask the user, or say no route exists. */
export type RouteDecision =
  | { kind: 'send'; route: RouteCandidate; reason: string }
  | { kind: 'needs-decision'; available: RouteCandidate | null; best: RouteCandidate; question: string }
  | { kind: 'no-route'; reason: string };

/** The contact's pin, the padlock style and the user's answer to an earlier `needs-decision`. */
export interface ChooseRouteOptions {
  pinnedIdentityId: string | null;
  padlockStyle: 'explain' | 'quiet';
  decision?: 'send-anyway' | 'wait' | undefined;
}

const COLOUR_RANK: Readonly<Record<Colour, number>> = { green: 2, grey: 1, red: 0 };

/** Negative when `a` is safer than `b` by colour, then score; 0 when they rate the same. */
export function compareSafety(a: Rating, b: Rating): number {
  return COLOUR_RANK[b.colour] - COLOUR_RANK[a.colour] || b.score - a.score;
}

function compareCandidates(a: RouteCandidate, b: RouteCandidate): number {
  return (
    compareSafety(a.rating, b.rating) ||
    (b.lastUsedAt ?? -Infinity) - (a.lastUsedAt ?? -Infinity) ||
    (a.identityId < b.identityId ? -1 : a.identityId > b.identityId ? 1 : 0)
  );
}

/** "Email (red, 10%)": a route as the user reads it. */
function routeLabel(c: RouteCandidate): string {
  return `${protocolLabel(c.protocol)} (${c.rating.colour}, ${c.rating.score}%)`;
}

function bestReason(chosen: RouteCandidate, ranked: readonly RouteCandidate[]): string {
  const tied = ranked.some((c) => c !== chosen && c.available && compareSafety(c.rating, chosen.rating) === 0);
  const lastUsed = tied && chosen.lastUsedAt !== null ? ', and the one you used last' : '';
  return `${routeLabel(chosen)} is the most secure way to reach this contact right now${lastUsed}.`;
}

function downgradeQuestion(available: RouteCandidate, best: RouteCandidate): string {
  const bestLabel = protocolLabel(best.protocol);
  if (available.rating.colour === 'red' && best.rating.colour !== 'red') {
    return `This message would leave end-to-end encryption. Send now by ${routeLabel(available)} or wait and send encrypted when ${bestLabel} is back?`;
  }
  return `${bestLabel} is not reachable right now. Send now by ${routeLabel(available)}, which is less secure, or wait until ${bestLabel} is back?`;
}

function pinnedDown(pinned: RouteCandidate, available: RouteCandidate | undefined, decision: ChooseRouteOptions['decision']): RouteDecision {
  const label = protocolLabel(pinned.protocol);
  if (available !== undefined && decision === 'send-anyway') {
    return { kind: 'send', route: available, reason: `You chose to send by ${routeLabel(available)} while ${label}, the route you pinned, is not reachable.` };
  }
  const question =
    available === undefined
      ? `${label}, the route you pinned for this contact, is not reachable right now. Wait until it is back?`
      : `${label}, the route you pinned for this contact, is not reachable right now. Send now by ${routeLabel(available)} or wait until it is back?`;
  return { kind: 'needs-decision', available: available ?? null, best: pinned, question };
}

/** Picks the route of an outgoing message, or says why the user must decide first. */
export function chooseRoute(candidates: readonly RouteCandidate[], opts: ChooseRouteOptions): RouteDecision {
  const ranked = [...candidates].sort(compareCandidates);
  const best = ranked[0];
  if (best === undefined) return { kind: 'no-route', reason: 'There is no way to reach this contact yet: add an address for them.' };
  const available = ranked.find((c) => c.available);

  const pinned = ranked.find((c) => c.identityId === opts.pinnedIdentityId);
  if (pinned !== undefined) {
    if (pinned.available) return { kind: 'send', route: pinned, reason: `You pinned ${routeLabel(pinned)} for this contact.` };
    return pinnedDown(pinned, available, opts.decision);
  }

  if (available === undefined) {
    const question = `Nothing can reach this contact right now. Wait and send by ${protocolLabel(best.protocol)} when it is back?`;
    return { kind: 'needs-decision', available: null, best, question };
  }
  if (compareSafety(available.rating, best.rating) <= 0) {
    return { kind: 'send', route: available, reason: bestReason(available, ranked) };
  }

  const bestLabel = protocolLabel(best.protocol);
  if (opts.decision === 'send-anyway') {
    return { kind: 'send', route: available, reason: `You chose to send by ${routeLabel(available)} instead of waiting for ${bestLabel}.` };
  }
  if (opts.decision !== 'wait' && opts.padlockStyle === 'quiet' && available.rating.colour !== 'red') {
    return { kind: 'send', route: available, reason: `${bestLabel} is not reachable, so this goes by ${routeLabel(available)}, which is less secure.` };
  }
  return { kind: 'needs-decision', available, best, question: downgradeQuestion(available, best) };
}

/** Whether `now` is a weaker colour than `before` (a route that got worse since). */
export function colourDropped(before: Rating, now: Rating): boolean {
  return COLOUR_RANK[now.colour] < COLOUR_RANK[before.colour];
}

/** Read receipts and typing go out on green routes always, on grey and red only if the user allows it. */
export function maySendReceipts(rating: Rating, settings: { receiptsOnWeakRoutes: boolean }): boolean {
  return rating.colour === 'green' || settings.receiptsOnWeakRoutes;
}
