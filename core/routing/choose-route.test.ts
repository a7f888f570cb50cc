import { describe, it, expect } from 'vitest';
import type { Protocol } from '../../adapters/contract.ts';
import type { Colour, Rating } from '../api/types.ts';
import { chooseRoute, maySendReceipts, type ChooseRouteOptions, type RouteCandidate } from './choose-route.ts';

const rating = (colour: Colour, score: number): Rating => ({ score, colour, summary: `${colour} ${score}`, caption: colour, reasons: [] });

function cand(identityId: string, protocol: Protocol, colour: Colour, score: number, more: Partial<RouteCandidate> = {}): RouteCandidate {
  return { identityId, protocol, accountId: `acc-${protocol}`, available: true, rating: rating(colour, score), identityChanged: false, lastUsedAt: null, ...more };
}
const down = { available: false };

// Ratings as core/security gives them (see rating.test.ts).
const native = cand('native', 'native', 'green', 93);
const matrix = cand('matrix', 'matrix', 'green', 78);
const autocrypt = cand('autocrypt', 'email', 'grey', 58);
const email = cand('email', 'email', 'red', 10);
const nativeDown = { ...native, ...down };

const explain: ChooseRouteOptions = { pinnedIdentityId: null, padlockStyle: 'explain' };
const quiet: ChooseRouteOptions = { pinnedIdentityId: null, padlockStyle: 'quiet' };

interface Case {
  name: string;
  candidates: RouteCandidate[];
  opts: ChooseRouteOptions;
  kind: 'send' | 'needs-decision' | 'no-route';
  /** send: the route taken. needs-decision: the best route. */
  id?: string;
  /** needs-decision: the available route offered, or null. */
  available?: string | null;
  /** Words the reason or question must contain. */
  says: string;
}

