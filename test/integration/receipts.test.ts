import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('receipts policy', () => {
  it('read receipts and typing go out on green routes only, unless the user opts in', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    const native = await h.addAccount('native', 'me-native');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'by mail', { remoteId: 'mail-1' });
    h.net.receive(native.id, { address: 'ben-key' }, 'by native', { remoteId: 'nat-1' });
    await h.core.ingest.idle();
    const convs = (await h.core.call('conversations.list', {})).items;
    const red = convs.find((c) => c.protocols.includes('email'))!;
    const green = convs.find((c) => c.protocols.includes('native'))!;
    expect([red.rating.colour, green.rating.colour]).toEqual(['red', 'green']);

    await h.core.call('conversations.markRead', { conversationId: red.id });
    await h.core.call('conversations.markRead', { conversationId: green.id });
    expect(await h.core.call('conversations.typing', { conversationId: red.id, typing: true })).toEqual({ shared: false });
    expect(await h.core.call('conversations.typing', { conversationId: green.id, typing: true })).toEqual({ shared: true });
    await until(() => h!.net.receipts.length === 2, 'receipts on the green route');
    expect(h.net.receipts.map((r) => [r.accountId, r.kind, r.detail])).toEqual([
      [native.id, 'read', 'nat-1'],
      [native.id, 'typing', 'true'],
    ]);

    await h.core.call('settings.set', { receiptsOnWeakRoutes: true });
    await h.core.call('conversations.markRead', { conversationId: red.id });
    expect(await h.core.call('conversations.typing', { conversationId: red.id, typing: false })).toEqual({ shared: true });
    await until(() => h!.net.receipts.length === 4, 'receipts on the red route after opting in');
    expect(h.net.receipts.slice(2).map((r) => [r.accountId, r.kind, r.detail])).toEqual([
      [email.id, 'read', 'mail-1'],
      [email.id, 'typing', 'false'],
    ]);
  });
});
