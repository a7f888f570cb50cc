import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../core/api/commands.ts';
import type { ConversationSummary, Page } from '../../core/api/types.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';
import { TYPICAL_FACTS } from '../support/test-adapter.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** Ada reachable by email and by native; one conversation. */
async function adaOnTwoRoutes() {
  h = await makeHarness();
  const email = await h.addAccount('email', 'me@example.org');
  const native = await h.addAccount('native', 'me-native');
  h.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada' }, 'by mail', { sentAt: 1_000 });
  h.net.receive(native.id, { address: 'ada-key', displayName: 'Ada' }, 'by native', { sentAt: 2_000 });
  await h.core.ingest.idle();
  const convs = (await h.core.call('conversations.list', {})).items;
  const byNative = convs.find((c) => c.protocols.includes('native'))!;
  const byEmail = convs.find((c) => c.protocols.includes('email'))!;
  // Keep the email conversation; fold the native identity (and its messages) into it.
  await h.core.call('contacts.merge', { fromContactId: byNative.contactId!, intoContactId: byEmail.contactId! });
  return { h, email, native, conv: await h.core.call('conversations.get', { conversationId: byEmail.id }) };
}

const expectApiError = async (p: Promise<unknown>, code: string, message: RegExp) => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ApiError);
  expect((e as ApiError).code).toBe(code);
  expect((e as ApiError).message).toMatch(message);
};

describe('api boundary', () => {
  it('refuses unknown commands and bad params with clear errors', async () => {
    h = await makeHarness();
    await expectApiError(h.core.call('nope' as never, {}), 'bad-request', /Unknown command: nope/);
    await expectApiError(h.core.call('messages.send', { conversationId: 42 }), 'bad-request', /Invalid parameters for messages.send/);
    await expectApiError(h.core.call('conversations.list', { limit: 10_000 }), 'bad-request', /limit/);
    await expectApiError(h.core.call('conversations.list', { extra: true }), 'bad-request', /extra/);
    await expectApiError(h.core.call('conversations.list', { cursor: 'garbage!' }), 'bad-request', /cursor/);
    await expectApiError(h.core.call('conversations.get', { conversationId: 'missing' }), 'not-found', /does not exist/);
  });

  it('times out a call that takes too long', async () => {
    h = await makeHarness({ callTimeoutMs: 50 });
    const a = await h.addAccount('email', 'me@example.org');
    h.net.disconnectDelayMs = 500;
    await expectApiError(h.core.call('accounts.remove', { accountId: a.id }), 'timeout', /accounts.remove took longer than 50 ms/);
    await new Promise((r) => setTimeout(r, 600));
  });
});

