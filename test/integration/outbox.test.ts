import { afterEach, describe, expect, it } from 'vitest';
import { TestNetwork } from '../support/test-adapter.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

async function withConversation(protocol: 'email' | 'xmpp' = 'email') {
  h = await makeHarness();
  const account = await h.addAccount(protocol, 'me@example.org');
  h.net.receive(account.id, { address: 'ada@example.com', displayName: 'Ada' }, 'hi');
  await h.core.ingest.idle();
  const conv = (await h.core.call('conversations.list', {})).items[0]!;
  return { h, account, conv };
}

const statusOf = (h: Harness, id: string) => h.core.ctx.db.prepare('SELECT status FROM messages WHERE id = ?').pluck().get(id);
const outboxRows = (h: Harness) => h.core.ctx.db.prepare('SELECT count(*) FROM outbox').pluck().get();

describe('outbox', () => {
  it('writes the row before sending, sends once, and marks the message sent', async () => {
    const { h, account, conv } = await withConversation();
    const r = await h.core.call('messages.send', { conversationId: conv.id, text: 'hello', clientId: 'c-00000001' });
    expect(r.kind).toBe('queued');
    if (r.kind !== 'queued') return;
    expect(r.message.status).toBe('queued');
    await until(() => statusOf(h, 'c-00000001') === 'sent', 'sent');
    expect(h.net.delivered.map((d) => d.out.text)).toEqual(['hello']);
    expect(h.net.delivered[0]!.accountId).toBe(account.id);
    expect(outboxRows(h)).toBe(0);
    expect(h.events.some((e) => e.type === 'message.updated' && e.message.id === 'c-00000001' && e.message.status === 'sent')).toBe(true);
  });

  it('is idempotent by client id: the same send twice stores and sends one message', async () => {
    const { h, conv } = await withConversation();
    await h.core.call('messages.send', { conversationId: conv.id, text: 'once', clientId: 'c-00000002' });
    await h.core.call('messages.send', { conversationId: conv.id, text: 'once', clientId: 'c-00000002' });
    await until(() => statusOf(h, 'c-00000002') === 'sent', 'sent');
    expect(h.core.ctx.db.prepare(`SELECT count(*) FROM messages WHERE direction = 'out'`).pluck().get()).toBe(1);
    // Attempts, not deliveries: the test double would hide a second send behind its own dedupe.
    expect(h.net.sent.filter((s) => s.out.clientId === 'c-00000002')).toHaveLength(1);
  });

  it('retries a network error with backoff and delivers once', async () => {
    const { h, account, conv } = await withConversation();
    h.net.failNextSend(account.id, 'network', 'connection reset');
    h.net.failNextSend(account.id, 'network', 'connection reset');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'eventually', clientId: 'c-00000003' });
    await until(() => statusOf(h, 'c-00000003') === 'sent', 'sent after retries');
    expect(h.net.sent.filter((s) => s.out.clientId === 'c-00000003').map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(h.net.delivered).toHaveLength(1);
  });

  it('fails a permanent rejection with its reason, and an auth error says so; retry sends again', async () => {
    const { h, account, conv } = await withConversation();
    h.net.failNextSend(account.id, 'permanent', '550 mailbox unavailable');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'bounce', clientId: 'c-00000004' });
    await until(() => statusOf(h, 'c-00000004') === 'failed', 'failed');
    const row = h.core.ctx.db.prepare('SELECT error FROM messages WHERE id = ?').pluck().get('c-00000004');
    expect(row).toBe('550 mailbox unavailable');
    expect(outboxRows(h)).toBe(0);
    expect(h.net.sent).toHaveLength(1);

    h.net.failNextSend(account.id, 'auth', 'bad password');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'auth', clientId: 'c-00000005' });
    await until(() => statusOf(h, 'c-00000005') === 'failed', 'failed auth');
    expect(h.core.ctx.db.prepare('SELECT error FROM messages WHERE id = ?').pluck().get('c-00000005')).toMatch(/sign-in.*bad password/);

    await h.core.call('messages.retry', { messageId: 'c-00000004' });
    await until(() => statusOf(h, 'c-00000004') === 'sent', 'sent after retry');
    expect(h.net.delivered.map((d) => d.out.clientId)).toEqual(['c-00000004']);
  });

  it('resumes after a restart: a queued message is sent by the next run, once', async () => {
    h = await makeHarness({ outbox: { backoff: () => 60_000 } });
    const account = await h.addAccount('email', 'me@example.org');
    h.net.receive(account.id, { address: 'ada@example.com' }, 'hi');
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    h.net.failNextSend(account.id, 'network', 'connection refused');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'survives', clientId: 'c-00000006' });
    await until(() => h!.net.sent.length === 1 && statusOf(h!, 'c-00000006') === 'queued', 'a failed attempt');
    const next = new TestNetwork();
    await h.restart({ outbox: { backoff: () => 20 } }, next);
    // The retry is due in a minute; a restart keeps that schedule, so move the clock instead of waiting.
    h.core.ctx.db.prepare('UPDATE outbox SET next_attempt_at = 0').run();
    h.core.outbox.wake();
    await until(() => statusOf(h!, 'c-00000006') === 'sent', 'sent after restart');
    expect(next.delivered.map((d) => d.out.text)).toEqual(['survives']);
    expect(outboxRows(h)).toBe(0);
  });

  it('with the only route offline, a message waits and goes when the account is back, also across a restart', async () => {
    const { h, account, conv } = await withConversation();
    h.net.adapter(account.id).setStatus('offline');
    const r = await h.core.call('messages.send', { conversationId: conv.id, text: 'later', clientId: 'c-00000008' });
    expect(r.kind).toBe('queued');
    expect(statusOf(h, 'c-00000008')).toBe('waiting-route');
    await new Promise((res) => setTimeout(res, 100));
    expect(h.net.sent).toHaveLength(0);
    const next = new TestNetwork();
    await h.restart({}, next);
    await until(() => statusOf(h, 'c-00000008') === 'sent', 'sent when back online');
    expect(next.delivered.map((d) => d.out.text)).toEqual(['later']);
  });

  it('a message caught mid-send by a crash is sent again with the same client id', async () => {
    const { h, conv } = await withConversation();
    // Simulate a crash between "sending" and the result: the row is still there, status sending.
    await h.core.outbox.stop();
    const now = Date.now();
    h.core.ctx.db.transaction(() => {
      h.core.ctx.db.prepare(
        `INSERT INTO messages (id, conversation_id, account_id, identity_id, direction, sender_name, protocol, body, sent_at, received_at, status)
         SELECT 'c-00000007', ?, account_id, id, 'out', 'You', protocol, 'mid-flight', ?, ?, 'sending' FROM identities LIMIT 1`,
      ).run(conv.id, now, now);
      h.core.ctx.db.prepare(
        `INSERT INTO outbox (message_id, state, identity_id, account_id, next_attempt_at) SELECT 'c-00000007', 'pending', identity_id, account_id, ? FROM messages WHERE id = 'c-00000007'`,
      ).run(now);
    })();
    const next = new TestNetwork();
    await h.restart({}, next);
    await until(() => statusOf(h, 'c-00000007') === 'sent', 'sent after crash');
    expect(next.sent.map((s) => s.out.clientId)).toEqual(['c-00000007']);
  });
});