const cases: Case[] = [
  // Highest rating wins.
  { name: 'highest score', candidates: [email, matrix, native], opts: explain, kind: 'send', id: 'native', says: 'Switchboard (native) (green, 93%) is the most secure' },
  {
    name: 'colour before score: a red 85 (identity changed) loses to a green 78',
    candidates: [cand('changed', 'native', 'red', 85), matrix],
    opts: explain,
    kind: 'send',
    id: 'matrix',
    says: 'most secure',
  },
  // Ties.
  {
    name: 'tie → the route used last',
    candidates: [cand('m1', 'matrix', 'green', 78, { lastUsedAt: 100 }), cand('m2', 'matrix', 'green', 78, { lastUsedAt: 200 })],
    opts: explain,
    kind: 'send',
    id: 'm2',
    says: 'the one you used last',
  },
  {
    name: 'tie → a used route before a never-used one',
    candidates: [cand('a', 'matrix', 'green', 78), cand('b', 'matrix', 'green', 78, { lastUsedAt: 1 })],
    opts: explain,
    kind: 'send',
    id: 'b',
    says: 'used last',
  },
  {
    name: 'tie, never used → stable order by identityId',
    candidates: [cand('b', 'matrix', 'green', 78), cand('a', 'matrix', 'green', 78)],
    opts: explain,
    kind: 'send',
    id: 'a',
    says: 'most secure',
  },
  {
    name: 'an equally rated route is no downgrade when the last-used one is down',
    candidates: [cand('m1', 'matrix', 'green', 78, { lastUsedAt: 200, available: false }), cand('m2', 'matrix', 'green', 78)],
    opts: explain,
    kind: 'send',
    id: 'm2',
    says: 'most secure',
  },
  // Pins.
  { name: 'pinned available route wins over a better one', candidates: [native, email], opts: { ...explain, pinnedIdentityId: 'email' }, kind: 'send', id: 'email', says: 'You pinned Email (red, 10%)' },
  {
    name: 'pinned route down → ask, best = pinned',
    candidates: [nativeDown, email],
    opts: { ...explain, pinnedIdentityId: 'native' },
    kind: 'needs-decision',
    id: 'native',
    available: 'email',
    says: 'the route you pinned',
  },
  {
    name: 'pinned route down asks in quiet mode too, even with a green route up',
    candidates: [cand('pinned', 'matrix', 'green', 78, down), native],
    opts: { ...quiet, pinnedIdentityId: 'pinned' },
    kind: 'needs-decision',
    id: 'pinned',
    available: 'native',
    says: 'Send now by Switchboard (native) (green, 93%)',
  },
  {
    name: 'pinned route down + send-anyway → the best available',
    candidates: [nativeDown, email, autocrypt],
    opts: { ...explain, pinnedIdentityId: 'native', decision: 'send-anyway' },
    kind: 'send',
    id: 'autocrypt',
    says: 'You chose',
  },
  {
    name: 'pinned route down, nothing else up',
    candidates: [nativeDown, { ...email, ...down }],
    opts: { ...explain, pinnedIdentityId: 'native', decision: 'send-anyway' },
    kind: 'needs-decision',
    id: 'native',
    available: null,
    says: 'Wait until it is back?',
  },
  { name: 'a stale pin is ignored', candidates: [native, email], opts: { ...explain, pinnedIdentityId: 'gone' }, kind: 'send', id: 'native', says: 'most secure' },
  // Downgrades.
  {
    name: 'downgrade to red asks',
    candidates: [nativeDown, email],
    opts: explain,
    kind: 'needs-decision',
    id: 'native',
    available: 'email',
    says: 'This message would leave end-to-end encryption. Send now by Email (red, 10%) or wait and send encrypted when Switchboard (native) is back?',
  },
  {
    name: 'downgrade to grey asks in explain mode',
    candidates: [nativeDown, autocrypt, email],
    opts: explain,
    kind: 'needs-decision',
    id: 'native',
    available: 'autocrypt',
    says: 'Switchboard (native) is not reachable right now. Send now by Email (grey, 58%), which is less secure, or wait until Switchboard (native) is back?',
  },
  { name: 'a lower green route asks in explain mode', candidates: [nativeDown, matrix], opts: explain, kind: 'needs-decision', id: 'native', available: 'matrix', says: 'less secure' },
  { name: 'send-anyway → the best available', candidates: [nativeDown, email], opts: { ...explain, decision: 'send-anyway' }, kind: 'send', id: 'email', says: 'You chose to send by Email (red, 10%)' },
  { name: 'wait while the best route is down → still asks', candidates: [nativeDown, email], opts: { ...explain, decision: 'wait' }, kind: 'needs-decision', id: 'native', available: 'email', says: 'wait' },
  { name: 'wait once the best route is back → send by it', candidates: [native, email], opts: { ...explain, decision: 'wait' }, kind: 'send', id: 'native', says: 'most secure' },
  // Quiet mode.
  { name: 'quiet: downgrade to grey sends and says so', candidates: [nativeDown, autocrypt], opts: quiet, kind: 'send', id: 'autocrypt', says: 'Switchboard (native) is not reachable, so this goes by Email (grey, 58%), which is less secure.' },
  { name: 'quiet: downgrade to green sends', candidates: [nativeDown, matrix], opts: quiet, kind: 'send', id: 'matrix', says: 'less secure' },
  { name: 'quiet: downgrade to red asks', candidates: [nativeDown, email], opts: quiet, kind: 'needs-decision', id: 'native', available: 'email', says: 'leave end-to-end encryption' },
  { name: 'quiet + wait: grey does not go', candidates: [nativeDown, autocrypt], opts: { ...quiet, decision: 'wait' }, kind: 'needs-decision', id: 'native', available: 'autocrypt', says: 'less secure' },
  // Nothing up, nothing known.
  { name: 'nothing available', candidates: [nativeDown, { ...email, ...down }], opts: explain, kind: 'needs-decision', id: 'native', available: null, says: 'Nothing can reach this contact right now' },
  { name: 'nothing available + send-anyway', candidates: [{ ...email, ...down }], opts: { ...explain, decision: 'send-anyway' }, kind: 'needs-decision', id: 'email', available: null, says: 'Wait and send by Email' },
  { name: 'no candidates', candidates: [], opts: explain, kind: 'no-route', says: 'no way to reach this contact' },
];

describe('chooseRoute', () => {
  it.each(cases)('$name', (c) => {
    const before = c.candidates.map((x) => x.identityId);
    const d = chooseRoute(c.candidates, c.opts);
    expect(c.candidates.map((x) => x.identityId)).toEqual(before); // the input is not reordered
    expect(d.kind).toBe(c.kind);
    switch (d.kind) {
      case 'send':
        expect(d.route.identityId).toBe(c.id);
        expect(d.reason).toContain(c.says);
        break;
      case 'needs-decision':
        expect(d.best.identityId).toBe(c.id);
        expect(d.available?.identityId ?? null).toBe(c.available);
        expect(d.question).toContain(c.says);
        break;
      case 'no-route':
        expect(d.reason).toContain(c.says);
        break;
    }
  });
});

describe('maySendReceipts', () => {
  it.each([
    ['green', false, true],
    ['green', true, true],
    ['grey', false, false],
    ['grey', true, true],
    ['red', false, false],
    ['red', true, true],
  ] as const)('%s route, receiptsOnWeakRoutes %s → %s', (colour, receiptsOnWeakRoutes, may) => {
    expect(maySendReceipts(rating(colour, 50), { receiptsOnWeakRoutes })).toBe(may);
  });
});
