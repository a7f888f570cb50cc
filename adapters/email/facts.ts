import type { SecurityFacts } from '../contract.ts';

/**
 * What an email route is (docs/security-ratings.md): the connection to the servers is TLS with
 * verified certificates unless the account is set to plain TCP; Autocrypt (OpenPGP) makes it
 * end-to-end with the key trusted on first use, without forward secrecy, metadata protection or
 * protection against a downgrade (a mail without the header turns encryption off, by the spec).
 */
export function emailFacts(tls: boolean, encrypted: boolean): SecurityFacts {
  return {
    transport: tls ? 'tls-verified' : 'none',
    endToEnd: encrypted ? 'all' : 'none',
    forwardSecrecy: false,
    identity: encrypted ? 'tofu' : 'none',
    metadataProtection: false,
    postQuantum: false,
    downgradeResistant: false,
  };
}
