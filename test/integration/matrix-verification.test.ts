/**
 * Emoji (SAS) verification between two Switchboard Matrix accounts on a real Synapse: both see the
 * same seven emoji; when both say they match, each sees the other verified (identity fact
 * `verified`); when one says they do not, both see it cancelled with the reason; and when a
 * verified user's identity changes, the other sees `changed` (red) until acknowledging it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, AdapterEvent, VerificationStep } from '../../adapters/contract.ts';
import { createMatrixAdapter } from '../../adapters/matrix/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startSynapse, type MatrixAccount, type TestSynapse } from '../servers/synapse.ts';
import { loginMatrix, matrixAccountConfig, MatrixPeer, waitFor } from '../support/matrix-accounts.ts';

interface Side {
  adapter: Adapter;
  events: AdapterEvent[];
  user: MatrixAccount;
  abort: AbortController;
}

let server: TestSynapse;
let ada: Side;
let bob: Side;

async function side(user: MatrixAccount): Promise<Side> {
  const login = await loginMatrix(server, user, 'Switchboard');
  const adapter = createMatrixAdapter(matrixAccountConfig(server, user), { state: new MemoryStorage(), secrets: { ...login } });
  const events: AdapterEvent[] = [];
  for (const type of ['message', 'status', 'verification', 'route-facts'] as const) adapter.on(type, (e) => events.push(e));
  const abort = new AbortController();
  await adapter.connect(abort.signal);
  await waitFor(() => events.some((e) => e.type === 'status' && e.status === 'online'), `${user.name} online`, 30_000);
  return { adapter, events, user, abort };
}

const steps = (s: Side, requestId?: string): VerificationStep[] =>
  s.events.flatMap((e) => (e.type === 'verification' && (requestId === undefined || e.requestId === requestId) ? [e.step] : []));
const last = (s: Side, requestId?: string) => steps(s, requestId).at(-1);
const identityOf = (s: Side, peer: MatrixAccount) => s.adapter.securityFacts({ accountId: s.adapter.accountId, target: peer.userId }).identity;

beforeAll(async () => {
  server = await startSynapse({ users: [{ name: 'ada', password: 'pw-ada-sas' }, { name: 'bob', password: 'pw-bob-sas' }] });
  ada = await side(server.users[0]!);
  bob = await side(server.users[1]!);
  // A direct chat between them: Ada writes, Bob accepts.
  await ada.adapter.send({ clientId: 'sas-hello-1', accountId: ada.adapter.accountId, conversation: { kind: 'direct', peer: { address: bob.user.userId } }, text: 'hello' });
  await waitFor(() => bob.events.some((e) => e.type === 'message' && e.request === true), 'the request at Bob');
  bob.adapter.peerAccepted?.({ kind: 'direct', peer: { address: ada.user.userId } });
  await waitFor(() => bob.events.some((e) => e.type === 'message' && e.text === 'hello'), 'the message at Bob');
}, 90_000);

afterAll(async () => {
  for (const s of [ada, bob]) {
    s?.abort.abort();
    await s?.adapter.disconnect();
  }
  await server?.stop();
});

describe('Matrix emoji verification (real Synapse)', () => {
  it('they say the emoji do not match: both see it cancelled, and nobody is verified', async () => {
    const id = await ada.adapter.sas!.request(bob.user.userId);
    await waitFor(() => last(bob)?.phase === 'incoming', 'the request at Bob');
    const bobId = bob.events.filter((e) => e.type === 'verification').at(-1)!;
    const bobRequest = bobId.type === 'verification' ? bobId.requestId : '';
    await bob.adapter.sas!.accept(bobRequest);
    await waitFor(() => last(ada, id)?.phase === 'emoji' && last(bob, bobRequest)?.phase === 'emoji', 'emoji on both sides', 30_000);
    await bob.adapter.sas!.confirm(bobRequest, false);
    await waitFor(() => last(ada, id)?.phase === 'cancelled' && last(bob, bobRequest)?.phase === 'cancelled', 'cancelled on both sides');
    const reason = last(ada, id);
    expect(reason?.phase === 'cancelled' && reason.reason).toMatch(/did not match/);
    expect(identityOf(ada, bob.user)).toBe('tofu');
  }, 60_000);

  it('both say the emoji match: the same seven on both sides, then each sees the other verified', async () => {
    const id = await ada.adapter.sas!.request(bob.user.userId);
    await waitFor(() => steps(bob).filter((s) => s.phase === 'incoming').length >= 2, 'the second request at Bob');
    const incoming = bob.events.filter((e) => e.type === 'verification' && e.step.phase === 'incoming').at(-1)!;
    const bobRequest = incoming.type === 'verification' ? incoming.requestId : '';
    expect(incoming.type === 'verification' && incoming.peer.address).toBe(ada.user.userId);
    await bob.adapter.sas!.accept(bobRequest);
    await waitFor(() => last(ada, id)?.phase === 'emoji' && last(bob, bobRequest)?.phase === 'emoji', 'emoji on both sides', 30_000);
    const a = last(ada, id);
    const b = last(bob, bobRequest);
    expect(a?.phase === 'emoji' && a.emoji).toHaveLength(7);
    expect(a).toEqual(b);
    await ada.adapter.sas!.confirm(id, true);
    await bob.adapter.sas!.confirm(bobRequest, true);
    await waitFor(() => last(ada, id)?.phase === 'done' && last(bob, bobRequest)?.phase === 'done', 'done on both sides', 30_000);
    await waitFor(() => identityOf(ada, bob.user) === 'verified' && identityOf(bob, ada.user) === 'verified', 'each verified at the other', 30_000);
  }, 60_000);

  it("a verified user's identity changes: red (`changed`) until the user acknowledges it", async () => {
    // Bob resets his cross-signing identity on another device (a new phone, a lost recovery key).
    const phone = new MatrixPeer(server, bob.user);
    await phone.start();
    try {
      await phone.client.getCrypto()!.bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: async (makeRequest) => {
          await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.user.userId }, password: bob.user.password });
        },
      });
      await waitFor(() => identityOf(ada, bob.user) === 'changed', 'the change seen at Ada', 30_000);
      const facts = ada.events.filter((e) => e.type === 'route-facts' && e.target === bob.user.userId).at(-1);
      expect(facts?.type === 'route-facts' && facts.facts.identity).toBe('changed');
      await ada.adapter.sas!.acknowledgeChange(bob.user.userId);
      await waitFor(() => identityOf(ada, bob.user) === 'tofu', 'trusted on first use again after acknowledging', 30_000);
    } finally {
      await phone.stop();
    }
  }, 60_000);
});
