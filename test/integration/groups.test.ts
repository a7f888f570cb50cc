/**
 * Group chats through the api, with the test double's native accounts: the `group` adapter event
 * (the conversation appears before any message, renamed, left and back), `groups.create`,
 * `groups.members`, `groups.setMembers`, `contacts.list`, and what a group the user left refuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../core/api/commands.ts';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import { recentLogLines } from '../../core/log/logger.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const expectApiError = async (p: Promise<unknown>, code: string, message: RegExp | string) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  expect((e as ApiError).code).toBe(code);
  if (typeof message === 'string') expect((e as ApiError).message).toBe(message);
  else expect((e as ApiError).message).toMatch(message);
};

/** A native account that chats with Ada and Grace (1:1), and an email account that knows Linus. */
async function withFriends(): Promise<{ h: Harness; native: Account; email: Account; ada: string; grace: string; linus: string }> {
  const harness = await makeHarness();
  h = harness;
  const native = await harness.addAccount('native', 'me-native');
  const email = await harness.addAccount('email', 'me@example.org');
  harness.net.receive(native.id, { address: 'ada-key', displayName: 'Ada Lovelace' }, 'hi from Ada', { sentAt: 1_000 });
  harness.net.receive(native.id, { address: 'grace-key', displayName: 'Grace Hopper' }, 'hi from Grace', { sentAt: 2_000 });
  harness.net.receive(email.id, { address: 'linus@example.com', displayName: 'Linus Pauling' }, 'hi by mail', { sentAt: 3_000 });
  await harness.core.ingest.idle();
  const inbox = (await harness.core.call('conversations.list', {})).items;
  const contactOf = (title: string) => inbox.find((c) => c.title === title)!.contactId!;
  return { h: harness, native, email, ada: contactOf('Ada Lovelace'), grace: contactOf('Grace Hopper'), linus: contactOf('Linus Pauling') };
}

const groups = async (harness: Harness): Promise<ConversationSummary[]> =>
  (await harness.core.call('conversations.list', {})).items.filter((c) => c.kind === 'group');

