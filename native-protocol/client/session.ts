/** libsignal session calls wrapped in envelopes (SPEC §5, §6). */
import {
  CiphertextMessageType,
  PreKeySignalMessage,
  ProtocolAddress,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { own } from './codec.ts';
import { EnvelopeError, openEnvelope, sealEnvelope, TYPE_PREKEY, TYPE_SIGNAL } from './envelope.ts';
import { DEVICE_ID } from './keys.ts';
import type { SignalStores } from './signal-stores.ts';

/** Encrypts a plaintext for the peer at `rid` and wraps it in a padded envelope. */
export async function encryptTo(stores: SignalStores, rid: string, local: ProtocolAddress, plaintext: Uint8Array, now: number): Promise<Uint8Array> {
  const c = await signalEncrypt(own(plaintext), ProtocolAddress.new(rid, DEVICE_ID), local, stores.session, stores.identity, new Date(now));
  const kind = c.type() as CiphertextMessageType;
  const type = kind === CiphertextMessageType.PreKey ? TYPE_PREKEY : kind === CiphertextMessageType.Whisper ? TYPE_SIGNAL : 0;
  if (type === 0) throw new Error(`unexpected ciphertext type ${c.type()}`);
  return sealEnvelope(type, c.serialize());
}

/** Opens an envelope from the peer at `rid`; `prekey` says whether it was a session-starting message. */
export async function decryptFrom(stores: SignalStores, rid: string, local: ProtocolAddress, blob: Uint8Array): Promise<{ plaintext: Uint8Array; prekey: boolean }> {
  const env = openEnvelope(blob);
  const address = ProtocolAddress.new(rid, DEVICE_ID);
  if (env.type === TYPE_PREKEY) {
    let msg: PreKeySignalMessage;
    try {
      msg = PreKeySignalMessage.deserialize(own(env.body));
    } catch (e) {
      throw new EnvelopeError(`not a libsignal prekey message (${(e as Error).message})`);
    }
    const plaintext = await signalDecryptPreKey(msg, address, local, stores.session, stores.identity, stores.preKey, stores.signedPreKey, stores.kyberPreKey);
    return { plaintext, prekey: true };
  }
  let msg: SignalMessage;
  try {
    msg = SignalMessage.deserialize(own(env.body));
  } catch (e) {
    throw new EnvelopeError(`not a libsignal message (${(e as Error).message})`);
  }
  return { plaintext: await signalDecrypt(msg, address, local, stores.session, stores.identity), prekey: false };
}
