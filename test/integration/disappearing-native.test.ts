/**
 * Disappearing messages between two Switchboard profiles (core + the real native adapter) over a
 * real relay: the timer set on one side reaches the other, messages carry it, and each side's
 * countdown starts by Signal's rule (sent: at once; received: when read).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../core/api/types.ts';
import { until, type Harness } from '../support/harness.ts';
import { connectProfiles, nativeProfile } from '../support/native-profiles.ts';
import { startRelay } from '../servers/relay.ts';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function message(h: Harness, conversationId: string, text: string): Promise<Message | undefined> {
  return (await h.core.call('messages.page', { conversationId })).items.find((m) => m.text === text);
}

describe('disappearing messages over the native protocol', () => {
  it('the timer reaches the peer; messages carry it; sent ones count down at once, received ones once read', async () => {
    const relay = await startRelay();
    cleanup.push(() => relay.cleanup());
    const alice = await nativeProfile('Alice', relay, cleanup);
    const bob = await nativeProfile('Bob', relay, cleanup);
    const { atFrom: atAlice, atTo: atBob } = await connectProfiles(alice, bob);

    const set = await alice.h.core.call('conversations.update', { conversationId: atAlice.id, disappearingSeconds: 3_600 });
    expect(set.disappearingSeconds).toBe(3_600);
    await until(
      async () => (await bob.h.core.call('conversations.get', { conversationId: atBob.id })).disappearingSeconds === 3_600,
      'the timer at Bob',
      10_000,
    );

    const before = Date.now();
    await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: 'for your eyes, for an hour' });
    await until(async () => (await message(alice.h, atAlice.id, 'for your eyes, for an hour'))?.expiresAt != null, 'sent, counting down', 10_000);
    const sent = (await message(alice.h, atAlice.id, 'for your eyes, for an hour'))!;
    expect(sent.expiresAt! - before).toBeGreaterThanOrEqual(3_600_000);
    expect(sent.expiresAt! - Date.now()).toBeLessThanOrEqual(3_600_000);

    await until(async () => !!(await message(bob.h, atBob.id, 'for your eyes, for an hour')), 'the message at Bob', 10_000);
    expect((await message(bob.h, atBob.id, 'for your eyes, for an hour'))!.expiresAt).toBeNull();
    const readAt = Date.now();
    await bob.h.core.call('conversations.markRead', { conversationId: atBob.id });
    const read = (await message(bob.h, atBob.id, 'for your eyes, for an hour'))!;
    expect(read.expiresAt! - readAt).toBeGreaterThanOrEqual(3_600_000);
    expect(read.expiresAt! - Date.now()).toBeLessThanOrEqual(3_600_000);

    // Bob turns it off: Alice hears it, and what Bob sends next is kept.
    await bob.h.core.call('conversations.update', { conversationId: atBob.id, disappearingSeconds: 0 });
    await until(
      async () => (await alice.h.core.call('conversations.get', { conversationId: atAlice.id })).disappearingSeconds === 0,
      'the timer off at Alice',
      10_000,
    );
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'this one stays' });
    await until(async () => !!(await message(alice.h, atAlice.id, 'this one stays')), 'the kept message at Alice', 10_000);
    await alice.h.core.call('conversations.markRead', { conversationId: atAlice.id });
    expect((await message(alice.h, atAlice.id, 'this one stays'))!.expiresAt).toBeNull();
  });
});
