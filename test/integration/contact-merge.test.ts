/**
 * Merging two contacts by hand and undoing it, through core with the test double's accounts:
 * routes and messages join, routing sees every route, and undo gives back exactly what came
 * through the merged contact's routes — also what arrived after the merge — across a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

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
  h.net.receive(email.id, ADA_MAIL, 'mail two', { sentAt: t + 120_000 });
  await h.core.ingest.idle();
});
afterEach(async () => {
  await h.cleanup();
});

const list = async (): Promise<ConversationSummary[]> => (await h.core.call('conversations.list', {})).items;
const byTitle = async (title: string): Promise<ConversationSummary> => (await list()).find((c) => c.title === title)!;
const texts = async (conversationId: string): Promise<string[]> => (await h.core.call('messages.page', { conversationId })).items.map((m) => m.text);
const get = (conversationId: string) => h.core.call('conversations.get', { conversationId });

describe('merging contacts', () => {
  it('joins routes and messages in one conversation, in time order, and undo gives each back exactly', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    h.events.length = 0;
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(merged.conversation?.id).toBe(mail.id);
    expect(h.events).toEqual(
      expect.arrayContaining([
        { type: 'conversation.removed', conversationId: chat.id },
        { type: 'conversation.reloaded', conversationId: mail.id },
        { type: 'contact.updated', contactId: mail.contactId },
        { type: 'contact.updated', contactId: chat.contactId },
      ]),
    );
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === mail.id)).toBe(true);
    expect((await list()).map((c) => c.id)).toEqual([mail.id]);
    expect(await texts(mail.id)).toEqual(['mail one', 'chat one', 'mail two']);
    const after = await get(mail.id);
    expect(after.unreadCount).toBe(3);
    expect(after.lastMessagePreview).toBe('mail two');
    expect(after.protocols.sort()).toEqual(['email', 'xmpp']);
    // Routing sees both identities of the one person.
    const contact = await h.core.call('contacts.get', { contactId: mail.contactId! });
    expect(contact.routes.map((r) => `${r.identity.protocol}:${r.identity.address}`).sort()).toEqual(['email:ada@example.com', 'xmpp:ada@jabber.example']);
    expect(contact.chosenIdentityId).not.toBeNull();
    expect(contact.merges.map((m) => [m.id, m.displayName, m.undoBlocked])).toEqual([[merged.mergeId, 'Ada (XMPP)', null]]);
    expect(contact.merges[0]!.mergedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await h.core.call('contacts.merges', { contactId: mail.contactId! })).toEqual(contact.merges);
    await expect(h.core.call('contacts.get', { contactId: chat.contactId! })).rejects.toThrow(/does not exist/);
    // Search rows follow the messages (they are keyed by seq, which a move keeps).
    expect((await h.core.call('search', { query: 'chat' })).map((s) => [s.message.conversationId, s.conversationTitle])).toEqual([[mail.id, 'Ada Lovelace']]);

    // A message on the merged route after the merge joins the merged conversation…
    h.net.receive(xmpp.id, ADA_CHAT, 'chat two');
    await h.core.ingest.idle();
    expect((await list()).map((c) => c.id)).toEqual([mail.id]);
    expect(await texts(mail.id)).toContain('chat two');
    // …so does a reply the user sends over that route.
    const reply = await h.core.call('messages.send', { conversationId: mail.id, text: 'reply by chat' });
    expect(reply.kind).toBe('queued');

    // …and goes back with its route on undo, across a restart.
    await h.restart();
    h.events.length = 0;
    const undone = await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(undone.restoredContactId).toBe(chat.contactId);
    expect(undone.restoredConversation?.id).toBe(chat.id);
    expect(undone.restoredConversation?.title).toBe('Ada (XMPP)');
    expect(h.events).toEqual(expect.arrayContaining([{ type: 'conversation.reloaded', conversationId: chat.id }, { type: 'conversation.reloaded', conversationId: mail.id }]));
    const replyRoute = h.core.ctx.db.prepare('SELECT i.protocol FROM messages m JOIN identities i ON i.id = m.identity_id WHERE m.body = ?').pluck().get('reply by chat');
    const chatTexts = ['chat one', 'chat two', ...(replyRoute === 'xmpp' ? ['reply by chat'] : [])];
    const mailTexts = ['mail one', 'mail two', ...(replyRoute === 'email' ? ['reply by chat'] : [])];
    expect(await texts(chat.id)).toEqual(chatTexts);
    expect(await texts(mail.id)).toEqual(mailTexts);
    // Unread are the newest incoming messages: each side keeps its own.
    expect([(await get(chat.id)).unreadCount, (await get(mail.id)).unreadCount]).toEqual([2, 2]);
    expect((await get(chat.id)).lastMessagePreview).toBe(chatTexts.at(-1));
    expect((await h.core.call('contacts.get', { contactId: chat.contactId! })).routes.map((r) => r.identity.protocol)).toEqual(['xmpp']);
    expect((await h.core.call('contacts.get', { contactId: mail.contactId! })).routes.map((r) => r.identity.protocol)).toEqual(['email']);
    expect((await h.core.call('contacts.get', { contactId: mail.contactId! })).merges).toEqual([]);
    expect((await list()).map((c) => c.id).sort()).toEqual([mail.id, chat.id].sort());
    await expect(h.core.call('contacts.unmerge', { mergeId: merged.mergeId })).rejects.toThrow(/already undone/);
    // New messages on each route go to its own conversation again.
    h.net.receive(xmpp.id, ADA_CHAT, 'chat three');
    await h.core.ingest.idle();
    expect(await texts(chat.id)).toContain('chat three');
  });

  it('a merge survives a restart, and new messages on either route land in the one conversation', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    await h.restart();
    h.net.receive(xmpp.id, { address: 'ada@jabber.example' }, 'after restart');
    await h.core.ingest.idle();
    expect((await list()).map((c) => c.id)).toEqual([mail.id]);
    expect(await texts(mail.id)).toContain('after restart');
    expect((await h.core.call('contacts.get', { contactId: mail.contactId! })).merges).toHaveLength(1);
  });

  it('into a contact without a conversation: the merged one becomes its, and undo hands it back', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    await h.core.call('conversations.delete', { conversationId: mail.id });
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(merged.conversation).toMatchObject({ id: chat.id, title: 'Ada Lovelace', contactId: mail.contactId });
    expect(await texts(chat.id)).toEqual(['chat one']);
    // A mail after the merge joins it; undo gives the target a conversation of its own for it.
    h.net.receive(email.id, ADA_MAIL, 'mail three');
    await h.core.ingest.idle();
    expect((await list()).map((c) => c.id)).toEqual([chat.id]);
    const undone = await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(undone.restoredConversation).toMatchObject({ id: chat.id, title: 'Ada (XMPP)', contactId: chat.contactId });
    expect(await texts(chat.id)).toEqual(['chat one']);
    const mine = (await list()).find((c) => c.contactId === mail.contactId)!;
    expect(await texts(mine.id)).toEqual(['mail three']);
  });

  it('into a contact without a conversation and nothing new: undo leaves it without one', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    await h.core.call('conversations.delete', { conversationId: mail.id });
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect((await list()).map((c) => c.id)).toEqual([chat.id]);
  });

  it('two contacts without conversations merge without one appearing', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    await h.core.call('conversations.delete', { conversationId: mail.id });
    await h.core.call('conversations.delete', { conversationId: chat.id });
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(merged.conversation).toBeNull();
    expect(await list()).toEqual([]);
    expect((await h.core.call('contacts.get', { contactId: mail.contactId! })).identities).toHaveLength(2);
    const undone = await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(undone.restoredConversation).toBeNull();
    expect((await h.core.call('contacts.get', { contactId: chat.contactId! })).identities.map((i) => i.address)).toEqual(['ada@jabber.example']);
  });

  it('refuses in words what it cannot do', async () => {
    const mail = await byTitle('Ada Lovelace');
    await expect(h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: mail.contactId! })).rejects.toThrow(/cannot be merged with itself/);
    await expect(h.core.call('contacts.merge', { fromContactId: 'nope', intoContactId: mail.contactId! })).rejects.toThrow(/contact does not exist/);
    await expect(h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: 'nope' })).rejects.toThrow(/contact does not exist/);
    // A conversation id is not a contact (a group has none to merge).
    await expect(h.core.call('contacts.merge', { fromContactId: mail.id, intoContactId: mail.contactId! })).rejects.toThrow(/contact does not exist/);
    await expect(h.core.call('contacts.unmerge', { mergeId: 'nope' })).rejects.toThrow(/merge does not exist/);
    await expect(h.core.call('contacts.merges', { contactId: 'nope' })).rejects.toThrow(/contact does not exist/);
    await expect(h.core.call('contacts.merge', { fromContactId: '', intoContactId: mail.contactId! })).rejects.toMatchObject({ code: 'bad-request' });
    // Nothing half-done: both contacts are as they were.
    expect((await list()).map((c) => c.title).sort()).toEqual(['Ada (XMPP)', 'Ada Lovelace']);
  });
});
