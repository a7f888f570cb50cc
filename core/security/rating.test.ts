import { describe, it, expect } from 'vitest';
import type { Protocol, SecurityFacts } from '../../adapters/contract.ts';
import type { Colour, RatingReason } from '../api/types.ts';
import { MAX_POINTS, UNKNOWN_FACTS, protocolLabel, rate } from './rating.ts';

type Criterion = RatingReason['criterion'];
const CRITERIA: readonly Criterion[] = ['transport', 'end-to-end', 'forward-secrecy', 'identity', 'metadata', 'post-quantum', 'downgrade'];

/** Facts with nothing protected but a verified TLS connection; each case overrides what differs. */
const tlsOnly: SecurityFacts = {
  transport: 'tls-verified',
  endToEnd: 'none',
  forwardSecrecy: false,
  identity: 'none',
  metadataProtection: false,
  postQuantum: false,
  downgradeResistant: false,
};
const matrixEncrypted: SecurityFacts = { ...tlsOnly, endToEnd: 'all', forwardSecrecy: true, identity: 'tofu', downgradeResistant: true };
const nativeUnverified: SecurityFacts = { ...matrixEncrypted, metadataProtection: true, postQuantum: true };

interface Case {
  name: string;
  protocol: Protocol;
  facts: SecurityFacts;
  score: number;
  colour: Colour;
  /** Points expected per criterion where the case is about that criterion. */
  points?: Partial<Record<Criterion, number>>;
  /** Text that must appear in some reason. */
  mentions?: string;
}

// These figures are the worked examples of docs/security-ratings.md: keep the two equal.
const cases: Case[] = [
  { name: 'plain email over TLS', protocol: 'email', facts: tlsOnly, score: 10, colour: 'red', mentions: 'The email server can read this message.' },
  {
    name: 'email with Autocrypt (e2e, no forward secrecy, tofu)',
    protocol: 'email',
    facts: { ...tlsOnly, endToEnd: 'all', identity: 'tofu' },
    score: 58,
    colour: 'grey',
    points: { 'end-to-end': 40, 'forward-secrecy': 0, identity: 8 },
  },
  { name: 'XMPP without OMEMO', protocol: 'xmpp', facts: tlsOnly, score: 10, colour: 'red', mentions: 'The chat server can read this message.' },
  { name: 'Matrix unencrypted room', protocol: 'matrix', facts: tlsOnly, score: 10, colour: 'red', mentions: 'The Matrix server can read this message.' },
  { name: 'Matrix encrypted room (forward secrecy, tofu)', protocol: 'matrix', facts: matrixEncrypted, score: 78, colour: 'green' },
  {
    name: 'Matrix bridged encrypted room',
    protocol: 'matrix',
    facts: { ...matrixEncrypted, serverPlaintext: 'mautrix-telegram' },
    score: 10,
    colour: 'red',
    points: { 'end-to-end': 0, 'forward-secrecy': 0, identity: 0, downgrade: 0 },
    mentions: 'mautrix-telegram',
  },
  {
    name: 'Matrix room where some members are not e2e (partial)',
    protocol: 'matrix',
    facts: { ...matrixEncrypted, endToEnd: 'partial' },
    score: 58,
    colour: 'grey',
    points: { 'end-to-end': 20, 'forward-secrecy': 15, identity: 8 },
  },
  { name: 'native, unverified', protocol: 'native', facts: nativeUnverified, score: 93, colour: 'green', points: { identity: 8 } },
  { name: 'native, verified', protocol: 'native', facts: { ...nativeUnverified, identity: 'verified' }, score: 100, colour: 'green' },
  {
    name: 'native, identity changed',
    protocol: 'native',
    facts: { ...nativeUnverified, identity: 'changed' },
    score: 85,
    colour: 'red',
    points: { identity: 0 },
    mentions: 'changed',
  },
  {
    name: 'Matrix encrypted room, identity changed',
    protocol: 'matrix',
    facts: { ...matrixEncrypted, identity: 'changed' },
    score: 70,
    colour: 'red',
    points: { identity: 0 },
  },
  { name: 'email over unverified TLS', protocol: 'email', facts: { ...tlsOnly, transport: 'tls-unverified' }, score: 5, colour: 'red', points: { transport: 5 } },
  { name: 'XMPP without TLS', protocol: 'xmpp', facts: { ...tlsOnly, transport: 'none' }, score: 0, colour: 'red', points: { transport: 0 } },
  { name: 'unknown facts', protocol: 'email', facts: UNKNOWN_FACTS, score: 0, colour: 'red' },
];

