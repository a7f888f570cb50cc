/**
 * Matrix through the whole core, against a real Synapse: Switchboard profiles whose Matrix accounts
 * were added through the api (the password becomes a token and a device; it is not kept) write to
 * each other in an encrypted direct room (a first message is a request at the other end), share an
 * encrypted group room with three members (invitation → request → join), see another client's
 * edits and deletions, survive Synapse restarting under them without losing or doubling anything,
 * and skip malformed events with a reason while the room keeps working. Removing the account logs
 * its device out.
 */
import { EventType, MsgType, Preset, RelationType } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMatrixAdapter } from '../../adapters/matrix/adapter.ts';
import { createMatrixSetup } from '../../adapters/matrix/setup.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import { startSynapse, type MatrixAccount, type TestSynapse } from '../servers/synapse.ts';
import { matrixApi, MatrixPeer } from '../support/matrix-accounts.ts';
import { localKeySecretBox, openSecrets } from '../../core/secrets/secret-box.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

const registry = (): AdapterRegistry => new AdapterRegistry().register('matrix', createMatrixAdapter, createMatrixSetup());

let server: TestSynapse;
const cleanup: (() => Promise<void>)[] = [];

interface Profile {
  h: Harness;
  account: Account;
  user: MatrixAccount;
}

async function profile(user: MatrixAccount, name: string): Promise<Profile> {
  const h = await makeHarness({ registry: registry() });
  cleanup.push(() => h.cleanup());
  const account = await h.core.call('accounts.add', {
    protocol: 'matrix',
    address: user.userId,
    displayName: name,
    settings: { homeserver: server.baseUrl },
    secrets: { password: user.password },
  });
  await until(() => h.core.ctx.accounts.isAvailable(account.id), `${name} online`, 30_000);
  return { h, account, user };
}

async function find(p: Profile, match: (c: ConversationSummary) => boolean, what: string, folder: 'inbox' | 'requests' = 'inbox'): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await until(
    async () => {
      found = (await p.h.core.call('conversations.list', { folder })).items.find(match);
      return !!found;
    },
    `${what} in ${folder} at ${p.account.displayName}`,
    20_000,
  );
  return found!;
}

const page = async (p: Profile, conversationId: string) => (await p.h.core.call('messages.page', { conversationId, limit: 100 })).items;
const texts = async (p: Profile, conversationId: string): Promise<string[]> => (await page(p, conversationId)).map((m) => m.text);

