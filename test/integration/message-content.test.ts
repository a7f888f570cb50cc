/**
 * Message content through core with the test double: ingest stores subject, original, HTML,
 * attachments and problems with the message (bounded, once), deleting a message takes its content
 * along, and the full-message commands: the original, remote-content permissions, attachments.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageContent } from '../../adapters/contract.ts';
import { ApiError } from '../../core/api/commands.ts';
import type { ApiEvent } from '../../core/api/events.ts';
import type { Message } from '../../core/api/types.ts';
import { MAX_ATTACHMENT_BYTES } from '../../core/content/attachment.ts';
import { MAX_HTML_CHARS, MAX_ORIGINAL_CHARS, ORIGINAL_CUT_NOTE } from '../../core/content/store.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const ADA = { address: 'ada@example.com', displayName: 'Ada Lovelace' };
const REPORT: MessageContent = {
  subject: 'Quarterly report',
  originalText: 'See the report.\n\n> earlier mail\n-- \nAda',
  html: '<p>See the <b>report</b>.</p><img src="https://tracker.example/p.png"><script>alert(1)</script>',
  attachments: [{ id: '2', filename: 'report.pdf', mimeType: 'application/pdf', size: 5 }],
};

async function withMail(content: MessageContent = REPORT, text = 'See the report.') {
  h = await makeHarness();
  const email = await h.addAccount('email', 'me@example.org');
  const remoteId = h.net.receive(email.id, ADA, text, { content, sentAt: 5_000 });
  await h.core.ingest.idle();
  const conversationId = (await h.core.call('conversations.list', {})).items[0]!.id;
  const [message] = (await h.core.call('messages.page', { conversationId })).items;
  return { h, email, remoteId, conversationId, message: message! };
}

const contentRows = (x: Harness): number => x.core.ctx.db.prepare('SELECT count(*) FROM message_content').pluck().get() as number;

const apiError = async (p: Promise<unknown>): Promise<ApiError> => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
};

describe('ingest of message content', () => {
  it('stores it with the message; pages and events show subject, attachments and that an original exists', async () => {
    const { h, message } = await withMail();
    expect(message).toMatchObject({
      text: 'See the report.',
      subject: 'Quarterly report',
      hasOriginal: true,
      attachments: [{ id: '2', filename: 'report.pdf', mimeType: 'application/pdf', size: 5 }],
      problem: null,
    });
    const added = h.events.find((e): e is Extract<ApiEvent, { type: 'message.added' }> => e.type === 'message.added');
    expect(added?.message).toEqual(message);
    const hit = (await h.core.call('search', { query: 'report' }))[0];
    expect(hit?.message.subject).toBe('Quarterly report');
  });

  it('stores a problem, and nothing at all for a message without content', async () => {
    const { h, email } = await withMail({ problem: 'It is larger than 25 MB.' }, 'Could not display this message.');
    h.net.receive(email.id, ADA, 'plain chat', { content: {} });
    h.net.receive(email.id, ADA, 'no content at all');
    await h.core.ingest.idle();
    const conversationId = (await h.core.call('conversations.list', {})).items[0]!.id;
    const items = (await h.core.call('messages.page', { conversationId })).items;
    expect(items.map((m: Message) => [m.text, m.problem, m.subject, m.hasOriginal, m.attachments.length])).toEqual([
      ['Could not display this message.', 'It is larger than 25 MB.', null, false, 0],
      ['plain chat', null, null, false, 0],
      ['no content at all', null, null, false, 0],
    ]);
    expect(contentRows(h)).toBe(1);
  });

  it('does nothing for a duplicate: the first content stays', async () => {
    const { h, email, remoteId } = await withMail();
    h.net.receive(email.id, ADA, 'changed', { remoteId, content: { subject: 'Another subject', html: '<p>x</p>' } });
    await h.core.ingest.idle();
    const rows = h.core.ctx.db.prepare('SELECT subject FROM message_content').pluck().all();
    expect(rows).toEqual(['Quarterly report']);
  });

  it('keeps a bounded prefix of a huge HTML body and original, saying so', async () => {
    const html = '<p>' + 'x'.repeat(MAX_HTML_CHARS + 10);
    const originalText = 'y'.repeat(MAX_ORIGINAL_CHARS + 10);
    const { h, message } = await withMail({ html, originalText });
    const row = h.core.ctx.db.prepare('SELECT length(html) AS html, html_truncated, original_text FROM message_content').get() as {
      html: number;
      html_truncated: number;
      original_text: string;
    };
    expect(row.html).toBe(MAX_HTML_CHARS);
    expect(row.html_truncated).toBe(1);
    expect(row.original_text).toBe('y'.repeat(MAX_ORIGINAL_CHARS) + ORIGINAL_CUT_NOTE);
    expect(h.core.mailView(message.id)?.html).toContain('kept only its first part');
  });

  it('makes an odd attachment name or size usable rather than dropping the message', async () => {
    const { message } = await withMail({ attachments: [{ id: '1', filename: '  ', mimeType: 'text/plain', size: 12.7 }] });
    expect(message.attachments).toEqual([{ id: '1', filename: 'attachment', mimeType: 'text/plain', size: 12 }]);
  });

  it('refuses a malformed content (a bad attachment), logging it, and keeps running', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, ADA, 'bad', { content: { attachments: [{ id: '', filename: 'x', mimeType: 'y', size: -1 }] } });
    h.net.receive(email.id, ADA, 'good', { content: { subject: 'Fine' } });
    await h.core.ingest.idle();
    const conversationId = (await h.core.call('conversations.list', {})).items[0]!.id;
    expect((await h.core.call('messages.page', { conversationId })).items.map((m) => m.text)).toEqual(['good']);
  });
});

describe('deleting a message takes its content along', () => {
  it('when the conversation is deleted', async () => {
    const { h, conversationId } = await withMail();
    expect(contentRows(h)).toBe(1);
    await h.core.call('conversations.delete', { conversationId });
    expect(contentRows(h)).toBe(0);
  });

  it('when the account is removed, with its sender permissions', async () => {
    const { h, email, message } = await withMail();
    await h.core.call('messages.allowRemoteContent', { messageId: message.id, scope: 'sender' });
    await h.core.call('accounts.remove', { accountId: email.id });
    expect(contentRows(h)).toBe(0);
    expect(h.core.ctx.db.prepare('SELECT count(*) FROM remote_content_senders').pluck().get()).toBe(0);
  });

  it('when its disappearing timer runs out', async () => {
    const clock = { skew: 0, now: () => Date.now() + clock.skew };
    h = await makeHarness({ now: clock.now });
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, ADA, 'gone soon', { content: REPORT, disappearAfterSeconds: 60, historical: true });
    await h.core.ingest.idle();
    expect(contentRows(h)).toBe(1);
    clock.skew += 120_000;
    h.core.expiry.sweep();
    expect(h.core.ctx.db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(0);
    expect(contentRows(h)).toBe(0);
  });
});

describe('messages.original and remote content', () => {
  it('gives subject, sender, date, the full original, and that remote images are blocked', async () => {
    const { h, message } = await withMail();
    expect(await h.core.call('messages.original', { messageId: message.id })).toEqual({
      messageId: message.id,
      subject: 'Quarterly report',
      from: { name: 'Ada Lovelace', address: 'ada@example.com' },
      date: 5_000,
      text: REPORT.originalText,
      hasHtml: true,
      remoteContent: 'blocked',
      remoteCount: 1,
      canAllowSender: true,
      attachments: REPORT.attachments,
    });
    const view = h.core.mailView(message.id, 'http://127.0.0.1:1');
    expect(view?.html).not.toMatch(/tracker\.example|script|alert/);
    expect(view?.csp).toMatch(/img-src data:;/);
    expect(view?.csp).toContain('frame-ancestors http://127.0.0.1:1');
  });

  it('falls back to the chat text, says when there is nothing remote, and refuses an unknown message', async () => {
    const { h, message } = await withMail({ subject: 'Hi', html: '<p>Only text</p>' }, 'Only text');
    const original = await h.core.call('messages.original', { messageId: message.id });
    expect(original).toMatchObject({ text: 'Only text', hasHtml: true, remoteContent: 'none', remoteCount: 0 });
    expect((await apiError(h.core.call('messages.original', { messageId: 'nope' }))).code).toBe('not-found');
    expect(h.core.mailView('nope')).toBeNull();
  });

  it('allows remote content for one message only', async () => {
    const { h, email, message } = await withMail();
    h.net.receive(email.id, ADA, 'second', { content: REPORT });
    await h.core.ingest.idle();
    const after = await h.core.call('messages.allowRemoteContent', { messageId: message.id, scope: 'message' });
    expect(after.remoteContent).toBe('allowed');
    expect(h.core.mailView(message.id)?.csp).toContain('img-src data: https: http:');
    expect(h.core.mailView(message.id)?.html).toContain('https://tracker.example/p.png');
    const second = (await h.core.call('messages.page', { conversationId: message.conversationId })).items[1]!;
    expect((await h.core.call('messages.original', { messageId: second.id })).remoteContent).toBe('blocked');
  });

  it('allows remote content always for a sender, on that account', async () => {
    const { h, email, message } = await withMail();
    await h.core.call('messages.allowRemoteContent', { messageId: message.id, scope: 'sender' });
    // Twice is fine.
    await h.core.call('messages.allowRemoteContent', { messageId: message.id, scope: 'sender' });
    h.net.receive(email.id, ADA, 'later', { content: REPORT });
    h.net.receive(email.id, { address: 'eve@example.com' }, 'other sender', { content: REPORT });
    await h.core.ingest.idle();
    const convs = (await h.core.call('conversations.list', {})).items;
    const remote = async (conversationId: string) => {
      const items = (await h.core.call('messages.page', { conversationId })).items;
      return Promise.all(items.map(async (m) => (await h.core.call('messages.original', { messageId: m.id })).remoteContent));
    };
    expect(await remote(message.conversationId)).toEqual(['allowed', 'allowed']);
    expect(await remote(convs.find((c) => c.id !== message.conversationId)!.id)).toEqual(['blocked']);
  });

  it('refuses a sender permission for an outgoing message, and any permission without HTML', async () => {
    const { h, email, conversationId } = await withMail();
    const sent = await h.core.call('messages.send', { conversationId, text: 'thanks' });
    if (sent.kind !== 'queued') throw new Error('not queued');
    expect((await apiError(h.core.call('messages.allowRemoteContent', { messageId: sent.message.id, scope: 'sender' }))).code).toBe('conflict');
    h.net.receive(email.id, ADA, 'no html', { content: { subject: 'x' } });
    await h.core.ingest.idle();
    const plain = (await h.core.call('messages.page', { conversationId })).items.find((m) => m.text === 'no html')!;
    expect((await apiError(h.core.call('messages.allowRemoteContent', { messageId: plain.id, scope: 'message' }))).message).toMatch(/no formatted/);
    expect((await apiError(h.core.call('messages.allowRemoteContent', { messageId: plain.id, scope: 'everyone' as 'message' }))).code).toBe('bad-request');
  });
});

describe('messages.attachment', () => {
  it('fetches the bytes through the account\'s adapter, as base64 with a safe name', async () => {
    const { h, email, remoteId, message } = await withMail();
    h.net.attachments.set(`${remoteId}/2`, { filename: '../../etc/report.pdf', mimeType: 'Application/PDF', bytes: new Uint8Array([37, 80, 68, 70, 45]) });
    const got = await h.core.call('messages.attachment', { messageId: message.id, attachmentId: '2' });
    expect(got).toEqual({ filename: 'report.pdf', mimeType: 'application/pdf', base64: Buffer.from('%PDF-').toString('base64') });
    expect(h.net.attachmentFetches).toEqual([{ accountId: email.id, remoteId, attachmentId: '2' }]);
  });

  it('refuses an attachment the message does not list, without asking the adapter', async () => {
    const { h, message } = await withMail();
    expect((await apiError(h.core.call('messages.attachment', { messageId: message.id, attachmentId: '9' }))).code).toBe('not-found');
    expect(h.net.attachmentFetches).toEqual([]);
  });

  it('says clearly when the account is offline, or its adapter cannot fetch attachments', async () => {
    const { h, email, message } = await withMail();
    h.net.adapter(email.id).setStatus('offline');
    const offline = await apiError(h.core.call('messages.attachment', { messageId: message.id, attachmentId: '2' }));
    expect([offline.code, offline.message]).toEqual(['unavailable', expect.stringMatching(/offline/)]);
    h.net.noAttachments.add('email');
    await h.restart({}, h.net);
    const none = await apiError(h.core.call('messages.attachment', { messageId: message.id, attachmentId: '2' }));
    expect([none.code, none.message]).toEqual(['unavailable', expect.stringMatching(/cannot download attachments/)]);
  });

  it('passes on the adapter\'s refusal, and refuses a file over the size cap', async () => {
    const { h, email, message } = await withMail();
    expect((await apiError(h.core.call('messages.attachment', { messageId: message.id, attachmentId: '2' }))).message).toMatch(/no longer has/);
    h.net.receive(email.id, ADA, 'big', { content: { attachments: [{ id: '1', filename: 'big.iso', mimeType: 'application/x-iso9660-image', size: MAX_ATTACHMENT_BYTES + 1 }] } });
    await h.core.ingest.idle();
    const big = (await h.core.call('messages.page', { conversationId: message.conversationId })).items.find((m) => m.text === 'big')!;
    const e = await apiError(h.core.call('messages.attachment', { messageId: big.id, attachmentId: '1' }));
    expect([e.code, e.message]).toEqual(['conflict', expect.stringMatching(/larger than 50 MB/)]);
  });
});
