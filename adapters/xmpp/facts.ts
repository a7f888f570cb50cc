import type { SecurityFacts } from '../contract.ts';

/**
 * What a plain XMPP chat is: TLS to the server (required and verified: the adapter refuses anything
 * else), and nothing end to end — the server, and the peer's server, read every message, see who
 * talks to whom, and could pretend to be the peer. Red until OMEMO exists.
 */
export function xmppFacts(): SecurityFacts {
  return {
    transport: 'tls-verified',
    endToEnd: 'none',
    forwardSecrecy: false,
    identity: 'none',
    metadataProtection: false,
    postQuantum: false,
    downgradeResistant: false,
  };
}