describe('the group adapter event', () => {
  it('makes the group conversation appear before any message, and keeps its title', async () => {
    const { h, native } = await withFriends();
    h.events.length = 0;
    h.net.groupEvent(native.id, 'room-1', 'Book club', false);
    await h.core.ingest.idle();
    const [group] = await groups(h);
    expect(group).toMatchObject({ kind: 'group', title: 'Book club', accountId: native.id, left: false, lastMessagePreview: null, request: false, contactId: null });
    expect(group!.protocols).toEqual(['native']);
    expect(h.events.filter((e) => e.type === 'conversation.updated' && e.conversation.id === group!.id)).toHaveLength(1);

    h.net.groupEvent(native.id, 'room-1', 'Book club (autumn)', false);
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.get', { conversationId: group!.id })).title).toBe('Book club (autumn)');
    // A message in the room lands in the same conversation.
    h.net.receiveInRoom(native.id, 'room-1', 'Book club (autumn)', { address: 'ada-key', displayName: 'Ada Lovelace' }, 'chapter 3 tonight');
    await h.core.ingest.idle();
    expect((await groups(h)).map((g) => [g.id, g.lastMessagePreview])).toEqual([[group!.id, 'chapter 3 tonight']]);
    expect(h.core.ctx.db.prepare("SELECT count(*) FROM conversations WHERE kind = 'group'").pluck().get()).toBe(1);
  });

  it('a group the account left stays readable, refuses sends with the reason, and takes the user back when re-added', async () => {
    const { h, native } = await withFriends();
    h.net.groupEvent(native.id, 'room-2', 'Chess', false);
    h.net.receiveInRoom(native.id, 'room-2', 'Chess', { address: 'ada-key', displayName: 'Ada Lovelace' }, 'e4');
    await h.core.ingest.idle();
    const [group] = await groups(h);
    await h.core.call('messages.send', { conversationId: group!.id, text: 'e5' });
    await until(() => h.net.delivered.length === 1, 'the first move sent');

    h.events.length = 0;
    h.net.groupEvent(native.id, 'room-2', 'Chess', true);
    await h.core.ingest.idle();
    const left = await h.core.call('conversations.get', { conversationId: group!.id });
    expect(left.left).toBe(true);
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === group!.id && e.conversation.left)).toBe(true);
    expect((await h.core.call('messages.page', { conversationId: group!.id })).items.map((m) => m.text)).toEqual(['e4', 'e5']);
    await expectApiError(h.core.call('messages.send', { conversationId: group!.id, text: 'Nf3' }), 'conflict', 'You are no longer in this group.');
    await expectApiError(
      h.core.call('conversations.update', { conversationId: group!.id, disappearingSeconds: 3600 }),
      'conflict',
      'You are no longer in this group.',
    );
    expect((await h.core.call('messages.page', { conversationId: group!.id })).items).toHaveLength(2);
    expect(h.net.sent).toHaveLength(1);
    // Still in the list, and it survives a restart as it is.
    await h.restart();
    expect((await h.core.call('conversations.get', { conversationId: group!.id })).left).toBe(true);

    h.net.groupEvent(native.id, 'room-2', 'Chess', false);
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.get', { conversationId: group!.id })).left).toBe(false);
    expect((await h.core.call('messages.send', { conversationId: group!.id, text: 'Nf3' })).kind).toBe('queued');
  });

  it('a message queued before the user was removed fails with the reason instead of going', async () => {
    const { h, native } = await withFriends();
    h.net.groupEvent(native.id, 'room-3', 'Hikers', false);
    await h.core.ingest.idle();
    const [group] = await groups(h);
    h.net.adapter(native.id).setStatus('offline');
    const sent = await h.core.call('messages.send', { conversationId: group!.id, text: 'see you at the trailhead' });
    expect(sent.kind).toBe('queued');
    h.net.groupEvent(native.id, 'room-3', 'Hikers', true);
    await h.core.ingest.idle();
    h.net.adapter(native.id).setStatus('online');
    await until(
      async () => (await h.core.call('messages.page', { conversationId: group!.id })).items.some((m) => m.status === 'failed'),
      'the queued message failed',
    );
    const [message] = (await h.core.call('messages.page', { conversationId: group!.id })).items;
    expect(message).toMatchObject({ status: 'failed', error: 'You are no longer in this group.' });
    expect(h.net.sent).toHaveLength(0);
  });

  it('left, for a group never stored, creates nothing; a malformed group event is refused', async () => {
    const { h, native } = await withFriends();
    h.net.groupEvent(native.id, 'room-gone', 'Old group', true);
    h.net.adapter(native.id).emitRaw({ type: 'group', accountId: native.id, roomId: '', title: 'x', left: false });
    h.net.adapter(native.id).emitRaw({ type: 'group', accountId: native.id, roomId: 'room-x', title: 'x' });
    await h.core.ingest.idle();
    expect(await groups(h)).toEqual([]);
    expect(recentLogLines.some((l) => l.includes('adapter event refused'))).toBe(true);
  });
});

