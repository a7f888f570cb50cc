/**
 * The padlock: the ONE place in the product that turns an adapter's `SecurityFacts` into a score,
 * a colour and reasons in plain words. docs/security-ratings.md explains this policy to users;
 * change both together.
 *
 * Policy decisions beyond the points table:
 * - A bridge or gateway (`serverPlaintext`) cancels end-to-end encryption, whatever the protocol
 *   says, because it reads every message.
 * - `endToEnd: 'partial'` (some group members are not e2e) earns half the end-to-end points (20)
 *   and at best grey: the members who are e2e still get forward secrecy, identity and post-quantum.
 * - Forward secrecy, identity, post-quantum and downgrade resistance only count with end-to-end
 *   encryption: a message a server can already read has no keys to protect and nothing left to
 *   downgrade, and a "cannot be downgraded" tick next to it would mislead.
 * - Transport and metadata protection count on every route: they protect against the network and
 *   against profiling even when the server reads the text.
 */
import type { Protocol, SecurityFacts } from '../../adapters/contract.ts';
import type { Colour, Rating, RatingReason } from '../api/types.ts';

type Criterion = RatingReason['criterion'];

/** Points each criterion can earn; they add up to 100. */
export const MAX_POINTS: Readonly<Record<Criterion, number>> = {
  transport: 10,
  'end-to-end': 40,
  'forward-secrecy': 15,
  identity: 15,
  metadata: 10,
  'post-quantum': 5,
  downgrade: 5,
};

/** Points for end-to-end encryption that reaches only some members of a group. */
export const PARTIAL_END_TO_END_POINTS = 20;

/** The most pessimistic facts: what a route rates when its adapter reported nothing. */
export const UNKNOWN_FACTS: Readonly<SecurityFacts> = Object.freeze({
  transport: 'none',
  endToEnd: 'none',
  forwardSecrecy: false,
  identity: 'none',
  metadataProtection: false,
  postQuantum: false,
  downgradeResistant: false,
});

const LABELS: Readonly<Record<Protocol, string>> = {
  email: 'Email',
  xmpp: 'XMPP',
  matrix: 'Matrix',
  native: 'Switchboard (native)',
};

/** The name of a protocol as users see it. */
export function protocolLabel(p: Protocol): string {
  return LABELS[p];
}

// Words a grandmother knows: "the chat server" rather than "the XMPP server".
const SERVERS: Readonly<Record<Protocol, string>> = {
  email: 'the email server',
  xmpp: 'the chat server',
  matrix: 'the Matrix server',
  native: 'the Switchboard relay',
};

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** "A bridge to another network (name)"; an adapter that names no bridge still makes it red. */
function bridgePhrase(name: string): string {
  const trimmed = name.trim();
  return trimmed === '' ? 'A bridge to another network' : `A bridge to another network (${trimmed})`;
}

function reason(criterion: Criterion, points: number, text: string): RatingReason {
  const max = MAX_POINTS[criterion];
  // `passed` means full marks, so a half measure (tofu, unverified TLS) never shows a tick.
  return { criterion, points, max, passed: points === max, text };
}

function transportReason(facts: SecurityFacts): RatingReason {
  switch (facts.transport) {
    case 'tls-verified':
      return reason('transport', 10, 'The connection to the server is encrypted, and the server proved who it is.');
    case 'tls-unverified':
      return reason('transport', 5, 'The connection to the server is encrypted, but the server did not prove who it is, so an impostor could listen in.');
    case 'none':
      return reason('transport', 0, 'The connection to the server is not encrypted: anyone on the network can read along.');
  }
}

function endToEndReason(facts: SecurityFacts, server: string): RatingReason {
  if (facts.serverPlaintext !== undefined) {
    return reason('end-to-end', 0, `${bridgePhrase(facts.serverPlaintext)} can read every message here.`);
  }
  switch (facts.endToEnd) {
    case 'all':
      return reason('end-to-end', 40, 'Only the people in this conversation can read the messages; no server can.');
    case 'partial':
      return reason('end-to-end', PARTIAL_END_TO_END_POINTS, 'Some people in this group get messages without end-to-end encryption, so their servers can read them.');
    case 'none':
      return reason('end-to-end', 0, `${capitalise(server)} can read this message.`);
  }
}

function forwardSecrecyReason(facts: SecurityFacts, e2e: boolean): RatingReason {
  if (!e2e) return reason('forward-secrecy', 0, 'Past messages are not protected by their own keys, because they are not end-to-end encrypted.');
  return facts.forwardSecrecy
    ? reason('forward-secrecy', 15, 'If a key is stolen one day, past messages stay safe.')
    : reason('forward-secrecy', 0, 'If a key is stolen one day, past messages could be read with it.');
}

