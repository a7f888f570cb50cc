/**
 * XMPP through the whole core, against a real Prosody: Switchboard profiles with XMPP accounts
 * added through the api write to each other (a stranger's first message and subscription request
 * wait as a request; accepting it shares presence both ways), see each other online and offline,
 * get receipts and typing under the receipts policy, and share a MUC room with three members
 * (invitation, join by address with the room's history, nickname, leave, a members-only refusal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createXmppAdapter } from '../../adapters/xmpp/adapter.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { xmppAccountConfig } from '../support/xmpp-accounts.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

const registry = (): AdapterRegistry => new AdapterRegistry().register('xmpp', createXmppAdapter);

let server: TestProsody;
const cleanup: (() => Promise<void>)[] = [];

interface Profile {
  h: Harness;
  account: Account;
  user: XmppAccount;
}

async function profile(user: XmppAccount, name: string): Promise<Profile> {
  const h = await makeHarness({ registry: registry() });
  cleanup.push(() => h.cleanup());
  const { settings } = xmppAccountConfig(server, user);
  const account = await h.core.call('accounts.add', { protocol: 'xmpp', address: user.jid, displayName: name, settings, secrets: { password: user.password } });
  await until(() => h.core.ctx.accounts.isAvailable(account.id), `${name} online`, 15_000);
  return { h, account, user };
}

async function find(p: Profile, title: string, folder: 'inbox' | 'requests' = 'inbox'): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await until(
    async () => {
      found = (await p.h.core.call('conversations.list', { folder })).items.find((c) => c.title === title);
      return !!found;
    },
    `${title} in ${folder}`,
    15_000,
  );
  return found!;
}

const texts = async (p: Profile, conversationId: string): Promise<string[]> =>
  (await p.h.core.call('messages.page', { conversationId, limit: 100 })).items.map((m) => m.text);

const presenceOf = async (p: Profile, conversationId: string) => (await p.h.core.call('conversations.get', { conversationId })).presence;

let ada: Profile;
let bob: Profile;
let carol: Profile;
let atAda: ConversationSummary;
let atBob: ConversationSummary;

beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'pw-ada' }, { name: 'bob', password: 'pw-bob' }, { name: 'carol', password: 'pw-carol' }] });
  cleanup.push(() => server.stop());
  const [a, b, c] = server.users as [XmppAccount, XmppAccount, XmppAccount];
  ada = await profile(a, 'Ada');
  bob = await profile(b, 'Bob');
  carol = await profile(c, 'Carol');
}, 60_000);
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('XMPP through core', () => {
  it('a first message from a stranger is a request; nobody sees anyone online before it is accepted', async () => {
    atAda = await ada.h.core.call('conversations.start', { protocol: 'xmpp', address: bob.user.jid, displayName: 'Bob' });
    expect(atAda.rating.colour).toBe('red');
    await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'Hi Bob, Ada here.' });
    // The subscription request and the message may come in either order: one request either way.
    atBob = await find(bob, ada.user.jid, 'requests');
    await until(async () => (await texts(bob, atBob.id)).length > 0, 'the message at Bob', 15_000);
    expect(await texts(bob, atBob.id)).toEqual(['Hi Bob, Ada here.']);
    expect((await bob.h.core.call('conversations.list', { folder: 'requests' })).items).toHaveLength(1);
    // Ada asked to see Bob's presence when she wrote; Bob has not said yes: not "offline", unknown.
    expect(await presenceOf(ada, atAda.id)).toBeNull();
    expect(await presenceOf(bob, atBob.id)).toBeNull();
  });

  it('accepting shares presence both ways: each sees the other online, then offline when they go', async () => {
    await bob.h.core.call('conversations.acceptRequest', { conversationId: atBob.id });
    await until(async () => (await presenceOf(ada, atAda.id)) === 'available', 'Ada sees Bob online', 15_000);
    await until(async () => (await presenceOf(bob, atBob.id)) === 'available', 'Bob sees Ada online', 15_000);
    const contact = await ada.h.core.call('contacts.get', { contactId: atAda.contactId! });
    expect(contact.routes.map((r) => [r.identity.protocol, r.presence])).toEqual([['xmpp', 'available']]);
    expect(ada.h.events.some((e) => e.type === 'contact.updated' && e.contactId === atAda.contactId)).toBe(true);
    // Bob goes offline: Ada sees it.
    await bob.h.core.ctx.accounts.stop(bob.account.id);
    await until(async () => (await presenceOf(ada, atAda.id)) === 'offline', 'Ada sees Bob offline', 15_000);
    bob.h.core.ctx.accounts.start((bob.h.core.ctx.db.prepare('SELECT * FROM accounts WHERE id = ?').get(bob.account.id)) as never);
    await until(() => bob.h.core.ctx.accounts.isAvailable(bob.account.id), 'Bob online again', 15_000);
    await until(async () => (await presenceOf(ada, atAda.id)) === 'available', 'Ada sees Bob back', 15_000);
  });

  it('the answer lands in the same conversation, in the inbox; read receipts and typing only once allowed', async () => {
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'Hi Ada!' });
    await until(async () => (await texts(ada, atAda.id)).includes('Hi Ada!'), 'the answer at Ada', 15_000);
    expect((await ada.h.core.call('conversations.get', { conversationId: atAda.id })).request).toBe(false);

    // A red route: by default Bob's reading tells Ada nothing, and nor does his typing.
    const sent = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'Did you read this?' });
    if (sent.kind !== 'queued') throw new Error('not queued');
    await until(async () => (await texts(bob, atBob.id)).includes('Did you read this?'), 'the question at Bob', 15_000);
    await bob.h.core.call('conversations.markRead', { conversationId: atBob.id });
    expect((await bob.h.core.call('conversations.typing', { conversationId: atBob.id, typing: true })).shared).toBe(false);

    // Bob allows receipts on every route: the next read and typing reach Ada.
    await bob.h.core.call('settings.set', { receiptsOnWeakRoutes: true });
    const second = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'And this one?' });
    if (second.kind !== 'queued') throw new Error('not queued');
    await until(async () => (await texts(bob, atBob.id)).includes('And this one?'), 'the second at Bob', 15_000);
    expect((await bob.h.core.call('conversations.typing', { conversationId: atBob.id, typing: true })).shared).toBe(true);
    await until(
      () => ada.h.events.some((e) => e.type === 'conversation.typing' && e.conversationId === atAda.id && e.typing && e.name === 'Bob'),
      'Ada sees Bob typing',
      10_000,
    );
    await bob.h.core.call('conversations.markRead', { conversationId: atBob.id });
    const status = async (id: string) => (await ada.h.core.call('messages.page', { conversationId: atAda.id, limit: 100 })).items.find((m) => m.id === id)?.status;
    await until(async () => (await status(second.message.id)) === 'read', 'the second message read at Ada', 10_000);
    // The first was read while receipts were off: Ada never learns of it.
    expect(await status(sent.message.id)).not.toBe('read');
  });

  describe('a group chat with three members', () => {
    let room: ConversationSummary;

    it('Ada makes a room for Bob and Carol: Bob (who knows Ada) is in at once; Carol (who does not) is told of an ignored invitation', async () => {
      const atCarol = await ada.h.core.call('conversations.start', { protocol: 'xmpp', address: carol.user.jid, displayName: 'Carol' });
      room = await ada.h.core.call('groups.create', { accountId: ada.account.id, name: 'Book club', contactIds: [atAda.contactId!, atCarol.contactId!] });
      expect(room.kind).toBe('group');
      expect(room.title).toBe('Book club');
      const atBobRoom = await find(bob, 'Book club');
      expect(atBobRoom.left).toBe(false);
      await ada.h.core.call('messages.send', { conversationId: room.id, text: 'Welcome to the book club.' });
      await until(async () => (await texts(bob, atBobRoom.id)).includes('Welcome to the book club.'), 'the welcome at Bob', 15_000);
      expect((await carol.h.core.call('conversations.list', { folder: 'inbox' })).items.some((c) => c.kind === 'group')).toBe(false);
    });

    it('Carol joins by address and gets the room history once; all three hear each other', async () => {
      const bad = carol.h.core.call('groups.join', { accountId: carol.account.id, address: 'not a room', nickname: 'carol' });
      await expect(bad).rejects.toThrow(/not a group chat address/);
      const atCarol = await carol.h.core.call('groups.join', { accountId: carol.account.id, address: roomAddress(room), nickname: 'Carol' });
      expect(atCarol.title).toBe('Book club');
      await until(async () => (await texts(carol, atCarol.id)).includes('Welcome to the book club.'), 'history at Carol', 15_000);
      await carol.h.core.call('messages.send', { conversationId: atCarol.id, text: 'Hello from Carol.' });
      const atBobRoom = await find(bob, 'Book club');
      await bob.h.core.call('messages.send', { conversationId: atBobRoom.id, text: 'Hello from Bob.' });
      for (const [p, id] of [[ada, room.id], [bob, atBobRoom.id], [carol, atCarol.id]] as const) {
        await until(async () => {
          const t = await texts(p, id);
          return ['Welcome to the book club.', 'Hello from Carol.', 'Hello from Bob.'].every((x) => t.filter((y) => y === x).length === 1);
        }, `every message once at ${p.account.displayName}`, 15_000).catch(async (e: Error) => {
          throw new Error(`${e.message}: ${JSON.stringify(await texts(p, id))}`);
        });
      }
      const members = await ada.h.core.call('groups.members', { conversationId: room.id });
      expect(members.map((m) => m.displayName).sort()).toEqual(['Bob', 'Carol', 'ada'].sort());
    });

    it('a nickname change shows on the next message; a member who leaves keeps a readable, left conversation', async () => {
      const atCarol = await find(carol, 'Book club');
      await carol.h.core.call('groups.setNickname', { conversationId: atCarol.id, nickname: 'Caz' });
      await carol.h.core.call('messages.send', { conversationId: atCarol.id, text: 'Call me Caz.' });
      await until(
        async () => (await ada.h.core.call('messages.page', { conversationId: room.id, limit: 100 })).items.some((m) => m.text === 'Call me Caz.' && m.senderName === 'Caz'),
        'Caz at Ada, under the new nickname',
        15_000,
      );
      const atBobRoom = await find(bob, 'Book club');
      const left = await bob.h.core.call('groups.leave', { conversationId: atBobRoom.id });
      expect(left.left).toBe(true);
      expect(await texts(bob, atBobRoom.id)).toContain('Hello from Carol.');
      await expect(bob.h.core.call('messages.send', { conversationId: atBobRoom.id, text: 'still here?' })).rejects.toThrow(/no longer in this group/);
    });

    it('someone who is not a member is refused by the members-only room, in words', async () => {
      const dave = await server.addUser({ name: 'dave', password: 'pw-dave' });
      const d = await profile(dave, 'Dave');
      await expect(d.h.core.call('groups.join', { accountId: d.account.id, address: roomAddress(room), nickname: 'Dave' })).rejects.toThrow(/members only/);
    });
  });
});

/** The room's address: the group conversation's remote id as Ada's core stored it. */
function roomAddress(room: ConversationSummary): string {
  const row = ada.h.core.ctx.db.prepare('SELECT remote_id FROM conversations WHERE id = ?').get(room.id) as { remote_id: string };
  return row.remote_id;
}
