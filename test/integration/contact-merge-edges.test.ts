/**
 * Merging contacts, the edges: which merge can be undone when (only the latest of either contact),
 * conversation settings and pinned routes on both sides, group rooms left alone, a send waiting for
 * its route, upgrade invites, and routes that went with a removed account.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness;
let email: Account;
let xmpp: Account;
const ADA_MAIL = { address: 'ada@example.com', displayName: 'Ada Lovelace' };
const ADA_CHAT = { address: 'ada@jabber.example', displayName: 'Ada (XMPP)' };

beforeEach(async () => {
  h = await makeHarness();
  email = await h.addAccount('email', 'me@example.org');
  xmpp = await h.addAccount('xmpp', 'me@jabber.example');
  const t = Date.now() - 600_000;
  h.net.receive(email.id, ADA_MAIL, 'mail one', { sentAt: t });
  h.net.receive(xmpp.id, ADA_CHAT, 'chat one', { sentAt: t + 60_000 });
  await h.core.ingest.idle();
});
afterEach(async () => {
  await h.cleanup();
});

const list = async (): Promise<ConversationSummary[]> => (await h.core.call('conversations.list', {})).items;
const byTitle = async (title: string): Promise<ConversationSummary> => (await list()).find((c) => c.title === title)!;
const texts = async (conversationId: string): Promise<string[]> => (await h.core.call('messages.page', { conversationId })).items.map((m) => m.text);
const get = (conversationId: string) => h.core.call('conversations.get', { conversationId });
const contactOf = (contactId: string) => h.core.call('contacts.get', { contactId });
const db = () => h.core.ctx.db;

describe('merging contacts: the edges', () => {
  it('only the latest merge of either contact can be undone; the card says which comes first', async () => {
    h.net.receive(email.id, { address: 'lovelace@example.net', displayName: 'A. Lovelace' }, 'third address');
    await h.core.ingest.idle();
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    const third = await byTitle('A. Lovelace');
    const first = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    const second = await h.core.call('contacts.merge', { fromContactId: third.contactId!, intoContactId: mail.contactId! });
    const merges = await h.core.call('contacts.merges', { contactId: mail.contactId! });
    expect(merges.map((m) => [m.displayName, m.undoBlocked])).toEqual([
      ['A. Lovelace', null],
      ['Ada (XMPP)', 'Undo the later merge of A. Lovelace into Ada Lovelace first.'],
    ]);
    await expect(h.core.call('contacts.unmerge', { mergeId: first.mergeId })).rejects.toMatchObject({
      code: 'conflict',
      message: 'Undo the later merge of A. Lovelace into Ada Lovelace first.',
    });

    // The target merged on into another contact: that merge first too.
    const third2 = await h.core.call('contacts.unmerge', { mergeId: second.mergeId });
    expect(third2.restoredConversation?.title).toBe('A. Lovelace');
    const onward = await h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: third.contactId! });
    await expect(h.core.call('contacts.unmerge', { mergeId: first.mergeId })).rejects.toThrow(/Undo the later merge of Ada Lovelace into A. Lovelace first/);
    await h.core.call('contacts.unmerge', { mergeId: onward.mergeId });
    await h.core.call('contacts.unmerge', { mergeId: first.mergeId });
    expect((await list()).map((c) => c.title).sort()).toEqual(['A. Lovelace', 'Ada (XMPP)', 'Ada Lovelace']);
    expect(await texts(chat.id)).toEqual(['chat one']);
    expect(await texts(mail.id)).toEqual(['mail one']);
    expect(await texts(third.id)).toEqual(['third address']);
  });

  it('combines the two conversations’ settings, and undo puts back each side’s own', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    await h.core.call('conversations.update', { conversationId: chat.id, pinned: true, muted: true, disappearingSeconds: 3600 });
    await h.core.call('conversations.update', { conversationId: mail.id, muted: true });
    await h.core.call('conversations.markRead', { conversationId: mail.id });
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(merged.conversation).toMatchObject({ pinned: true, muted: true, unreadCount: 1, disappearingSeconds: 0 });
    const undone = await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(undone.restoredConversation).toMatchObject({ id: chat.id, pinned: true, muted: true, disappearingSeconds: 3600, unreadCount: 1 });
    expect(await get(mail.id)).toMatchObject({ pinned: false, muted: true, unreadCount: 0 });
  });

  it('a request merged with an accepted contact is accepted; undo makes it a request again', async () => {
    h.net.receive(xmpp.id, { address: 'ada2@jabber.example', displayName: 'Ada again' }, 'hello?', { request: true });
    await h.core.ingest.idle();
    const mail = await byTitle('Ada Lovelace');
    const request = (await h.core.call('conversations.list', { folder: 'requests' })).items[0]!;
    const merged = await h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: request.contactId! });
    expect(merged.conversation).toMatchObject({ id: request.id, request: false });
    await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(await get(request.id)).toMatchObject({ request: true });
    expect(await get(mail.id)).toMatchObject({ request: false });
  });

  it('a pinned route stays pinned after the merge and goes back with its contact', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    const chatRoute = (await contactOf(chat.contactId!)).identities[0]!.id;
    await h.core.call('contacts.pinRoute', { contactId: chat.contactId!, identityId: chatRoute });
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect((await contactOf(mail.contactId!)).pinnedIdentityId).toBe(chatRoute);
    await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect((await contactOf(mail.contactId!)).pinnedIdentityId).toBeNull();
    expect((await contactOf(chat.contactId!)).pinnedIdentityId).toBe(chatRoute);
  });

  it('leaves group rooms alone: what the merged person wrote there stays there', async () => {
    h.net.receiveInRoom(xmpp.id, 'room@muc.example', 'Analytical Engine', ADA_CHAT, 'in the room');
    await h.core.ingest.idle();
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    const room = await byTitle('Analytical Engine');
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(await texts(room.id)).toEqual(['in the room']);
    expect(await texts(mail.id)).toEqual(['mail one', 'chat one']);
    h.net.receiveInRoom(xmpp.id, 'room@muc.example', 'Analytical Engine', ADA_CHAT, 'in the room again');
    await h.core.ingest.idle();
    await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(await texts(room.id)).toEqual(['in the room', 'in the room again']);
    expect(await texts(chat.id)).toEqual(['chat one']);
    expect((await list()).map((c) => c.title).sort()).toEqual(['Ada (XMPP)', 'Ada Lovelace', 'Analytical Engine']);
  });

  it('a message waiting for its route is still sent after the merge, from the merged conversation', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    h.net.adapter(xmpp.id).setStatus('offline');
    await h.core.call('messages.send', { conversationId: chat.id, text: 'when you are back', clientId: 'w-00000001' });
    const status = () => db().prepare('SELECT status FROM messages WHERE id = ?').pluck().get('w-00000001');
    expect(status()).toBe('waiting-route');
    await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    h.net.adapter(xmpp.id).setStatus('online');
    h.core.outbox.wake();
    await until(() => status() === 'sent', 'the waiting message is sent');
    expect(h.net.delivered.map((d) => d.out.text)).toEqual(['when you are back']);
    expect(await texts(mail.id)).toContain('when you are back');
  });

  it('moves the merged contact’s upgrade invites along, and back on undo', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    db().prepare(`INSERT INTO contact_invites (account_id, invite_id, contact_id, created_at) VALUES (?, 'inv-1', ?, 1)`).run(email.id, mail.contactId);
    const ownerOf = () => db().prepare(`SELECT contact_id FROM contact_invites WHERE invite_id = 'inv-1'`).pluck().get();
    const merged = await h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: chat.contactId! });
    expect(ownerOf()).toBe(chat.contactId);
    await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(ownerOf()).toBe(mail.contactId);
  });

  it('a merge whose routes all went with a removed account is no longer listed, and undo says why', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    await h.core.call('accounts.remove', { accountId: xmpp.id });
    expect((await contactOf(mail.contactId!)).merges).toEqual([]);
    await expect(h.core.call('contacts.unmerge', { mergeId: merged.mergeId })).rejects.toThrow(/None of Ada \(XMPP\)'s addresses are left/);
    expect(await texts(mail.id)).toEqual(['mail one']);
  });
});