function identityReason(facts: SecurityFacts, e2e: boolean): RatingReason {
  // A change is named even without e2e: it is the one fact the user must act on.
  if (facts.identity === 'changed') return reason('identity', 0, "This person's security key has changed and nobody has checked it again: someone could be pretending to be them.");
  if (!e2e) return reason('identity', 0, 'Without end-to-end encryption, the server could pretend to be this person.');
  switch (facts.identity) {
    case 'verified':
      return reason('identity', 15, "You checked this person's security code with them, so nobody can pretend to be them.");
    case 'tofu':
      return reason('identity', 8, "This person's key is trusted because it was the first one seen; you have not checked it with them yet.");
    case 'none':
      return reason('identity', 0, 'There is no way to check that you are really talking to this person.');
  }
}

function metadataReason(facts: SecurityFacts, server: string): RatingReason {
  return facts.metadataProtection
    ? reason('metadata', 10, `${capitalise(server)} cannot see who is talking to whom.`)
    : reason('metadata', 0, `${capitalise(server)} can see who is talking to whom, and when.`);
}

function postQuantumReason(facts: SecurityFacts, e2e: boolean): RatingReason {
  return e2e && facts.postQuantum
    ? reason('post-quantum', 5, 'The encryption is built to resist the quantum computers of the future.')
    : reason('post-quantum', 0, 'The encryption is not built to resist the quantum computers of the future.');
}

function downgradeReason(facts: SecurityFacts, e2e: boolean): RatingReason {
  if (!e2e) return reason('downgrade', 0, 'These messages are not end-to-end encrypted to begin with.');
  return facts.downgradeResistant
    ? reason('downgrade', 5, 'Nobody can quietly switch this conversation to unencrypted.')
    : reason('downgrade', 0, 'This conversation could be quietly switched to unencrypted without you noticing.');
}

function colourOf(facts: SecurityFacts): Colour {
  const bridged = facts.serverPlaintext !== undefined;
  if (bridged || facts.endToEnd === 'none' || facts.identity === 'changed') return 'red';
  return facts.endToEnd === 'all' && facts.forwardSecrecy ? 'green' : 'grey';
}

function summarise(facts: SecurityFacts, server: string): string {
  if (facts.identity === 'changed') return "This person's security key has changed, so check it with them before you trust this conversation.";
  if (facts.serverPlaintext !== undefined) return `${bridgePhrase(facts.serverPlaintext)} can read these messages.`;
  if (facts.endToEnd === 'none') {
    return facts.transport === 'none'
      ? `Anyone on the network, and ${server}, can read these messages.`
      : `${capitalise(server)} can read these messages.`;
  }
  if (facts.endToEnd === 'partial') return 'Some people in this group get messages unencrypted, so their servers can read them.';
  if (!facts.forwardSecrecy) return 'Only the people in this conversation can read these messages, but a key stolen one day would unlock past ones too.';
  return facts.identity === 'verified'
    ? 'Only the people in this conversation can read these messages, and you have checked who they are.'
    : 'Only the people in this conversation can read these messages.';
}

/**
 * The words beside the padlock. A changed key is said as such: the messages are still encrypted,
 * so "Not private" would be wrong; what the user must do is check the key.
 */
function captionOf(facts: SecurityFacts, colour: Colour): string {
  if (facts.identity === 'changed' && facts.serverPlaintext === undefined && facts.endToEnd !== 'none') return 'Key changed';
  return colour === 'green' ? 'Encrypted' : colour === 'grey' ? 'Weaker encryption' : 'Not private';
}

/** Turns a route's facts into its padlock: a score 0–100, a colour, one reason per criterion, a summary. */
export function rate(facts: SecurityFacts, protocol?: Protocol): Rating {
  const server = protocol === undefined ? 'the server' : SERVERS[protocol];
  // "e2e" here: end-to-end encrypted to at least some members, and no bridge reading along.
  const e2e = facts.serverPlaintext === undefined && facts.endToEnd !== 'none';
  const reasons = [
    transportReason(facts),
    endToEndReason(facts, server),
    forwardSecrecyReason(facts, e2e),
    identityReason(facts, e2e),
    metadataReason(facts, server),
    postQuantumReason(facts, e2e),
    downgradeReason(facts, e2e),
  ];
  const score = reasons.reduce((sum, r) => sum + r.points, 0);
  const colour = colourOf(facts);
  return { score, colour, summary: summarise(facts, server), caption: captionOf(facts, colour), reasons };
}
