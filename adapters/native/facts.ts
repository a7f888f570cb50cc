import type { SecurityFacts } from '../contract.ts';
import type { Trust } from '../../native-protocol/client/signal-stores.ts';

/**
 * What a native route is (SPEC §11): end-to-end with forward secrecy (Double Ratchet), post-quantum
 * key agreement (PQXDH), pairwise mailboxes so the relay cannot link sender and recipient, no
 * plaintext fallback. The transport fact is the relay connection's: `wss://` is TLS verified by
 * Node's default certificate checks; `ws://` is unencrypted transport (fine on loopback, and said so).
 */
export function nativeFacts(relayUrl: string | null, trust: Trust): SecurityFacts {
  return {
    transport: relayUrl?.startsWith('wss://') ? 'tls-verified' : 'none',
    endToEnd: 'all',
    forwardSecrecy: true,
    identity: trust === 'verified' ? 'verified' : trust === 'changed' ? 'changed' : 'tofu',
    metadataProtection: true,
    postQuantum: true,
    downgradeResistant: true,
  };
}
