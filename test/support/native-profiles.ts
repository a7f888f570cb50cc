/**
 * Switchboard profiles (a core on a temp folder with the real native adapter) for integration tests
 * against a real relay: make one, connect two through an invite, find a conversation.
 */
import { AdapterRegistry } from '../../adapters/registry.ts';
import { createNativeAdapter, type NativeAdapter } from '../../adapters/native/adapter.ts';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import type { TestRelay } from '../servers/relay.ts';
import { makeHarness, until, type Harness } from './harness.ts';

export interface NativeProfile {
  name: string;
  h: Harness;
  account: Account;
  /** The account's running adapter (a new one after a restart). */
  adapter(): NativeAdapter;
}

export const nativeRegistry = (): AdapterRegistry => new AdapterRegistry().register('native', createNativeAdapter);

/** A profile with one native account on `relay`, online. `cleanup` collects what to close at the end. */
export async function nativeProfile(name: string, relay: TestRelay, cleanup: (() => Promise<void>)[]): Promise<NativeProfile> {
  const h = await makeHarness({ registry: nativeRegistry() });
  cleanup.push(() => h.cleanup());
  const account = await h.core.call('accounts.add', {
    protocol: 'native',
    address: name,
    displayName: name,
    settings: { relays: [relay.url], backoffMs: { first: 50, max: 500 } },
  });
  await until(() => h.core.ctx.accounts.isAvailable(account.id), `${name} online`, 10_000);
  return { name, h, account, adapter: () => h.core.ctx.accounts.adapter(account.id) as NativeAdapter };
}

/** The conversation titled `title` in a profile's inbox, once it is there. */
export async function conversationWith(h: Harness, title: string, kind?: ConversationSummary['kind']): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await until(
    async () => {
      found = (await h.core.call('conversations.list', {})).items.find((c) => c.title === title && (!kind || c.kind === kind));
      return !!found;
    },
    `conversation with ${title}`,
    15_000,
  );
  return found!;
}

/**
 * `from` makes a one-use invite, `to` accepts it; resolves once both sides' sessions are confirmed,
 * with each side's conversation with the other.
 */
export async function connectProfiles(from: NativeProfile, to: NativeProfile): Promise<{ atFrom: ConversationSummary; atTo: ConversationSummary }> {
  const invite = await from.h.core.call('invites.create', { kind: 'one-use' });
  const atTo = await to.h.core.call('invites.accept', { link: invite.link });
  const active = (p: NativeProfile, peerName: string): boolean => p.adapter().client.peers().some((r) => r.name === peerName && r.state === 'active');
  await until(() => active(from, to.name) && active(to, from.name), `${from.name} and ${to.name} connected`, 15_000);
  return { atFrom: await conversationWith(from.h, to.name, 'direct'), atTo };
}

/** The texts of a conversation, oldest first. */
export async function texts(h: Harness, conversationId: string): Promise<string[]> {
  return (await h.core.call('messages.page', { conversationId, limit: 500 })).items.map((m) => m.text);
}
