/**
 * What core tells adapters and hears from them besides messages: `messagesStored` after each
 * commit, `changed` events, the `request` flag, and the durable state store.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recentLogLines } from '../../core/log/logger.ts';
import { DB_FILE } from '../../core/store/open.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
let lock: Database.Database | null = null;
afterEach(async () => {
  lock?.close();
  lock = null;
  await h?.cleanup();
  h = undefined;
});

const logged = (text: string): number => recentLogLines.filter((l) => l.includes(text)).length;

describe('messagesStored', () => {
  it('is called after the commit with every message of the batch, the ones already stored included', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    await h.core.ingest.idle();
    h.net.receive(email.id, { address: 'ada@example.com' }, 'first', { remoteId: 'r1' });
    await h.core.ingest.idle();
    expect(h.net.stored).toEqual([{ accountId: email.id, remoteIds: ['r1'] }]);

    const db = h.core.ctx.db;
    const adapter = h.net.adapter(email.id);
    const seen: { inTransaction: boolean; storedRows: number }[] = [];
    const original = adapter.messagesStored.bind(adapter);
    vi.spyOn(adapter, 'messagesStored').mockImplementation((ids) => {
      // The rows are committed by now: another connection sees them.
      const reader = new Database(join(h!.dir, DB_FILE), { readonly: true });
      const storedRows = reader
        .prepare(`SELECT count(*) FROM messages WHERE remote_id IN (${ids.map(() => '?').join(',')})`)
        .pluck()
        .get(...ids) as number;
      reader.close();
      seen.push({ inTransaction: db.inTransaction, storedRows });
      original(ids);
    });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'first again', { remoteId: 'r1' });
    h.net.receive(email.id, { address: 'bob@example.com' }, 'second', { remoteId: 'r2' });
    h.net.receive(email.id, { address: 'bob@example.com' }, 'second twice', { remoteId: 'r2' });
    await h.core.ingest.idle();
    expect(h.net.stored[1]).toEqual({ accountId: email.id, remoteIds: ['r1', 'r2', 'r2'] });
    expect(seen).toEqual([{ inTransaction: false, storedRows: 2 }]);
    expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(2);
  });

  it('tells each account about its own messages only', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    const native = await h.addAccount('native', 'me-native');
    await h.core.ingest.idle();
    h.net.receive(email.id, { address: 'ada@example.com' }, 'mail', { remoteId: 'e1' });
    h.net.receive(native.id, { address: 'ada-key' }, 'native', { remoteId: 'n1' });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'mail 2', { remoteId: 'e2' });
    await h.core.ingest.idle();
    const byAccount = (id: string) => h!.net.stored.filter((s) => s.accountId === id).flatMap((s) => s.remoteIds);
    expect(byAccount(email.id)).toEqual(['e1', 'e2']);
    expect(byAccount(native.id)).toEqual(['n1']);
  });

  it('is not called while the batch cannot be written, and is called once it is', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    await h.core.ingest.idle();
    h.core.ctx.db.pragma('busy_timeout = 0');
    lock = new Database(join(h.dir, DB_FILE));
    lock.exec('BEGIN IMMEDIATE');
    const retriesBefore = logged('batch not written; will retry');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'held', { remoteId: 'held-1' });
    await until(() => logged('batch not written; will retry') >= retriesBefore + 2, 'two failed attempts');
    expect(h.net.stored).toEqual([]);
    lock.exec('ROLLBACK');
    h.core.ctx.db.pragma('busy_timeout = 5000');
    await until(() => h!.core.ingest.pending === 0, 'the held batch written');
    expect(h.net.stored).toEqual([{ accountId: email.id, remoteIds: ['held-1'] }]);
  });

  it('leaves out a message that failed to store, so the server delivers it again', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    await h.core.ingest.idle();
    h.core.ctx.db.exec(`CREATE TEMP TRIGGER poison BEFORE INSERT ON main.messages WHEN NEW.body = 'poison'
                        BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END`);
    h.net.receive(email.id, { address: 'ada@example.com' }, 'fine', { remoteId: 'ok-1' });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'poison', { remoteId: 'bad-1' });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'fine too', { remoteId: 'ok-2' });
    await h.core.ingest.idle();
    expect(h.net.stored.flatMap((s) => s.remoteIds)).toEqual(['ok-1', 'ok-2']);
  });

  it('an adapter that throws from it is logged; ingest and later batches go on', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    await h.core.ingest.idle();
    h.net.failMessagesStored = true;
    const before = logged('adapter failed on messagesStored');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'one', { remoteId: 'a1' });
    await h.core.ingest.idle();
    expect(logged('adapter failed on messagesStored')).toBe(before + 1);
    expect(h.events.some((e) => e.type === 'message.added' && e.message.text === 'one')).toBe(true);
    h.net.failMessagesStored = false;
    h.net.receive(email.id, { address: 'ada@example.com' }, 'two', { remoteId: 'a2' });
    await h.core.ingest.idle();
    expect(h.core.ctx.db.prepare('SELECT body FROM messages ORDER BY seq').pluck().all()).toEqual(['one', 'two']);
    expect(h.net.stored).toEqual([{ accountId: email.id, remoteIds: ['a2'] }]);
  });
});

describe("'changed' events", () => {
  it('invites → invites.changed; quarantine → quarantine.changed with the count held', async () => {
    h = await makeHarness();
    const inviter = await h.addAccount('native', 'me-native');
    const friend = await h.addAccount('native', 'friend-native');
    await h.core.ingest.idle();
    const invite = await h.core.call('invites.create', { accountId: inviter.id, kind: 'multi-use', uses: 5 });
    h.events.length = 0;
    await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    await h.core.ingest.idle();
    expect(h.events).toContainEqual({ type: 'invites.changed', accountId: inviter.id });

    h.net.quarantineAccepts = true;
    const third = await h.addAccount('native', 'third-native');
    await h.core.call('invites.accept', { accountId: third.id, link: invite.shortLink! });
    await h.core.ingest.idle();
    expect(h.events).toContainEqual({ type: 'quarantine.changed', accountId: inviter.id, count: 1 });
  });

  it('identity → contact.updated for the account\'s contacts and fresh padlocks', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(native.id, { address: 'ada-key', displayName: 'Ada' }, 'hi');
    h.net.receive(native.id, { address: 'bob-key', displayName: 'Bob' }, 'hi');
    h.net.receive(email.id, { address: 'cy@example.com' }, 'hi');
    await h.core.ingest.idle();
    const convs = (await h.core.call('conversations.list', {})).items;
    const ada = convs.find((c) => c.title === 'Ada')!;
    const bob = convs.find((c) => c.title === 'Bob')!;
    const cy = convs.find((c) => c.title === 'cy@example.com')!;
    h.events.length = 0;
    h.net.changeKey('ada-key');
    await h.core.ingest.idle();
    const updatedContacts = h.events.flatMap((e) => (e.type === 'contact.updated' ? [e.contactId] : []));
    expect(new Set(updatedContacts)).toEqual(new Set([ada.contactId, bob.contactId]));
    expect(updatedContacts).not.toContain(cy.contactId);
    // Every padlock reached through the account is re-announced, not only the one whose facts moved.
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === bob.id)).toBe(true);
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === cy.id)).toBe(false);
    const adaNow = h.events.filter((e) => e.type === 'conversation.updated' && e.conversation.id === ada.id).at(-1);
    expect(ada.rating.colour).toBe('green');
    expect(adaNow?.type === 'conversation.updated' && adaNow.conversation.rating.colour).toBe('red');
    expect(adaNow?.type === 'conversation.updated' && adaNow.conversation.rating.summary).toMatch(/key has changed/);
  });

  it('a malformed changed event is refused at the edge', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    await h.core.ingest.idle();
    const before = logged('adapter event refused');
    h.net.adapter(native.id).emitRaw({ type: 'changed', accountId: native.id, topic: 'everything' });
    h.net.adapter(native.id).emitRaw({ type: 'changed', accountId: native.id, topic: 'invites', extra: 1 });
    expect(logged('adapter event refused')).toBe(before + 2);
    expect(h.core.ingest.pending).toBe(0);
  });
});

describe('the request flag', () => {
  it('makes a new conversation a request; an existing one stays where it is', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'known-key', displayName: 'Known' }, 'hello', { sentAt: 1_000 });
    await h.core.ingest.idle();
    h.net.receive(native.id, { address: 'known-key', displayName: 'Known' }, 'again, flagged', { sentAt: 2_000, request: true });
    h.net.receive(native.id, { address: 'stranger-key', displayName: 'Stranger' }, 'hi, we have not met', { sentAt: 3_000, request: true });
    h.net.receive(native.id, { address: 'stranger-key', displayName: 'Stranger' }, 'are you there?', { sentAt: 4_000 });
    await h.core.ingest.idle();
    const inbox = (await h.core.call('conversations.list', {})).items;
    const requests = (await h.core.call('conversations.list', { folder: 'requests' })).items;
    expect(inbox.map((c) => [c.title, c.request])).toEqual([['Known', false]]);
    expect(requests.map((c) => [c.title, c.request, c.unreadCount, c.lastMessagePreview])).toEqual([['Stranger', true, 2, 'are you there?']]);
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.title === 'Stranger' && e.conversation.request)).toBe(true);
  });

  it('a new group room flagged as a request starts under Requests too', async () => {
    h = await makeHarness();
    const matrix = await h.addAccount('matrix', '@me:m.org');
    h.net.receiveInRoom(matrix.id, '!spam:m.org', 'Free stuff', { address: '@x:m.org' }, 'join us', 1_000, { request: true });
    h.net.receiveInRoom(matrix.id, '!team:m.org', 'Team', { address: '@y:m.org' }, 'standup', 2_000);
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.title)).toEqual(['Team']);
    expect((await h.core.call('conversations.list', { folder: 'requests' })).items.map((c) => c.title)).toEqual(['Free stuff']);
  });
});

describe("'peer' events", () => {
  it('make the contact and an empty conversation exist at once; a flagged new one is a request; an existing one is kept', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(native.id, { address: 'old-key', displayName: 'Old friend' }, 'we go back', { sentAt: 1_000 });
    await h.core.ingest.idle();
    const adapter = h.net.adapter(native.id);
    const storedBefore = h.net.stored.length;
    h.events.length = 0;
    adapter.emitRaw({ type: 'peer', accountId: native.id, peer: { address: 'new-key', displayName: 'New friend' } });
    adapter.emitRaw({ type: 'peer', accountId: native.id, peer: { address: 'stranger-key', displayName: 'Stranger' }, request: true });
    adapter.emitRaw({ type: 'peer', accountId: native.id, peer: { address: 'old-key' }, request: true });
    await h.core.ingest.idle();
    const inbox = (await h.core.call('conversations.list', {})).items;
    expect(inbox.map((c) => [c.title, c.request, c.lastMessagePreview])).toEqual([
      ['New friend', false, null],
      ['Old friend', false, 'we go back'],
    ]);
    const requests = (await h.core.call('conversations.list', { folder: 'requests' })).items;
    expect(requests.map((c) => [c.title, c.unreadCount])).toEqual([['Stranger', 0]]);
    const announced = h.events.flatMap((e) => (e.type === 'conversation.updated' ? [e.conversation.title] : []));
    expect(new Set(announced)).toEqual(new Set(['New friend', 'Stranger', 'Old friend']));
    // Nothing to acknowledge: no message came.
    expect(h.net.stored).toHaveLength(storedBefore);
    // Their first message joins the same conversation.
    h.net.receive(native.id, { address: 'new-key' }, 'hello at last');
    await h.core.ingest.idle();
    const after = (await h.core.call('conversations.list', {})).items;
    expect(after[0]).toMatchObject({ id: inbox[0]!.id, lastMessagePreview: 'hello at last' });
    expect(after).toHaveLength(2);
  });

  it('a malformed peer event is refused at the edge', async () => {
    h = await makeHarness();
    const native = await h.addAccount('native', 'me-native');
    await h.core.ingest.idle();
    const before = logged('adapter event refused');
    h.net.adapter(native.id).emitRaw({ type: 'peer', accountId: native.id, peer: { address: '' } });
    h.net.adapter(native.id).emitRaw({ type: 'peer', accountId: native.id });
    expect(logged('adapter event refused')).toBe(before + 2);
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.list', {})).items).toEqual([]);
  });
});

describe('adapter state', () => {
  it('each adapter gets a durable store of its own, kept across restarts and removed with the account', async () => {
    h = await makeHarness();
    const a = await h.addAccount('native', 'me-native');
    const b = await h.addAccount('native', 'other-native');
    h.net.adapter(a.id).state!.write([{ ns: 'keys', key: 'identity', value: new Uint8Array([1, 2, 3]) }]);
    h.net.adapter(b.id).state!.write([{ ns: 'keys', key: 'identity', value: new Uint8Array([9]) }]);
    await h.restart();
    expect(h.net.adapter(a.id).state!.get('keys', 'identity')).toEqual(new Uint8Array([1, 2, 3]));
    expect(h.net.adapter(b.id).state!.list('keys')).toEqual([['identity', new Uint8Array([9])]]);
    await h.core.call('accounts.remove', { accountId: a.id });
    const rows = h.core.ctx.db.prepare('SELECT account_id FROM adapter_state').pluck().all();
    expect(rows).toEqual([b.id]);
  });
});
