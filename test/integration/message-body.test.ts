/**
 * `message-body`: a message stored from its headers gets its text, content and facts later (an
 * email account's first sync). Search, the conversation preview and the views follow; a message
 * deleted meanwhile stays deleted; the adapter hears it was stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecurityFacts } from '../../adapters/contract.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

const E2E: SecurityFacts = { transport: 'tls-verified', endToEnd: 'all', forwardSecrecy: false, identity: 'tofu', metadataProtection: false, postQuantum: false, downgradeResistant: false };

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('message-body', () => {
  it('fills in a message stored from its headers: text, search, preview, content, facts; acknowledged', async () => {
    const account = await h.addAccount('email', 'me@example.org');
    const remoteId = h.net.receive(account.id, { address: 'ada@example.org', displayName: 'Ada' }, '…', { content: { subject: 'Engines' } });
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    h.events.length = 0;
    const adapter = h.net.adapter(account.id);
    const acked: string[] = [];
    adapter.messagesStored = (ids) => acked.push(...ids);
    adapter.emitRaw({ type: 'message-body', accountId: account.id, remoteId, text: 'The analytical engine weaves algebraic patterns.', content: { subject: 'Engines', originalText: 'full text' }, facts: E2E });
    await h.core.ingest.idle();
    const [m] = (await h.core.call('messages.page', { conversationId: conv.id, limit: 10 })).items;
    expect(m?.text).toBe('The analytical engine weaves algebraic patterns.');
    expect(m?.hasOriginal).toBe(true);
    expect(m?.rating.colour).toBe('grey');
    const hits = await h.core.call('search', { query: 'algebraic' });
    expect(hits.map((x) => x.message.id)).toEqual([m?.id]);
    expect(h.events.some((e) => e.type === 'message.updated' && e.message.id === m?.id)).toBe(true);
    const updated = h.events.find((e) => e.type === 'conversation.updated');
    expect(updated?.type === 'conversation.updated' && updated.conversation.lastMessagePreview).toBe('The analytical engine weaves algebraic patterns.');
    expect(acked).toContain(remoteId);
  });

  it('a body for a message that is gone changes nothing and is still acknowledged', async () => {
    const account = await h.addAccount('email', 'me@example.org');
    const remoteId = h.net.receive(account.id, { address: 'ada@example.org' }, '…');
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    await h.core.call('conversations.delete', { conversationId: conv.id });
    const adapter = h.net.adapter(account.id);
    const acked: string[] = [];
    adapter.messagesStored = (ids) => acked.push(...ids);
    adapter.emitRaw({ type: 'message-body', accountId: account.id, remoteId, text: 'too late' });
    await h.core.ingest.idle();
    expect((await h.core.call('conversations.list', {})).items).toHaveLength(0);
    expect(acked).toEqual([remoteId]);
  });
});
