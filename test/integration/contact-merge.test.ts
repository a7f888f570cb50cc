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

beforeEach(async () => {
  h = await makeHarness();
  email = await h.addAccount('email', 'me@example.org');
  xmpp = await h.addAccount('xmpp', 'me@jabber.example');
  const t = Date.now() - 600_000;
  h.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'mail one', { sentAt: t });
  h.net.receive(xmpp.id, { address: 'ada@jabber.example', displayName: 'Ada (XMPP)' }, 'chat one', { sentAt: t + 60_000 });
  h.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'mail two', { sentAt: t + 120_000 });
  await h.core.ingest.idle();
});
afterEach(async () => {
  await h.cleanup();
});

const list = async (): Promise<ConversationSummary[]> => (await h.core.call('conversations.list', {})).items;
const byTitle = async (title: string): Promise<ConversationSummary> => (await list()).find((c) => c.title === title)!;
const texts = async (conversationId: string): Promise<string[]> => (await h.core.call('messages.page', { conversationId })).items.map((m) => m.text);

describe('merging contacts', () => {
  it('joins routes and messages in one conversation, in time order, and undo gives each back exactly', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(merged.conversation?.id).toBe(mail.id);
    expect((await list()).map((c) => c.id)).toEqual([mail.id]);
    expect(await texts(mail.id)).toEqual(['mail one', 'chat one', 'mail two']);
    const after = await h.core.call('conversations.get', { conversationId: mail.id });
    expect(after.unreadCount).toBe(3);
    expect(after.protocols.sort()).toEqual(['email', 'xmpp']);
    const contact = await h.core.call('contacts.get', { contactId: mail.contactId! });
    expect(contact.routes.map((r) => r.identity.protocol).sort()).toEqual(['email', 'xmpp']);
    expect(contact.merges.map((m) => [m.id, m.displayName])).toEqual([[merged.mergeId, 'Ada (XMPP)']]);
    expect(contact.merges[0]!.mergedAt).toBeGreaterThan(Date.now() - 60_000);
    await expect(h.core.call('contacts.get', { contactId: chat.contactId! })).rejects.toThrow(/does not exist/);

    // A message on the merged route after the merge joins the merged conversation…
    h.net.receive(xmpp.id, { address: 'ada@jabber.example', displayName: 'Ada (XMPP)' }, 'chat two');
    await h.core.ingest.idle();
    expect((await list()).map((c) => c.id)).toEqual([mail.id]);
    expect(await texts(mail.id)).toContain('chat two');

    // …and goes back with its route on undo, across a restart.
    await h.restart();
    const undone = await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect(undone.conversation?.id).toBe(chat.id);
    expect(undone.conversation?.title).toBe('Ada (XMPP)');
    expect(await texts(chat.id)).toEqual(['chat one', 'chat two']);
    expect(await texts(mail.id)).toEqual(['mail one', 'mail two']);
    expect((await h.core.call('contacts.get', { contactId: chat.contactId! })).routes.map((r) => r.identity.protocol)).toEqual(['xmpp']);
    expect((await h.core.call('contacts.get', { contactId: mail.contactId! })).merges).toEqual([]);
    expect((await list()).map((c) => c.id).sort()).toEqual([mail.id, chat.id].sort());
    await expect(h.core.call('contacts.unmerge', { mergeId: merged.mergeId })).rejects.toThrow(/already undone/);
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
  });

  it('into a contact without a conversation: one is made, and undo takes it away again', async () => {
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    await h.core.call('conversations.delete', { conversationId: mail.id });
    const merged = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    expect(merged.conversation?.title).toBe('Ada Lovelace');
    expect(await texts(merged.conversation!.id)).toEqual(['chat one']);
    await h.core.call('contacts.unmerge', { mergeId: merged.mergeId });
    expect((await list()).map((c) => c.id)).toEqual([chat.id]);
    expect(await texts(chat.id)).toEqual(['chat one']);
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
  });

  it('refuses in words what it cannot do', async () => {
    const mail = await byTitle('Ada Lovelace');
    await expect(h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: mail.contactId! })).rejects.toThrow(/cannot be merged with itself/);
    await expect(h.core.call('contacts.merge', { fromContactId: 'nope', intoContactId: mail.contactId! })).rejects.toThrow(/does not exist/);
    await expect(h.core.call('contacts.unmerge', { mergeId: 'nope' })).rejects.toThrow(/does not exist/);
  });

  it('undoing a merge whose target was merged again asks to undo the later one first', async () => {
    h.net.receive(email.id, { address: 'lovelace@example.net', displayName: 'A. Lovelace' }, 'third address');
    await h.core.ingest.idle();
    const mail = await byTitle('Ada Lovelace');
    const chat = await byTitle('Ada (XMPP)');
    const third = await byTitle('A. Lovelace');
    const first = await h.core.call('contacts.merge', { fromContactId: chat.contactId!, intoContactId: mail.contactId! });
    const second = await h.core.call('contacts.merge', { fromContactId: mail.contactId!, intoContactId: third.contactId! });
    await expect(h.core.call('contacts.unmerge', { mergeId: first.mergeId })).rejects.toThrow(/undo that merge first/);
    await h.core.call('contacts.unmerge', { mergeId: second.mergeId });
    await h.core.call('contacts.unmerge', { mergeId: first.mergeId });
    expect((await list()).map((c) => c.title).sort()).toEqual(['A. Lovelace', 'Ada (XMPP)', 'Ada Lovelace']);
    expect(await texts(chat.id)).toEqual(['chat one']);
    expect(await texts(mail.id)).toEqual(['mail one', 'mail two']);
    expect(await texts(third.id)).toEqual(['third address']);
  });
});
