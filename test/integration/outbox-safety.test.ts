import { afterEach, describe, expect, it } from 'vitest';
import { recentLogLines } from '../../core/log/logger.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';
import { TYPICAL_FACTS } from '../support/test-adapter.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const statusOf = (h: Harness, id: string) => h.core.ctx.db.prepare('SELECT status FROM messages WHERE id = ?').pluck().get(id);
const errorOf = (h: Harness, id: string) => h.core.ctx.db.prepare('SELECT error FROM messages WHERE id = ?').pluck().get(id) as string | null;

async function oneContact(protocol: 'email' | 'native', opts: Parameters<typeof makeHarness>[0] = {}) {
  h = await makeHarness(opts);
  const account = await h.addAccount(protocol, 'me@example.org');
  h.net.receive(account.id, { address: 'ada@example.com', displayName: 'Ada' }, 'hi');
  await h.core.ingest.idle();
  const conv = (await h.core.call('conversations.list', {})).items[0]!;
  return { h, account, conv };
}

describe('outbox safety', () => {
  it('an adapter cannot speak for another account', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    const native = await h.addAccount('native', 'me-native');
    h.net.adapter(email.id).emitRaw({
      type: 'message', accountId: native.id, remoteId: 'forged', conversation: { kind: 'direct', peer: { address: 'bank' } },
      sender: { address: 'bank', displayName: 'Your Bank' }, text: 'please confirm your password', sentAt: Date.now(),
    });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'genuine');
    await h.core.ingest.idle();
    expect(h.core.ctx.db.prepare('SELECT body FROM messages').pluck().all()).toEqual(['genuine']);
    expect(recentLogLines.some((l) => l.includes('adapter event for another account dropped'))).toBe(true);
  });

  it('a queued message whose route became weaker is not sent silently; retry asks routing again', async () => {
    const { h, account, conv } = await oneContact('native', { outbox: { backoff: () => 60_000 } });
    h.net.failNextSend(account.id, 'network', 'connection reset');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'for Ada only', clientId: 's-00000001' });
    await until(() => h.net.sent.length === 1 && statusOf(h, 's-00000001') === 'queued', 'first attempt failed');
    // Ada's identity changes while the message waits for its retry.
    h.net.adapter(account.id).facts.set('ada@example.com', { ...TYPICAL_FACTS.native, identity: 'changed' });
    h.core.ctx.db.prepare('UPDATE outbox SET next_attempt_at = 0').run();
    h.core.outbox.wake();
    await until(() => statusOf(h, 's-00000001') === 'failed', 'failed instead of sent');
    expect(errorOf(h, 's-00000001')).toMatch(/became less safe.*now red/);
    expect(h.net.sent).toHaveLength(1);
    // Retry takes the route routing picks now (the only one, red); the message says so.
    const retried = await h.core.call('messages.retry', { messageId: 's-00000001' });
    expect(retried.rating.colour).toBe('red');
    await until(() => statusOf(h, 's-00000001') === 'sent', 'sent after retry');
  });

  it('a send the server never answers times out and is retried', async () => {
    const { h, conv } = await oneContact('email', { outbox: { backoff: () => 20, sendTimeoutMs: 150 } });
    h.net.hangingSends = 1;
    await h.core.call('messages.send', { conversationId: conv.id, text: 'patience', clientId: 's-00000002' });
    await until(() => statusOf(h, 's-00000002') === 'sent', 'sent after the hung attempt');
    expect(h.net.sent.map((s) => s.attempt)).toEqual([1, 2]);
  });

  it('shutdown does not wait for a hung send forever; the message resumes after restart', async () => {
    const { h, conv } = await oneContact('email', { outbox: { sendTimeoutMs: 60_000, stopWaitMs: 200 } });
    h.net.hangingSends = 1;
    await h.core.call('messages.send', { conversationId: conv.id, text: 'at shutdown', clientId: 's-00000004' });
    await until(() => h.net.sent.length === 1, 'hanging attempt started');
    await h.restart({ outbox: { backoff: () => 20 } });
    await until(() => statusOf(h, 's-00000004') === 'sent', 'sent after restart');
  });

  it('keeps the order of a conversation: a later message never overtakes one in backoff', async () => {
    const { h, account, conv } = await oneContact('email', { outbox: { backoff: () => 300 } });
    h.net.failNextSend(account.id, 'network', 'reset');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'first', clientId: 's-00000005' });
    await h.core.call('messages.send', { conversationId: conv.id, text: 'second', clientId: 's-00000006' });
    await until(() => statusOf(h, 's-00000006') === 'sent', 'both sent', 5_000);
    expect(h.net.delivered.map((d) => d.out.text)).toEqual(['first', 'second']);
  });

  it('an account coming back sends what waited at once, without growing its backoff', async () => {
    const { h, account, conv } = await oneContact('email', { outbox: { backoff: () => 60_000 } });
    h.net.failNextSend(account.id, 'network', 'reset');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'soon', clientId: 's-00000007' });
    await until(() => h.net.sent.length === 1 && statusOf(h, 's-00000007') === 'queued', 'first attempt failed');
    h.net.adapter(account.id).setStatus('offline');
    h.net.adapter(account.id).setStatus('online');
    await until(() => statusOf(h, 's-00000007') === 'sent', 'sent right after the account came back', 2_000);
    expect(h.net.sent).toHaveLength(2);
  });

  it('a waiting message can be sent anyway or cancelled', async () => {
    const { h, account, conv } = await oneContact('email');
    h.net.adapter(account.id).setStatus('offline');
    await h.core.call('messages.send', { conversationId: conv.id, text: 'later', clientId: 's-00000008' });
    await h.core.call('messages.send', { conversationId: conv.id, text: 'never', clientId: 's-00000009' });
    expect(statusOf(h, 's-00000009')).toBe('waiting-route');
    const cancelled = await h.core.call('messages.cancel', { messageId: 's-00000009' });
    expect([cancelled.status, cancelled.error]).toEqual(['failed', 'Cancelled: not sent.']);
    await expect(h.core.call('messages.cancel', { messageId: 's-00000009' })).rejects.toThrow(/Only a message waiting/);
    h.net.adapter(account.id).setStatus('online');
    await until(() => statusOf(h, 's-00000008') === 'sent', 'the waiting one goes');
    expect(h.net.delivered.map((d) => d.out.text)).toEqual(['later']);
  });
});