describe('groups.create, groups.members, groups.setMembers', () => {
  it('makes a group with two contacts: the conversation is there at once, the members named as contacts', async () => {
    const { h, native, ada, grace } = await withFriends();
    const made = await h.core.call('groups.create', { name: '  Lab meeting  ', contactIds: [ada, grace, ada] });
    expect(made).toMatchObject({ kind: 'group', title: 'Lab meeting', accountId: native.id, left: false, request: false });
    expect((await groups(h)).map((g) => g.id)).toEqual([made.id]);
    // The adapter's own group event a moment later changes nothing.
    await h.core.ingest.idle();
    expect((await groups(h)).map((g) => g.id)).toEqual([made.id]);
    const room = [...h.net.rooms.values()][0]!;
    expect(room.members.map((m) => m.address)).toEqual(['me-native', 'ada-key', 'grace-key']);

    const members = await h.core.call('groups.members', { conversationId: made.id });
    expect(members).toEqual([
      { displayName: 'me-native', contactId: null, isSelf: true, isAdmin: true },
      { displayName: 'Ada Lovelace', contactId: ada, isSelf: false, isAdmin: false },
      { displayName: 'Grace Hopper', contactId: grace, isSelf: false, isAdmin: false },
    ]);

    // Sending goes to the room through the native account.
    await h.core.call('messages.send', { conversationId: made.id, text: 'agenda attached' });
    await until(() => h.net.delivered.length === 1, 'the group message sent');
    expect(h.net.delivered[0]).toMatchObject({ accountId: native.id, out: { conversation: { kind: 'group', roomId: room.roomId } } });

    // Removing Grace.
    const after = await h.core.call('groups.setMembers', { conversationId: made.id, contactIds: [ada] });
    expect(after.map((m) => m.contactId)).toEqual([null, ada]);
    expect(room.members.map((m) => m.address)).toEqual(['me-native', 'ada-key']);
  });

  it('says clearly why a group cannot be made or changed', async () => {
    const { h, native, ada, linus } = await withFriends();
    await expectApiError(
      h.core.call('groups.create', { name: 'Mixed', contactIds: [ada, linus] }),
      'bad-request',
      'Linus Pauling has no encrypted chat with you yet: send them an invite first.',
    );
    await expectApiError(h.core.call('groups.create', { name: '', contactIds: [ada] }), 'bad-request', /name/);
    await expectApiError(h.core.call('groups.create', { name: 'Nobody', contactIds: [] }), 'bad-request', /contactIds/);
    await expectApiError(h.core.call('groups.create', { name: 'Ghost', contactIds: ['no-such-contact'] }), 'not-found', /no longer exists/);
    // An account named that cannot make groups.
    const email = (await h.core.call('accounts.list', {})).find((a) => a.protocol === 'email')!;
    expect(email.canCreateGroups).toBe(false);
    expect((await h.core.call('accounts.list', {})).find((a) => a.id === native.id)!.canCreateGroups).toBe(true);
    await expectApiError(h.core.call('groups.create', { accountId: email.id, name: 'Mail group', contactIds: [linus] }), 'unavailable', /cannot make group chats/);
    // The adapter's refusal keeps its words.
    h.net.adapter(native.id).setStatus('offline');
    await expectApiError(h.core.call('groups.create', { name: 'Offline', contactIds: [ada] }), 'unavailable', /this account is offline/);
    h.net.adapter(native.id).setStatus('online');

    // A 1:1 conversation has no members to list; a group the user did not make cannot be changed by them.
    const direct = (await h.core.call('conversations.list', {})).items.find((c) => c.title === 'Ada Lovelace')!;
    await expectApiError(h.core.call('groups.members', { conversationId: direct.id }), 'bad-request', 'That is not a group chat.');
    h.net.outsideGroup(native.id, 'Their group', { address: 'ada-key', displayName: 'Ada Lovelace' }, [{ address: 'stranger-key', displayName: 'Someone' }]);
    await h.core.ingest.idle();
    const theirs = (await groups(h)).find((g) => g.title === 'Their group')!;
    const members = await h.core.call('groups.members', { conversationId: theirs.id });
    expect(members).toEqual([
      { displayName: 'me-native', contactId: null, isSelf: true, isAdmin: false },
      { displayName: 'Ada Lovelace', contactId: ada, isSelf: false, isAdmin: true },
      { displayName: 'Someone', contactId: null, isSelf: false, isAdmin: false },
    ]);
    await expectApiError(h.core.call('groups.setMembers', { conversationId: theirs.id, contactIds: [ada] }), 'conflict', /Only the group’s admin/);

    // No account can make groups at all.
    await h.core.call('accounts.remove', { accountId: native.id });
    await expectApiError(h.core.call('groups.create', { name: 'None', contactIds: [linus] }), 'unavailable', /Group chats need an account/);
  });

  it('a group on a network without group actions (a Matrix room) says members cannot be shown', async () => {
    h = await makeHarness();
    const matrix = await h.addAccount('matrix', '@me:matrix.example');
    h.net.receiveInRoom(matrix.id, '!room:matrix.example', 'Maintainers', { address: '@dev:matrix.example' }, 'release?');
    await h.core.ingest.idle();
    const [room] = (await h.core.call('conversations.list', {})).items;
    expect(room).toMatchObject({ kind: 'group', accountId: matrix.id, left: false });
    await expectApiError(h.core.call('groups.members', { conversationId: room!.id }), 'unavailable', /cannot show or change the members/);
  });

  it('picks, when no account is named, the first account that can make groups and reaches everyone', async () => {
    const { h, ada } = await withFriends();
    const second = await h.addAccount('native', 'second-native');
    h.net.receive(second.id, { address: 'hedy-key', displayName: 'Hedy Lamarr' }, 'hello', { sentAt: 4_000 });
    await h.core.ingest.idle();
    const hedy = (await h.core.call('conversations.list', {})).items.find((c) => c.title === 'Hedy Lamarr')!.contactId!;
    const made = await h.core.call('groups.create', { name: 'Radio', contactIds: [hedy] });
    expect(made.accountId).toBe(second.id);
    await expectApiError(h.core.call('groups.create', { name: 'Split', contactIds: [hedy, ada] }), 'bad-request', /Hedy Lamarr has no encrypted chat|Ada Lovelace has no encrypted chat/);
  });

  it('two test accounts: the member hears the group at once and hears it when removed', async () => {
    h = await makeHarness();
    const me = await h.addAccount('native', 'me-native');
    const friend = await h.addAccount('native', 'friend-native');
    const invite = await h.core.call('invites.create', { accountId: me.id, kind: 'one-use' });
    await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    await h.core.ingest.idle();
    const friendContact = (await h.core.call('contacts.list', { accountId: me.id }))[0]!;
    expect(friendContact.displayName).toBe('friend-native');
    const made = await h.core.call('groups.create', { accountId: me.id, name: 'Pair', contactIds: [friendContact.id] });
    await h.core.ingest.idle();
    const atFriend = (await groups(h)).find((g) => g.accountId === friend.id)!;
    expect(atFriend).toMatchObject({ title: 'Pair', left: false });
    expect(atFriend.id).not.toBe(made.id);
    await h.core.call('groups.setMembers', { conversationId: made.id, contactIds: [] });
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.get', { conversationId: atFriend.id })).left).toBe(true);
    expect((await h.core.call('groups.members', { conversationId: made.id })).map((m) => m.isSelf)).toEqual([true]);
  });
});

