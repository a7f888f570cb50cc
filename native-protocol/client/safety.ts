/** Safety numbers (SPEC §7): libsignal's Fingerprint over both identity keys. */
import { Fingerprint, PublicKey } from '@signalapp/libsignal-client';
import { b64u, own } from './codec.ts';

const ITERATIONS = 5200;
const VERSION = 2;

/**
 * Both sides use each party's identity key as its stable identifier: there is no other identifier
 * in this protocol, and both sides know both keys.
 */
export function safetyNumber(localKey: Uint8Array, remoteKey: Uint8Array): { digits: string; qrPayload: string } {
  const fp = Fingerprint.new(ITERATIONS, VERSION, own(localKey), PublicKey.deserialize(own(localKey)), own(remoteKey), PublicKey.deserialize(own(remoteKey)));
  const raw = fp.displayableFingerprint().toString();
  const digits = raw.match(/.{5}/g)?.join(' ') ?? raw;
  return { digits, qrPayload: b64u(fp.scannableFingerprint().toBuffer()) };
}