describe('rate', () => {
  it.each(cases)('$name → $score, $colour', (c) => {
    const rating = rate(c.facts, c.protocol);
    expect(rating.score).toBe(c.score);
    expect(rating.colour).toBe(c.colour);
    expect(Number.isInteger(rating.score)).toBe(true);

    // One reason per criterion, in plain words, adding up to the score.
    expect(rating.reasons.map((r) => r.criterion)).toEqual(CRITERIA);
    for (const r of rating.reasons) {
      expect(r.text.length).toBeGreaterThan(10);
      expect(r.max).toBe(MAX_POINTS[r.criterion]);
      expect(r.points).toBeGreaterThanOrEqual(0);
      expect(r.points).toBeLessThanOrEqual(r.max);
      expect(r.passed).toBe(r.points === r.max);
    }
    expect(rating.reasons.reduce((sum, r) => sum + r.points, 0)).toBe(rating.score);

    for (const [criterion, points] of Object.entries(c.points ?? {})) {
      expect(rating.reasons.find((r) => r.criterion === criterion)?.points, criterion).toBe(points);
    }
    if (c.mentions !== undefined) {
      expect(rating.reasons.some((r) => r.text.includes(c.mentions ?? ''))).toBe(true);
    }
    // One sentence: a single closing full stop.
    expect(rating.summary).toMatch(/^[^.]+\.$/);
  });

  it('names the bridge in the summary too', () => {
    expect(rate({ ...matrixEncrypted, serverPlaintext: 'mautrix-telegram' }, 'matrix').summary).toContain('mautrix-telegram');
  });

  it('still makes a nameless bridge red', () => {
    const rating = rate({ ...matrixEncrypted, serverPlaintext: ' ' }, 'matrix');
    expect(rating.colour).toBe('red');
    expect(rating.summary).toBe('A bridge to another network can read these messages.');
  });

  it('speaks of "the server" when no protocol is given', () => {
    expect(rate(tlsOnly).summary).toBe('The server can read these messages.');
  });

  it('has points adding up to 100', () => {
    expect(Object.values(MAX_POINTS).reduce((a, b) => a + b, 0)).toBe(100);
  });
});

describe('protocolLabel', () => {
  it.each([
    ['email', 'Email'],
    ['xmpp', 'XMPP'],
    ['matrix', 'Matrix'],
    ['native', 'Switchboard (native)'],
  ] as const)('%s → %s', (p, label) => {
    expect(protocolLabel(p)).toBe(label);
  });
});

describe('caption beside the padlock', () => {
  it.each([
    ['an end-to-end route', nativeUnverified, 'Encrypted'],
    ['no forward secrecy', { ...matrixEncrypted, forwardSecrecy: false }, 'Weaker encryption'],
    ['the server reads it', tlsOnly, 'Not private'],
    ['a bridge reads it', { ...matrixEncrypted, serverPlaintext: 'mautrix-telegram' }, 'Not private'],
    // Still encrypted: the words must send the user to the key, not say the chat is open.
    ['a changed key', { ...nativeUnverified, identity: 'changed' }, 'Key changed'],
  ] as const)('%s → %s', (_name, facts, caption) => {
    expect(rate(facts, 'native').caption).toBe(caption);
  });
});
