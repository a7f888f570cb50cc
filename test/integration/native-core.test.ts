/**
 * Two Switchboard profiles (core + the real native adapter) over a real relay process: invite →
 * accept → messages both ways, both green; quota exceeded keeps the message in the outbox until it
 * can go; a changed identity key turns the route red and stops sends until acknowledged.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/harness.ts';
import { connectProfiles, conversationWith, nativeProfile, nativeRegistry, texts } from '../support/native-profiles.ts';
import { startRelay } from '../servers/relay.ts';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

describe('native protocol through core', () => {
  it('invite → accept → messages both ways → both see green', async () => {
    const relay = await startRelay();
    cleanup.push(() => relay.cleanup());
    const alice = await nativeProfile('Alice', relay, cleanup);
    const bob = await nativeProfile('Bob', relay, cleanup);
    const invite = await alice.h.core.call('invites.create', { kind: 'one-use' });
    const atBob = await bob.h.core.call('invites.accept', { link: invite.link });
    expect(atBob.title).toBe('Alice');
    // Bob writes at once; the outbox holds it until Alice's side confirms the session.
    const sent = await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'hello encrypted' });
    expect(sent.kind).toBe('queued');
    const atAlice = await conversationWith(alice.h, 'Bob');
    await until(async () => (await texts(alice.h, atAlice.id)).includes('hello encrypted'), 'Bob’s message at Alice', 10_000);
    await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: 'hello back' });
    await until(async () => (await texts(bob.h, atBob.id)).includes('hello back'), 'Alice’s reply at Bob', 10_000);

    for (const [h, id] of [[alice.h, atAlice.id], [bob.h, atBob.id]] as const) {
      const conv = await h.core.call('conversations.get', { conversationId: id });
      expect(conv.rating.colour).toBe('green');
      expect(conv.request).toBe(false);
      const msgs = (await h.core.call('messages.page', { conversationId: id })).items;
      expect(msgs.every((m) => m.protocol === 'native' && m.rating.colour === 'green')).toBe(true);
    }
    // Bob's message reached Alice's core, so Bob sees it delivered.
    await until(async () => (await bob.h.core.call('messages.page', { conversationId: atBob.id })).items.some((m) => m.text === 'hello encrypted' && (m.status === 'delivered' || m.status === 'read')), 'delivered', 10_000);
    // Safety numbers match on both sides.
    const aliceContact = await alice.h.core.call('contacts.get', { contactId: atAlice.contactId! });
    const bobContact = await bob.h.core.call('contacts.get', { contactId: atBob.contactId! });
    const a = await alice.h.core.call('safety.get', { identityId: aliceContact.identities[0]!.id });
    const b = await bob.h.core.call('safety.get', { identityId: bobContact.identities[0]!.id });
    expect(a.digits).toBe(b.digits);
    expect(a.peerName).toBe('Bob');
  });

  it('quota exceeded: the message stays in the outbox and goes once there is room', async () => {
    const relay = await startRelay({ args: ['--quota-count', '3'] });
    cleanup.push(() => relay.cleanup());
    const alice = await nativeProfile('Alice', relay, cleanup);
    const bob = await nativeProfile('Bob', relay, cleanup);
    const { atFrom: atAlice, atTo: atBob } = await connectProfiles(alice, bob);
    // Bob quits; his mailbox fills up.
    await bob.h.core.close();
    for (let i = 0; i < 4; i++) await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: `note ${i}` });
    const fourth = async () => (await alice.h.core.call('messages.page', { conversationId: atAlice.id })).items.find((m) => m.text === 'note 3')!;
    const fourthId = (await fourth()).id;
    const outboxError = () =>
      (alice.h.core.ctx.db.prepare('SELECT last_error FROM outbox WHERE message_id = ?').get(fourthId) as { last_error: string | null } | undefined)?.last_error ?? null;
    await until(() => /quota exceeded/.test(outboxError() ?? ''), 'the fourth note refused for quota', 10_000);
    expect(outboxError()).toMatch(/^Bob’s mailbox at the relay is full \(quota exceeded\)/);
    expect((await fourth()).status).toBe('queued');
    const sentBefore = (await alice.h.core.call('messages.page', { conversationId: atAlice.id })).items.filter((m) => m.status === 'sent' || m.status === 'delivered');
    expect(sentBefore.map((m) => m.text).sort()).toEqual(['note 0', 'note 1', 'note 2']);
    // Bob starts again, reads his mailbox; the outbox's next try finds room.
    await bob.h.restart({ registry: nativeRegistry() });
    await until(async () => (await texts(bob.h, atBob.id)).includes('note 3'), 'the fourth note at Bob', 15_000);
    expect((await texts(bob.h, atBob.id)).filter((t) => t.startsWith('note '))).toEqual(['note 0', 'note 1', 'note 2', 'note 3']);
  });

  it('a changed identity key turns the route red and holds sends until the user acknowledges it', async () => {
    const relay = await startRelay();
    cleanup.push(() => relay.cleanup());
    const alice = await nativeProfile('Alice', relay, cleanup);
    const bob = await nativeProfile('Bob', relay, cleanup);
    const { atFrom: atAlice, atTo: atBob } = await connectProfiles(alice, bob);
    // Bob reinstalls without his keys (a new identity key), then writes.
    await bob.adapter().client.replaceIdentityKey();
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'it is me, new phone' });
    await until(async () => (await texts(alice.h, atAlice.id)).includes('it is me, new phone'), 'message under the new key', 10_000);
    await until(async () => (await alice.h.core.call('conversations.get', { conversationId: atAlice.id })).rating.colour === 'red', 'red padlock', 10_000);
    const contact = await alice.h.core.call('contacts.get', { contactId: atAlice.contactId! });
    const identityId = contact.identities[0]!.id;
    expect((await alice.h.core.call('safety.get', { identityId })).changed).toBe(true);
    // The only route is native, now red: core queues the message (nothing safer to wait for) and the
    // adapter refuses to encrypt to an unacknowledged key; the message fails with the reason.
    const reply = await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: 'who is this?' });
    expect(reply.kind).toBe('queued');
    await until(
      async () =>
        (await alice.h.core.call('messages.page', { conversationId: atAlice.id })).items.some(
          (m) => m.text === 'who is this?' && m.status === 'failed' && /Bob’s safety number changed/.test(m.error ?? ''),
        ),
      'send refused',
      10_000,
    );
    expect(await texts(bob.h, atBob.id)).not.toContain('who is this?');
    const ack = await alice.h.core.call('safety.acknowledgeChange', { identityId });
    expect(ack.changed).toBe(false);
    await until(async () => (await alice.h.core.call('conversations.get', { conversationId: atAlice.id })).rating.colour === 'green', 'green again', 10_000);
    await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: 'checked, hi' });
    await until(async () => (await texts(bob.h, atBob.id)).includes('checked, hi'), 'reply after acknowledging', 10_000);
  });
});