describe('routing through the api', () => {
  it('sends by the safest available route and rates the conversation by it', async () => {
    const { h, native, conv } = await adaOnTwoRoutes();
    expect(conv.protocols.sort()).toEqual(['email', 'native']);
    expect(conv.rating.colour).toBe('green');
    const r = await h.core.call('messages.send', { conversationId: conv.id, text: 'secure', clientId: 'r-00000001' });
    expect(r.kind).toBe('queued');
    await until(() => h.net.delivered.length === 1, 'delivered');
    expect(h.net.delivered[0]!.accountId).toBe(native.id);
    const contact = await h.core.call('contacts.get', { contactId: conv.contactId! });
    expect(contact.routes).toHaveLength(2);
    expect(contact.routes.find((r) => r.identity.protocol === 'native')!.rating.colour).toBe('green');
    expect(contact.routes.find((r) => r.identity.protocol === 'email')!.rating.colour).toBe('red');
    expect(contact.chosenIdentityId).toBe(contact.routes.find((r) => r.identity.protocol === 'native')!.identity.id);
  });

  it('asks before leaving encryption when the secure route is down; wait sends encrypted later', async () => {
    const { h, email, native, conv } = await adaOnTwoRoutes();
    h.net.adapter(native.id).setStatus('offline');
    expect((await h.core.call('conversations.get', { conversationId: conv.id })).rating.colour).toBe('red');
    const ask = await h.core.call('messages.send', { conversationId: conv.id, text: 'careful', clientId: 'r-00000002' });
    expect(ask.kind).toBe('needs-decision');
    if (ask.kind !== 'needs-decision') return;
    expect(ask.available?.identity.protocol).toBe('email');
    expect(ask.best.identity.protocol).toBe('native');
    expect(ask.question).toMatch(/leave end-to-end encryption/);
    expect(h.core.ctx.db.prepare(`SELECT count(*) FROM messages WHERE direction = 'out'`).pluck().get()).toBe(0);

    const waited = await h.core.call('messages.send', { conversationId: conv.id, text: 'careful', clientId: 'r-00000002', decision: 'wait' });
    expect(waited.kind === 'queued' && waited.message.status).toBe('waiting-route');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.net.sent).toHaveLength(0);
    h.net.adapter(native.id).setStatus('online');
    await until(() => h.net.delivered.length === 1, 'sent when native is back');
    expect(h.net.delivered[0]!.accountId).toBe(native.id);

    h.net.adapter(native.id).setStatus('offline');
    const anyway = await h.core.call('messages.send', { conversationId: conv.id, text: 'fine by mail', clientId: 'r-00000003', decision: 'send-anyway' });
    expect(anyway.kind).toBe('queued');
    await until(() => h.net.delivered.length === 2, 'sent by email');
    expect(h.net.delivered[1]!.accountId).toBe(email.id);
    const m = (await h.core.call('messages.page', { conversationId: conv.id })).items.find((x) => x.id === 'r-00000003')!;
    expect(m.protocol).toBe('email');
    expect(m.rating.colour).toBe('red');
  });

  it('a message waiting for the secure route can be sent anyway later, by the route available then', async () => {
    const { h, email, native, conv } = await adaOnTwoRoutes();
    h.net.adapter(native.id).setStatus('offline');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'patient', clientId: 'r-00000009', decision: 'wait' });
    await new Promise((r) => setTimeout(r, 50));
    expect(h.net.sent).toHaveLength(0);
    const again = await h.core.call('messages.send', { conversationId: conv.id, text: 'patient', clientId: 'r-00000009', decision: 'send-anyway' });
    expect(again.kind).toBe('queued');
    await until(() => h.net.delivered.length === 1, 'sent by email after the user chose to');
    expect(h.net.delivered[0]!.accountId).toBe(email.id);
  });

  it('when an account goes down, the padlocks of its conversations are re-announced', async () => {
    const { h, native, conv } = await adaOnTwoRoutes();
    h.events.length = 0;
    h.net.adapter(native.id).setStatus('offline');
    const update = h.events.find((e) => e.type === 'conversation.updated' && e.conversation.id === conv.id);
    expect(update?.type === 'conversation.updated' && update.conversation.rating.colour).toBe('red');
  });

  it('quiet mode sends a grey downgrade without asking, and says so', async () => {
    const { h, email, native, conv } = await adaOnTwoRoutes();
    h.net.factsOverride.set(email.id, { ...TYPICAL_FACTS.email, endToEnd: 'all', identity: 'tofu' });
    await h.core.call('settings.set', { padlockStyle: 'quiet' });
    h.net.adapter(native.id).setStatus('offline');
    const r = await h.core.call('messages.send', { conversationId: conv.id, text: 'grey is fine', clientId: 'r-00000010' });
    expect(r.kind).toBe('queued');
    expect(r.kind === 'queued' && r.routeNote).toMatch(/less secure|weaker|safer/i);
    await until(() => h.net.delivered.length === 1, 'sent by grey email');
    expect(h.net.delivered[0]!.accountId).toBe(email.id);
  });

  it('a pinned route is used even when a safer one is up', async () => {
    const { h, email, conv } = await adaOnTwoRoutes();
    const before = await h.core.call('contacts.get', { contactId: conv.contactId! });
    const emailRoute = before.routes.find((r) => r.identity.protocol === 'email')!;
    const after = await h.core.call('contacts.pinRoute', { contactId: conv.contactId!, identityId: emailRoute.identity.id });
    expect(after.pinnedIdentityId).toBe(emailRoute.identity.id);
    expect(after.chosenIdentityId).toBe(emailRoute.identity.id);
    await h.core.call('messages.send', { conversationId: conv.id, text: 'pinned', clientId: 'r-00000004' });
    await until(() => h.net.delivered.length === 1, 'sent');
    expect(h.net.delivered[0]!.accountId).toBe(email.id);
    await expectApiError(h.core.call('contacts.pinRoute', { contactId: conv.contactId!, identityId: 'someone-else' }), 'bad-request', /does not belong/);
  });
});

describe('first-use dialog', () => {
  it('is offered on the first send per protocol until seen, and "don\'t show again" sticks across a restart', async () => {
    h = await makeHarness();
    await h.core.call('settings.set', { securityDialogs: true });
    const email = await h.addAccount('email', 'me@example.org');
    const xmpp = await h.addAccount('xmpp', 'me@jabber.example');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'hi');
    h.net.receive(xmpp.id, { address: 'bob@jabber.example' }, 'hi');
    await h.core.ingest.idle();
    const [a, b] = (await h.core.call('conversations.list', {})).items as [ConversationSummary, ConversationSummary];
    const first = await h.core.call('messages.send', { conversationId: a.id, text: '1', clientId: 'f-00000001' });
    // Asked before anything is stored or sent.
    expect(first).toMatchObject({ kind: 'first-use', protocol: a.protocols[0], rating: { score: 10, colour: 'red' } });
    expect(h.core.ctx.db.prepare(`SELECT count(*) FROM messages WHERE direction = 'out'`).pluck().get()).toBe(0);
    await h.core.call('security.firstUseSeen', { protocol: a.protocols[0]! });
    const again = await h.core.call('messages.send', { conversationId: a.id, text: '1', clientId: 'f-00000001' });
    expect(again.kind).toBe('queued');
    const second = await h.core.call('messages.send', { conversationId: a.id, text: '2' });
    expect(second.kind).toBe('queued');
    await h.core.call('settings.set', { securityDialogs: false });
    await h.restart();
    expect((await h.core.call('settings.get', {})).securityDialogs).toBe(false);
    const other = await h.core.call('messages.send', { conversationId: b.id, text: '3' });
    expect(other.kind).toBe('queued');
  });
});