describe('contacts.list', () => {
  it('lists the people the user chats with, by name, per account, filtered by a query', async () => {
    const { h, native, email, ada, grace, linus } = await withFriends();
    h.net.receive(native.id, { address: 'stranger-key', displayName: 'A Stranger' }, 'hello?', { request: true });
    h.net.receiveInRoom(native.id, 'room-5', 'Club', { address: 'member:abc', displayName: 'Only In A Group' }, 'hi all');
    await h.core.ingest.idle();
    const all = await h.core.call('contacts.list', {});
    expect(all).toEqual([
      { id: ada, displayName: 'Ada Lovelace', protocols: ['native'] },
      { id: grace, displayName: 'Grace Hopper', protocols: ['native'] },
      { id: linus, displayName: 'Linus Pauling', protocols: ['email'] },
    ]);
    expect((await h.core.call('contacts.list', { accountId: native.id })).map((c) => c.id)).toEqual([ada, grace]);
    expect((await h.core.call('contacts.list', { accountId: email.id })).map((c) => c.id)).toEqual([linus]);
    expect((await h.core.call('contacts.list', { query: 'hop' })).map((c) => c.id)).toEqual([grace]);
    expect(await h.core.call('contacts.list', { query: '100%_' })).toEqual([]);
    expect(await h.core.call('contacts.list', { limit: 1 })).toHaveLength(1);
  });
});

describe('invites.accept on an existing request', () => {
  it('tells the adapter the request was accepted, as accepting it in the conversation does', async () => {
    h = await makeHarness();
    const me = await h.addAccount('native', 'me-native');
    const friend = await h.addAccount('native', 'friend-native');
    h.net.receive(friend.id, { address: 'me-native' }, 'let me in', { request: true });
    await h.core.ingest.idle();
    const invite = await h.core.call('invites.create', { accountId: me.id, kind: 'one-use' });
    const conv = await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    expect(conv.request).toBe(false);
    expect(h.net.accepted).toEqual([{ accountId: friend.id, conversation: { kind: 'direct', peer: { address: 'me-native', displayName: 'me-native' } } }]);
    // Accepting an invite from someone already accepted tells nobody again.
    const again = await h.core.call('invites.create', { accountId: me.id, kind: 'one-use' });
    await h.core.call('invites.accept', { accountId: friend.id, link: again.link });
    expect(h.net.accepted).toHaveLength(1);
  });
});
