/**
 * The security facts of a Matrix room (core/security turns them into the padlock). Element's
 * shield semantics are the reference: an unencrypted room is readable by every homeserver in it;
 * an encrypted one is end to end (Megolm over Olm, forward secrecy), its people trusted on first
 * use, verified when every other member is cross-signing verified, and "changed" while a verified
 * person's identity changed and the user has not acknowledged it. A bridge (an `m.bridge` or
 * `uk.half-shot.bridge` state event) reads every message whatever the encryption.
 */
import type { SecurityFacts } from '../contract.ts';

/** What the adapter knows about a room's protection. */
export interface RoomProtection {
  /** The homeserver is reached over https (verified by Node's TLS), not plain http on loopback. */
  tls: boolean;
  encrypted: boolean;
  /** The bridge's name when the room is bridged, else undefined. */
  bridge: string | undefined;
  /** The other members' identities: all verified, one changed since verified, or neither. */
  identity: 'verified' | 'tofu' | 'changed';
}

export function roomFacts(p: RoomProtection): SecurityFacts {
  const e2e = p.encrypted;
  return {
    transport: p.tls ? 'tls-verified' : 'none',
    endToEnd: e2e ? 'all' : 'none',
    forwardSecrecy: e2e,
    identity: e2e ? p.identity : 'none',
    metadataProtection: false,
    postQuantum: false,
    // Encryption, once on in a room, cannot be turned off by anyone (the spec forbids it).
    downgradeResistant: e2e,
    serverPlaintext: p.bridge,
  };
}

/** A bridge's name from its state event content (MSC2346: protocol display name, id, or its bot), '' when it gives none. */
export function bridgeName(content: unknown): string {
  const c = (content && typeof content === 'object' ? content : {}) as Record<string, unknown>;
  const protocol = (c['protocol'] && typeof c['protocol'] === 'object' ? c['protocol'] : {}) as Record<string, unknown>;
  const name = [protocol['displayname'], protocol['id'], c['bridgebot']].find((v): v is string => typeof v === 'string' && v.trim().length > 0);
  // Room state is anyone's text: keep it to one short printable line.
  return (name ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 60);
}