async function eventually(p: Profile, conversationId: string, want: (t: string[]) => boolean, what: string): Promise<void> {
  await until(async () => want(await texts(p, conversationId)), what, 20_000).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify(await texts(p, conversationId))}`);
  });
}

const once = (t: string[], x: string) => t.filter((y) => y === x).length === 1;

let ada: Profile;
let bob: Profile;
let carol: Profile;
let atAda: ConversationSummary;
let atBob: ConversationSummary;

beforeAll(async () => {
  server = await startSynapse({
    users: [
      { name: 'ada', password: 'pw-ada-core' },
      { name: 'bob', password: 'pw-bob-core' },
      { name: 'carol', password: 'pw-carol-core' },
    ],
  });
  cleanup.push(() => server.stop());
  const [a, b, c] = server.users as [MatrixAccount, MatrixAccount, MatrixAccount];
  ada = await profile(a, 'Ada');
  bob = await profile(b, 'Bob');
  carol = await profile(c, 'Carol');
}, 90_000);
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('Matrix through core', () => {
  it('keeps a token and a device for the account, never the password', () => {
    // What the profile holds, opened with the profile's key: the login, not the password.
    const sealed = ada.h.core.ctx.db.prepare('SELECT secrets FROM accounts WHERE id = ?').pluck().get(ada.account.id) as string;
    const kept = openSecrets(localKeySecretBox(ada.h.dir), sealed);
    expect(Object.keys(kept).sort()).toEqual(['accessToken', 'deviceId']);
    expect(Object.values(kept)).not.toContain(ada.user.password);
  });

  it('a first message makes an encrypted direct chat; it is a request at the other end; the answer comes back', async () => {
    atAda = await ada.h.core.call('conversations.start', { protocol: 'matrix', address: bob.user.userId, displayName: 'Bob' });
    await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'Hi Bob, Ada here.' });
    atBob = await find(bob, (c) => c.kind === 'direct', 'the request', 'requests');
    await bob.h.core.call('conversations.acceptRequest', { conversationId: atBob.id });
    await eventually(bob, atBob.id, (t) => once(t, 'Hi Bob, Ada here.'), 'the message at Bob, decrypted');
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'Hello Ada!' });
    await eventually(ada, atAda.id, (t) => once(t, 'Hello Ada!'), 'the answer at Ada');
    const summary = await ada.h.core.call('conversations.get', { conversationId: atAda.id });
    const e2e = summary.rating.reasons.find((r) => r.criterion === 'end-to-end');
    expect(e2e?.passed).toBe(true);
    // Ada's own message is stored once: its echo joined the outbox row.
    expect((await texts(ada, atAda.id)).filter((t) => t === 'Hi Bob, Ada here.')).toHaveLength(1);
    // Bob reads: his read receipt (an encrypted, green route: allowed by default) marks Ada's message read.
    await bob.h.core.call('conversations.markRead', { conversationId: atBob.id });
    await until(async () => (await page(ada, atAda.id)).some((m) => m.text === 'Hi Bob, Ada here.' && m.status === 'read'), 'read at Ada', 20_000);
  }, 60_000);

  describe('a group room with three members', () => {
    let room: ConversationSummary;
    let roomId: string;
    let atBobRoom: ConversationSummary;
    let atCarolRoom: ConversationSummary;

    it('Ada makes an encrypted room for Bob and Carol: their invitations are requests; accepting joins', async () => {
      const carolAtAda = await ada.h.core.call('conversations.start', { protocol: 'matrix', address: carol.user.userId, displayName: 'Carol' });
      room = await ada.h.core.call('groups.create', { accountId: ada.account.id, name: 'Book club', contactIds: [atAda.contactId!, carolAtAda.contactId!] });
      expect(room.kind).toBe('group');
      roomId = ada.h.core.ctx.db.prepare('SELECT remote_id FROM conversations WHERE id = ?').pluck().get(room.id) as string;
      atBobRoom = await find(bob, (c) => c.kind === 'group', 'the room invitation', 'requests');
      atCarolRoom = await find(carol, (c) => c.kind === 'group', 'the room invitation', 'requests');
      expect((await texts(carol, atCarolRoom.id)).join()).toMatch(/invited you to Book club/);
      await bob.h.core.call('conversations.acceptRequest', { conversationId: atBobRoom.id });
      await carol.h.core.call('conversations.acceptRequest', { conversationId: atCarolRoom.id });
      await until(async () => (await ada.h.core.call('groups.members', { conversationId: room.id })).length === 3, 'three members', 20_000);
    }, 60_000);

    it('all three hear each other, each message once', async () => {
      await until(
        async () =>
          (await bob.h.core.call('groups.members', { conversationId: atBobRoom.id })).some((m) => m.isSelf) &&
          (await carol.h.core.call('groups.members', { conversationId: atCarolRoom.id })).some((m) => m.isSelf),
        'both joined',
        20_000,
      );
      await ada.h.core.call('messages.send', { conversationId: room.id, text: 'Welcome to the book club.' });
      await bob.h.core.call('messages.send', { conversationId: atBobRoom.id, text: 'Hello from Bob.' });
      await carol.h.core.call('messages.send', { conversationId: atCarolRoom.id, text: 'Hello from Carol.' });
      for (const [p, id] of [[ada, room.id], [bob, atBobRoom.id], [carol, atCarolRoom.id]] as const) {
        await eventually(p, id, (t) => ['Welcome to the book club.', 'Hello from Bob.', 'Hello from Carol.'].every((x) => once(t, x)), `every message once at ${p.account.displayName}`);
      }
    }, 60_000);

    it('an edit and a deletion made on another client show: the new text marked edited, then "deleted"', async () => {
      const bobPhone = new MatrixPeer(server, bob.user);
      await bobPhone.start();
      try {
        const original = await bobPhone.send(roomId, 'Meeting on Tuesdy');
        await eventually(carol, atCarolRoom.id, (t) => t.includes('Meeting on Tuesdy'), 'the typo at Carol');
        await bobPhone.client.sendEvent(roomId, EventType.RoomMessage, {
          msgtype: MsgType.Text,
          body: '* Meeting on Tuesday',
          'm.new_content': { msgtype: MsgType.Text, body: 'Meeting on Tuesday' },
          'm.relates_to': { rel_type: RelationType.Replace, event_id: original },
        });
        for (const [p, id] of [[ada, room.id], [carol, atCarolRoom.id]] as const) {
          await until(async () => (await page(p, id)).some((m) => m.text === 'Meeting on Tuesday' && m.editedAt !== null), `the edit at ${p.account.displayName}`, 20_000);
          expect(await texts(p, id)).not.toContain('Meeting on Tuesdy');
          expect(await texts(p, id)).not.toContain('* Meeting on Tuesday');
        }
        await bobPhone.client.redactEvent(roomId, original);
        for (const [p, id] of [[ada, room.id], [carol, atCarolRoom.id]] as const) {
          await until(async () => (await page(p, id)).some((m) => m.deleted), `the deletion at ${p.account.displayName}`, 20_000);
          const deleted = (await page(p, id)).find((m) => m.deleted)!;
          expect(deleted.text).toBe('');
          expect(await texts(p, id)).not.toContain('Meeting on Tuesday');
        }
      } finally {
        await bobPhone.stop();
      }
    }, 60_000);

    it('malformed events are skipped with a reason; the room keeps working', async () => {
      const token = (await matrixApi<{ access_token: string }>(server, '', 'POST', '/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: carol.user.userId },
        password: carol.user.password,
      }).catch(() => null))?.access_token;
      expect(token).toBeTypeOf('string');
      const put = (type: string, content: unknown) =>
        matrixApi(server, token!, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/${type}/bad-${Math.random().toString(36).slice(2)}`, content);
      const welcome = (await page(carol, atCarolRoom.id)).find((m) => m.text === 'Welcome to the book club.');
      expect(welcome).toBeDefined();
      const welcomeId = (ada.h.core.ctx.db.prepare("SELECT remote_id FROM messages WHERE body = 'Welcome to the book club.'").pluck().get() as string | null) ?? '';
      expect(welcomeId).toMatch(/^\$/);
      // Synapse itself refuses non-string types and numbers outside canonical JSON (floats, beyond 2^53):
      await expect(put('m.room.message', { msgtype: { nested: true }, body: 'x' })).rejects.toThrow(/400/);
      await expect(put('m.room.message', { msgtype: 'm.text', body: 'float', n: 1.5 })).rejects.toThrow(/400/);
      // What it lets through must not hurt: an edit whose new content is a list, a forged edit of
      // someone else's message, a body near the size limit with nonsense formatting fields.
      await put('m.room.message', { msgtype: 'm.text', body: '* bad', 'm.new_content': [], 'm.relates_to': { rel_type: 'm.replace', event_id: welcomeId } });
      await put('m.room.message', {
        msgtype: 'm.text',
        body: '* forged',
        'm.new_content': { msgtype: 'm.text', body: 'Carol rewrote Ada' },
        'm.relates_to': { rel_type: 'm.replace', event_id: welcomeId },
      });
      await put('m.room.message', { msgtype: 'm.text', body: 'y'.repeat(60_000), format: 12, formatted_body: ['z'] });
      await put('m.room.message', { msgtype: 'm.text', body: 'Still here after the junk.' });
      await eventually(ada, room.id, (t) => t.includes('Still here after the junk.'), 'the good message after the junk');
      const t = await texts(ada, room.id);
      expect(t.some((x) => x.startsWith('yyyy'))).toBe(true);
      expect(t).toContain('Welcome to the book club.');
      expect(t).not.toContain('Carol rewrote Ada');
      expect(t.filter((x) => x.startsWith('* '))).toEqual([]);
    }, 60_000);

    it('a bridge in the room turns it red, naming the bridge, whatever its encryption', async () => {
      const before = await carol.h.core.call('conversations.get', { conversationId: atCarolRoom.id });
      expect(before.rating.colour).not.toBe('red');
      const adaToken = ada.h.core.ctx.accounts.view(ada.account.id) ? await freshToken(ada.user) : '';
      await matrixApi(server, adaToken, 'PUT', `/rooms/${encodeURIComponent(roomId)}/state/m.bridge/telegram`, {
        bridgebot: '@telegrambot:synapse.test',
        protocol: { id: 'telegram', displayname: 'Telegram' },
      });
      await until(async () => (await carol.h.core.call('conversations.get', { conversationId: atCarolRoom.id })).rating.colour === 'red', 'red at Carol', 20_000);
      const after = await carol.h.core.call('conversations.get', { conversationId: atCarolRoom.id });
      expect(after.rating.reasons.map((r) => r.text).join(' ')).toMatch(/Telegram/);
    }, 30_000);

    it('Synapse restarts under the connected accounts: sync resumes, nothing lost or doubled', async () => {
      await ada.h.core.call('messages.send', { conversationId: room.id, text: 'Before the restart.' });
      await eventually(bob, atBobRoom.id, (t) => once(t, 'Before the restart.'), 'before the restart at Bob');
      await server.restart();
      await bob.h.core.call('messages.send', { conversationId: atBobRoom.id, text: 'After the restart.' });
      for (const [p, id] of [[ada, room.id], [carol, atCarolRoom.id]] as const) {
        await eventually(p, id, (t) => once(t, 'After the restart.') && once(t, 'Before the restart.') && once(t, 'Welcome to the book club.'), `after the restart at ${p.account.displayName}`);
      }
    }, 90_000);
  });

  it('older history comes from the homeserver when the user scrolls past what is stored', async () => {
    const bobPhone = new MatrixPeer(server, bob.user);
    await bobPhone.start();
    try {
      const { room_id } = await bobPhone.client.createRoom({ name: 'History club', invite: [ada.user.userId] });
      const sent = Array.from({ length: 30 }, (_, i) => `h${i + 1}`);
      for (const text of sent) await bobPhone.client.sendEvent(room_id, EventType.RoomMessage, { msgtype: MsgType.Text, body: text });
      const atAdaRoom = await find(ada, (c) => c.title === 'History club', 'the history club invitation', 'requests');
      await ada.h.core.call('conversations.acceptRequest', { conversationId: atAdaRoom.id });
      await eventually(ada, atAdaRoom.id, (t) => t.includes('h30'), 'the newest at Ada');
      // Joining brings only the newest few: the rest is one scroll (or a few) away.
      expect((await texts(ada, atAdaRoom.id)).filter((t) => sent.includes(t)).length).toBeLessThan(30);
      let more = true;
      for (let i = 0; i < 10 && more; i++) ({ more } = await ada.h.core.call('conversations.fetchHistory', { conversationId: atAdaRoom.id }));
      expect(more).toBe(false);
      await eventually(ada, atAdaRoom.id, (t) => sent.every((x) => once(t, x)), 'every message once, after fetching history');
      const unread = (await ada.h.core.call('conversations.get', { conversationId: atAdaRoom.id })).unreadCount;
      expect(unread).toBeLessThan(30);
    } finally {
      await bobPhone.stop();
    }
  }, 60_000);

  it('joins a public room by its alias under a chosen nickname', async () => {
    const bobPhone = new MatrixPeer(server, bob.user);
    await bobPhone.start();
    try {
      const { room_id } = await bobPhone.client.createRoom({ name: 'Lounge', room_alias_name: 'lounge', preset: Preset.PublicChat });
      const bad = ada.h.core.call('groups.join', { accountId: ada.account.id, address: 'lounge', nickname: 'Ada L' });
      await expect(bad).rejects.toThrow(/not a Matrix room address/);
      const lounge = await ada.h.core.call('groups.join', { accountId: ada.account.id, address: '#lounge:synapse.test', nickname: 'Ada L' });
      expect(lounge.title).toBe('Lounge');
      await until(
        async () => (await ada.h.core.call('groups.members', { conversationId: lounge.id })).some((m) => m.isSelf && m.displayName === 'Ada L'),
        'Ada in the lounge as Ada L',
        20_000,
      );
      await bobPhone.send(room_id, 'Welcome to the lounge.');
      await eventually(ada, lounge.id, (t) => once(t, 'Welcome to the lounge.'), 'the lounge message at Ada');
    } finally {
      await bobPhone.stop();
    }
  }, 60_000);

  it('removing the account logs its device out at the homeserver', async () => {
    const devices = async () =>
      (await matrixApi<{ devices: { display_name?: string }[] }>(server, (await freshToken(carol.user)), 'GET', '/devices')).devices.filter((d) => d.display_name === 'Switchboard');
    expect(await devices()).toHaveLength(1);
    await carol.h.core.call('accounts.remove', { accountId: carol.account.id });
    expect(await devices()).toHaveLength(0);
  }, 30_000);
});

async function freshToken(user: MatrixAccount): Promise<string> {
  const res = await matrixApi<{ access_token: string }>(server, '', 'POST', '/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: user.userId },
    password: user.password,
    initial_device_display_name: 'test check',
  });
  return res.access_token;
}
