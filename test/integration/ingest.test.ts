import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recentLogLines } from '../../core/log/logger.ts';
import { makeHarness, type Harness } from '../support/harness.ts';
import { TYPICAL_FACTS } from '../support/test-adapter.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('ingest', () => {
  it('stores a message, creates contact and conversation, bumps unread and emits events', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'Ada@Example.com', displayName: 'Ada' }, 'hello there', { remoteId: 'm1', sentAt: 1_000 });
    await h.core.ingest.idle();
    const page = await h.core.call('conversations.list', {});
    expect(page.items).toHaveLength(1);
    const conv = page.items[0]!;
    expect(conv.title).toBe('Ada');
    expect(conv.unreadCount).toBe(1);
    expect(conv.protocols).toEqual(['email']);
    expect(conv.lastMessagePreview).toBe('hello there');
    expect(conv.rating.colour).toBe('red');
    const added = h.events.filter((e) => e.type === 'message.added');
    expect(added).toHaveLength(1);
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === conv.id)).toBe(true);
    const contact = await h.core.call('contacts.get', { contactId: conv.contactId! });
    expect(contact.identities.map((i) => i.address)).toEqual(['ada@example.com']);
  });

  it('dedupes by account and remote id, also across a restart', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'once', { remoteId: 'same' });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'once', { remoteId: 'same' });
    await h.core.ingest.idle();
    await h.restart();
    h.net.receive(email.id, { address: 'ada@example.com' }, 'once', { remoteId: 'same' });
    await h.core.ingest.idle();
    const n = h.core.ctx.db.prepare('SELECT count(*) FROM messages').pluck().get();
    expect(n).toBe(1);
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    expect(conv.unreadCount).toBe(1);
  });

  it('keeps one contact per address and a conversation per group room; orders by activity', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    const matrix = await h.addAccount('matrix', '@me:m.org');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'first', { sentAt: 1_000 });
    h.net.receiveInRoom(matrix.id, '!room:m.org', 'Room', { address: '@bob:m.org', displayName: 'Bob' }, 'in room', 2_000);
    h.net.receive(email.id, { address: 'ada@example.com' }, 'latest', { sentAt: 3_000 });
    await h.core.ingest.idle();
    const items = (await h.core.call('conversations.list', {})).items;
    expect(items.map((c) => c.title)).toEqual(['ada@example.com', 'Room']);
    expect(items[0]!.unreadCount).toBe(2);
    expect(items[1]!.kind).toBe('group');
    expect(items[1]!.protocols).toEqual(['matrix']);
    // An older message arriving late does not move the conversation back or replace its preview.
    h.net.receive(email.id, { address: 'ada@example.com' }, 'late old one', { sentAt: 500 });
    await h.core.ingest.idle();
    const again = (await h.core.call('conversations.list', {})).items[0]!;
    expect(again.lastMessagePreview).toBe('latest');
    expect(again.lastActivityAt).toBe(3_000);
  });

  it('a malformed event is logged and skipped; the account keeps working', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    const adapter = h.net.adapter(email.id);
    adapter.emitRaw({ type: 'message', accountId: email.id, remoteId: 'x' }); // no conversation, sender, text
    adapter.emitRaw({ type: 'message', accountId: email.id, remoteId: 'y', conversation: { kind: 'direct', peer: { address: 'a@b' } }, sender: { address: 'a@b' }, text: 'x'.repeat(10), sentAt: -5 });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'still fine');
    await h.core.ingest.idle();
    expect(recentLogLines.some((l) => l.includes('adapter event refused'))).toBe(true);
    const msgs = h.core.ctx.db.prepare('SELECT body FROM messages').pluck().all();
    expect(msgs).toEqual(['still fine']);
    const accounts = await h.core.call('accounts.list', {});
    expect(accounts[0]!.status).toBe('online');
  });

  it('a message dated far in the future is filed as arriving now', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'spam@example.com' }, 'top forever?', { sentAt: Date.now() + 10 * 365 * 86_400_000 });
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    expect(conv.lastActivityAt).toBeLessThanOrEqual(Date.now());
  });

  it('writes a burst in few transactions and loses nothing', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    for (let i = 0; i < 5_000; i++) h.net.receive(email.id, { address: `p${i % 50}@example.com` }, `message ${i}`, { sentAt: i + 1 });
    await h.core.ingest.idle();
    expect(h.core.ctx.db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(5_000);
    expect(h.core.ctx.db.prepare('SELECT count(*) FROM conversations').pluck().get()).toBe(50);
    expect(h.core.ctx.db.prepare('SELECT sum(unread_count) FROM conversations').pluck().get()).toBe(5_000);
  });

  it('an echo of a message Switchboard sent joins its outbox row instead of doubling it', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'hi');
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    const sent = await h.core.call('messages.send', { conversationId: conv.id, text: 'mine', clientId: 'client-0001' });
    expect(sent.kind).toBe('queued');
    h.net.adapter(email.id).emitRaw({
      type: 'message', accountId: email.id, remoteId: 'srv-77', conversation: { kind: 'direct', peer: { address: 'ada@example.com' } },
      sender: 'self', text: 'mine', sentAt: Date.now(), clientId: 'client-0001',
    });
    await h.core.ingest.idle();
    const rows = h.core.ctx.db.prepare(`SELECT id, body FROM messages WHERE direction = 'out'`).all();
    expect(rows).toEqual([{ id: 'client-0001', body: 'mine' }]);
  });

  it('stores each distinct set of security facts once and rates every message by its own', async () => {
    const email = await h.addAccount('email', 'me@example.org');
    const autocrypt = { ...TYPICAL_FACTS.email, endToEnd: 'all' as const, identity: 'tofu' as const };
    for (let i = 0; i < 50; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `plain ${i}`, { sentAt: i + 1 });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'encrypted one', { sentAt: 100, facts: autocrypt });
    await h.core.ingest.idle();
    expect(h.core.ctx.db.prepare('SELECT count(*) FROM security_facts').pluck().get()).toBe(2);
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    const page = await h.core.call('messages.page', { conversationId: conv.id, limit: 2 });
    expect(page.items.map((m) => [m.text, m.rating.colour, m.rating.score])).toEqual([
      ['plain 49', 'red', 10],
      ['encrypted one', 'grey', 58],
    ]);
  });
});