describe('inbox', () => {
  it('pages conversations by activity with no duplicates, and pin/mute/archive/markRead work', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    for (let i = 0; i < 120; i++) h.net.receive(email.id, { address: `p${i}@example.com` }, `m${i}`, { sentAt: 10_000 + i });
    await h.core.ingest.idle();
    const seen: ConversationSummary[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<ConversationSummary> = await h.core.call('conversations.list', { limit: 50, cursor });
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(120);
    expect(new Set(seen.map((c) => c.id)).size).toBe(120);
    expect(seen.map((c) => c.lastActivityAt)).toEqual([...seen.map((c) => c.lastActivityAt)].sort((x, y) => y - x));

    const oldest = seen.at(-1)!;
    await h.core.call('conversations.update', { conversationId: oldest.id, pinned: true, muted: true });
    const top = (await h.core.call('conversations.list', { limit: 1 })).items[0]!;
    expect(top.id).toBe(oldest.id);
    expect(top.pinned && top.muted).toBe(true);
    await h.core.call('conversations.update', { conversationId: oldest.id, archived: true });
    expect((await h.core.call('conversations.list', { folder: 'archived' })).items.map((c) => c.id)).toEqual([oldest.id]);
    expect((await h.core.call('conversations.list', { limit: 500 })).items).toHaveLength(119);
    const read = await h.core.call('conversations.markRead', { conversationId: seen[0]!.id });
    expect(read.unreadCount).toBe(0);
  });

  it('pages a conversation oldest-first per page with cursors, pins messages, and searches', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    for (let i = 0; i < 120; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `note number ${i} about café`, { sentAt: 1_000 + i });
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    const p1 = await h.core.call('messages.page', { conversationId: conv.id });
    expect(p1.items.map((m) => m.text.split(' ')[2])).toEqual(Array.from({ length: 50 }, (_, i) => String(70 + i)));
    const p2 = await h.core.call('messages.page', { conversationId: conv.id, cursor: p1.nextCursor });
    const p3 = await h.core.call('messages.page', { conversationId: conv.id, cursor: p2.nextCursor });
    expect(p2.items[0]!.text).toMatch(/number 20 /);
    expect(p3.items).toHaveLength(20);
    expect(p3.nextCursor).toBeNull();

    const pinned = await h.core.call('messages.pin', { messageId: p3.items[0]!.id, pinned: true });
    expect(pinned.pinned).toBe(true);
    expect((await h.core.call('messages.pinned', { conversationId: conv.id })).map((m) => m.id)).toEqual([pinned.id]);

    const hits = await h.core.call('search', { query: 'NUMBER 42 cafe' });
    expect(hits).toHaveLength(1);
    expect(hits[0]!.snippet).toContain('\u000142\u0002');
    expect(hits[0]!.conversationTitle).toBe('ada@example.com');
    for (const q of [':)', '"', '{}', 'AND', 'NEAR(', '😀', '', 'a OR']) {
      expect(Array.isArray(await h.core.call('search', { query: q }))).toBe(true);
    }
  });

  it('removing an account removes its conversations and tells the renderer', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'x');
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    await h.core.call('accounts.remove', { accountId: email.id });
    expect((await h.core.call('conversations.list', {})).items).toHaveLength(0);
    expect(h.events.some((e) => e.type === 'conversation.removed' && e.conversationId === conv.id)).toBe(true);
    expect(await h.core.call('accounts.list', {})).toEqual([]);
  });
});

describe('account removal keeps other routes whole', () => {
  it('a contact reachable on two accounts keeps the conversation, with a correct preview, when one account goes', async () => {
    const { h, native, conv } = await adaOnTwoRoutes();
    const before = await h.core.call('conversations.get', { conversationId: conv.id });
    expect(before.lastMessagePreview).toBe('by native');
    await h.core.call('accounts.remove', { accountId: native.id });
    const after = await h.core.call('conversations.get', { conversationId: conv.id });
    expect(after.lastMessagePreview).toBe('by mail');
    expect(after.protocols).toEqual(['email']);
    expect(after.unreadCount).toBe(1);
  });
});
