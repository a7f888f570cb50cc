/**
 * Interactive verification of a Matrix user by comparing emoji (SAS, `m.sas.v1`), in their direct
 * room, as Element does it: one side asks, the other accepts, both see the same seven emoji and
 * say whether they match. When both confirm, each side's crypto signs the other's cross-signing
 * identity: the user is verified from then on (and a later change of their identity shows).
 * Each change of a verification's phase is reported as a `verification` event.
 */
import { randomUUID } from 'node:crypto';
import type { MatrixClient } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';
import {
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
  type Verifier,
} from 'matrix-js-sdk/lib/crypto-api/verification.js';
import { AdapterActionError, type AdapterEvent, type VerificationStep } from '../contract.ts';
import { createAdapterLogger } from '../log.ts';

const log = createAdapterLogger('matrix.verification');

/** What the verifications need from the adapter. */
export interface VerificationDeps {
  accountId: string;
  client(): MatrixClient | null;
  emit(e: AdapterEvent): void;
  /** The direct room with a peer (made if there is none yet): requests travel there. */
  directRoom(peer: string): Promise<string>;
  /** A peer's verification state may have changed: their rooms' facts are read again. */
  trustChanged(userId: string): void;
}

interface Tracked {
  request: VerificationRequest;
  sas: ShowSasCallbacks | null;
  verifier: Verifier | null;
  confirmed: boolean;
  last: string;
}

/** Why a verification ended, in words. */
function reasonOf(code: string | null, byMe: boolean): string {
  switch (code) {
    case 'm.mismatched_sas':
      return 'The emoji did not match: nothing was verified. If you compared them correctly, someone may be in the middle.';
    case 'm.timeout':
      return 'The verification took too long and was stopped.';
    case 'm.user':
      return byMe ? 'You cancelled the verification.' : 'They cancelled the verification.';
    case 'm.accepted':
      return 'The verification was answered on another device.';
    case null:
      return 'The verification stopped.';
    default:
      return `The verification stopped (${code}).`;
  }
}

export class SasVerifications {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly deps: VerificationDeps) {}

  /** Listens for requests from others on a (new) client. */
  attach(c: MatrixClient): void {
    c.on(CryptoEvent.VerificationRequestReceived, (request) => {
      // Only user verification in a room (a peer verifying the user); own-device requests are not offered yet.
      if (request.isSelfVerification) return;
      this.track(request);
    });
  }

  private crypto() {
    const c = this.deps.client();
    const crypto = c?.getCrypto();
    if (!c || !crypto) throw new AdapterActionError('unavailable', 'The Matrix account is not connected.');
    return crypto;
  }

  private get(id: string): Tracked {
    const t = this.tracked.get(id);
    if (!t) throw new AdapterActionError('not-found', 'That verification is over.');
    return t;
  }

  /** Asks a peer to verify; returns the verification's id. */
  async request(peer: string): Promise<string> {
    const crypto = this.crypto();
    const roomId = await this.deps.directRoom(peer);
    const request = await crypto.requestVerificationDM(peer, roomId);
    return this.track(request);
  }

  async accept(id: string): Promise<void> {
    await this.get(id).request.accept();
  }

  /** The user compared the emoji: they match (confirm) or they do not (the verification is cancelled). */
  async confirm(id: string, match: boolean): Promise<void> {
    const t = this.get(id);
    if (!t.sas) throw new AdapterActionError('invalid', 'There are no emoji to compare yet.');
    if (!match) {
      t.sas.mismatch();
      return;
    }
    t.confirmed = true;
    await t.sas.confirm();
    this.report(id);
  }

  async cancel(id: string): Promise<void> {
    await this.get(id).request.cancel();
  }

  /** The user accepts a peer's changed identity: trusted on first use again, no longer flagged. */
  async acknowledgeChange(userId: string): Promise<void> {
    const crypto = this.crypto();
    await crypto.pinCurrentUserIdentity(userId).catch(() => undefined);
    await crypto.withdrawVerificationRequirement(userId).catch(() => undefined);
    this.deps.trustChanged(userId);
  }

  private track(request: VerificationRequest): string {
    const id = request.transactionId ?? randomUUID();
    if (this.tracked.has(id)) return id;
    const t: Tracked = { request, sas: null, verifier: null, confirmed: false, last: '' };
    this.tracked.set(id, t);
    request.on(VerificationRequestEvent.Change, () => this.onChange(id));
    this.onChange(id);
    return id;
  }

  private onChange(id: string): void {
    const t = this.tracked.get(id);
    if (!t) return;
    const { request } = t;
    // The one who asked starts the emoji exchange once the other side is ready.
    if (request.phase === VerificationPhase.Ready && request.initiatedByMe && !t.verifier) {
      request.startVerification('m.sas.v1').then(
        (v) => this.run(id, v),
        (e: unknown) => log.warn('starting the emoji verification failed', { accountId: this.deps.accountId, error: (e as Error).message }),
      );
    }
    if (request.phase === VerificationPhase.Started && request.verifier && !t.verifier) this.run(id, request.verifier);
    if (request.phase === VerificationPhase.Done) this.deps.trustChanged(request.otherUserId);
    this.report(id);
  }

  private run(id: string, v: Verifier): void {
    const t = this.tracked.get(id);
    if (!t || t.verifier) return;
    t.verifier = v;
    v.on(VerifierEvent.ShowSas, (sas) => {
      t.sas = sas;
      this.report(id);
    });
    // Resolves when both sides confirmed; a cancel rejects it (the request's phase says so).
    v.verify().catch(() => undefined);
  }

  private stepOf(t: Tracked): VerificationStep {
    const { request } = t;
    switch (request.phase) {
      case VerificationPhase.Unsent:
      case VerificationPhase.Requested:
        return request.initiatedByMe ? { phase: 'waiting' } : { phase: 'incoming' };
      case VerificationPhase.Ready:
      case VerificationPhase.Started: {
        const emoji = t.sas?.sas.emoji;
        if (!emoji) return { phase: 'waiting' };
        if (t.confirmed) return { phase: 'confirmed' };
        return { phase: 'emoji', emoji: emoji.map(([symbol, name]) => ({ symbol, name })) };
      }
      case VerificationPhase.Cancelled:
        return { phase: 'cancelled', reason: reasonOf(request.cancellationCode, request.cancellingUserId === this.deps.client()?.getUserId()) };
      case VerificationPhase.Done:
        return { phase: 'done' };
    }
  }

  private report(id: string): void {
    const t = this.tracked.get(id);
    if (!t) return;
    const step = this.stepOf(t);
    const key = JSON.stringify(step);
    if (key === t.last) return;
    t.last = key;
    const peer = t.request.otherUserId;
    this.deps.emit({ type: 'verification', accountId: this.deps.accountId, requestId: id, peer: { address: peer }, step });
    if (step.phase === 'done' || step.phase === 'cancelled') this.tracked.delete(id);
  }
}
