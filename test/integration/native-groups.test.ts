/**
 * Group chats between three Switchboard profiles (core + the real native adapter) over a real relay
 * process: Alice makes a group with Bob and Carol (who do not know each other); each sees the group
 * conversation before any message; messages reach everyone (Bob's reaches Carol through Alice, the
 * admin); each side lists the members; once Alice removes Carol, Carol gets nothing new.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../core/api/types.ts';
import { startRelay } from '../servers/relay.ts';
import { until } from '../support/harness.ts';
import { connectProfiles, nativeProfile, texts, type NativeProfile } from '../support/native-profiles.ts';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** `from` invites `to`; each side's contact id of the other, once both sessions are confirmed. */
async function connect(from: NativeProfile, to: NativeProfile): Promise<{ atFrom: string; atTo: string }> {
  const { atFrom, atTo } = await connectProfiles(from, to);
  return { atFrom: atFrom.contactId!, atTo: atTo.contactId! };
}

async function groupAt(p: NativeProfile, title: string): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await until(async () => {
    found = (await p.h.core.call('conversations.list', {})).items.find((c) => c.kind === 'group' && c.title === title);
    return !!found;
  }, `group ${title} at ${p.name}`, 15_000);
  return found!;
}

async function waitForText(p: NativeProfile, conversationId: string, text: string): Promise<void> {
  await until(async () => (await texts(p.h, conversationId)).includes(text), `“${text}” at ${p.name}`, 15_000);
}

describe('native group chats through core', () => {
  it('create with two contacts → everyone sees it at once → messages reach all → a removed member gets nothing new', { timeout: 120_000 }, async () => {
    const relay = await startRelay();
    cleanup.push(() => relay.cleanup());
    const alice = await nativeProfile('Alice', relay, cleanup);
    const bob = await nativeProfile('Bob', relay, cleanup);
    const carol = await nativeProfile('Carol', relay, cleanup);
    const ab = await connect(alice, bob);
    const ac = await connect(alice, carol);

    const atAlice = await alice.h.core.call('groups.create', { name: 'Trio', contactIds: [ab.atFrom, ac.atFrom] });
    expect(atAlice).toMatchObject({ kind: 'group', title: 'Trio', left: false, accountId: alice.account.id });
    // Bob and Carol see the group before anyone wrote in it.
    const atBob = await groupAt(bob, 'Trio');
    const atCarol = await groupAt(carol, 'Trio');
    for (const g of [atBob, atCarol]) expect(g).toMatchObject({ lastMessagePreview: null, left: false, request: false });
    expect(await texts(bob.h, atBob.id)).toEqual([]);

    // Members, as each side knows them: Bob has no chat with Carol, so she is no contact of his.
    expect(await alice.h.core.call('groups.members', { conversationId: atAlice.id })).toEqual([
      { displayName: 'Alice', contactId: null, isSelf: true, isAdmin: true },
      { displayName: 'Bob', contactId: ab.atFrom, isSelf: false, isAdmin: false },
      { displayName: 'Carol', contactId: ac.atFrom, isSelf: false, isAdmin: false },
    ]);
    expect(await bob.h.core.call('groups.members', { conversationId: atBob.id })).toEqual([
      { displayName: 'Bob', contactId: null, isSelf: true, isAdmin: false },
      { displayName: 'Alice', contactId: ab.atTo, isSelf: false, isAdmin: true },
      { displayName: 'Carol', contactId: null, isSelf: false, isAdmin: false },
    ]);

    // Messages reach everyone: Alice's directly, Bob's to Carol through Alice.
    await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: 'welcome to the trio' });
    await waitForText(bob, atBob.id, 'welcome to the trio');
    await waitForText(carol, atCarol.id, 'welcome to the trio');
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'hi both, Bob here' });
    await waitForText(alice, atAlice.id, 'hi both, Bob here');
    await waitForText(carol, atCarol.id, 'hi both, Bob here');
    const fromBob = (await carol.h.core.call('messages.page', { conversationId: atCarol.id })).items.find((m) => m.text === 'hi both, Bob here')!;
    expect(fromBob).toMatchObject({ direction: 'in', senderName: 'Bob', protocol: 'native' });
    await carol.h.core.call('messages.send', { conversationId: atCarol.id, text: 'Carol says hello' });
    await waitForText(alice, atAlice.id, 'Carol says hello');
    await waitForText(bob, atBob.id, 'Carol says hello');

    // Only the admin may change who is in it.
    const refused = await bob.h.core.call('groups.setMembers', { conversationId: atBob.id, contactIds: [ab.atTo] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'conflict' });

    // Alice removes Carol.
    const after = await alice.h.core.call('groups.setMembers', { conversationId: atAlice.id, contactIds: [ab.atFrom] });
    expect(after.map((m) => m.displayName)).toEqual(['Alice', 'Bob']);
    await until(
      async () => (await bob.h.core.call('groups.members', { conversationId: atBob.id })).length === 2,
      'Bob sees Carol removed',
      15_000,
    );
    const carolBefore = await texts(carol.h, atCarol.id);
    await alice.h.core.call('messages.send', { conversationId: atAlice.id, text: 'just us two now' });
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'Bob after the change' });
    await waitForText(bob, atBob.id, 'just us two now');
    await waitForText(alice, atAlice.id, 'Bob after the change');
    // Give anything meant for Carol every chance to arrive: fetch her mailboxes and let her store it.
    await new Promise((r) => setTimeout(r, 1_000));
    carol.adapter().client.pullAll();
    await carol.adapter().client.idle();
    await carol.h.core.ingest.idle();
    expect(await texts(carol.h, atCarol.id)).toEqual(carolBefore);
    expect(carolBefore).toEqual(['welcome to the trio', 'hi both, Bob here', 'Carol says hello']);
    // Carol is told she is out: her conversation stays readable, sending is refused.
    await until(async () => (await carol.h.core.call('conversations.get', { conversationId: atCarol.id })).left, 'Carol sees she left', 15_000);
    const carolSend = await carol.h.core.call('messages.send', { conversationId: atCarol.id, text: 'anyone?' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(carolSend).toMatchObject({ message: expect.stringMatching(/no longer in this group/) as unknown });
  });
});
