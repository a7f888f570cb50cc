import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { signedBytes, type SignedOp } from './wire.ts';

/** An Ed25519 public key from its raw 32 bytes, or null if they are not a valid key. */
export function ed25519PublicKey(raw: Buffer): KeyObject | null {
  if (raw.length !== 32) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
}

/** Checks `sig` (64 raw bytes) over the signed bytes of (challenge, op, target) with `receiveKey` (raw 32 bytes). */
export function verifyOwnerSignature(receiveKey: Buffer, challenge: string, op: SignedOp, target: string, sig: Buffer): boolean {
  const key = ed25519PublicKey(receiveKey);
  if (!key || sig.length !== 64) return false;
  try {
    return verify(null, signedBytes(challenge, op, target), key, sig);
  } catch {
    return false;
  }
}
