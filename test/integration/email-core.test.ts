/**
 * Email through the whole core, against real Dovecot + Postfix: two Switchboard profiles, each
 * with an email account added through the api (password sealed), write to each other; the first
 * mail waits as a request, the reply threads into the same conversation on both sides, the
 * padlock goes from red to grey once Autocrypt keys are exchanged, and a restart adds nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailAdapter } from '../../adapters/email/adapter.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import type { Account, ConversationSummary } from '../../core/api/types.ts';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { emailTestSettings } from '../support/email-accounts.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

const registry = (): AdapterRegistry => new AdapterRegistry().register('email', createEmailAdapter);

let servers: MailServers;
const cleanup: (() => Promise<void>)[] = [];

interface Profile {
  h: Harness;
  account: Account;
  user: MailAccount;
}

async function profile(user: MailAccount, name: string): Promise<Profile> {
  const h = await makeHarness({ registry: registry() });
  cleanup.push(() => h.cleanup());
  const account = await h.core.call('accounts.add', { protocol: 'email', address: user.address, displayName: name, settings: emailTestSettings(servers), secrets: { password: user.password } });
  await until(() => h.core.ctx.accounts.isAvailable(account.id), `${name} online`, 15_000);
  return { h, account, user };
}

async function find(p: Profile, title: string, folder: 'inbox' | 'requests' = 'inbox'): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await until(
    async () => {
      found = (await p.h.core.call('conversations.list', { folder })).items.find((c) => c.title === title);
      return !!found;
    },
    `${title} in ${folder}`,
    20_000,
  );
  return found!;
}

const texts = async (p: Profile, conversationId: string): Promise<string[]> =>
  (await p.h.core.call('messages.page', { conversationId, limit: 100 })).items.map((m) => m.text);

let ada: Profile;
let bob: Profile;

beforeAll(async () => {
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'bob', password: 'bob-pw' }] });
  cleanup.push(() => servers.stop());
  const [a, b] = servers.users as [MailAccount, MailAccount];
  ada = await profile(a, 'Ada');
  bob = await profile(b, 'Bob');
}, 60_000);
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('email through core', () => {
  let atAda: ConversationSummary;

  it('Ada writes to an address; Bob gets it as a request', async () => {
    atAda = await ada.h.core.call('conversations.start', { address: bob.user.address });
    expect(atAda.request).toBe(false);
    expect(atAda.rating.colour).toBe('red');
    const sent = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'Hi Bob, this is Ada on Switchboard.' });
    expect(sent.kind === 'queued' && sent.message.status).toBe('queued');
    const req = await find(bob, 'Ada', 'requests');
    expect(await texts(bob, req.id)).toEqual(['Hi Bob, this is Ada on Switchboard.']);
  });

  it('Bob accepts and answers; the answer threads into the same conversation, now end-to-end encrypted', async () => {
    const req = await find(bob, 'Ada', 'requests');
    await bob.h.core.call('conversations.acceptRequest', { conversationId: req.id });
    const atBob = await bob.h.core.call('conversations.get', { conversationId: req.id });
    // Bob has Ada's Autocrypt key from her first mail, and both prefer encryption: grey, not red.
    expect(atBob.rating.colour).toBe('grey');
    await bob.h.core.call('messages.send', { conversationId: req.id, text: 'Hello Ada! Good to hear from you.' });
    await until(async () => (await texts(ada, atAda.id)).includes('Hello Ada! Good to hear from you.'), 'the answer at Ada', 20_000);
    const page = (await ada.h.core.call('messages.page', { conversationId: atAda.id, limit: 100 })).items;
    // Her own mail once (the outbox row joined by its echo from Sent), his answer once, in order.
    expect(page.map((m) => [m.direction, m.text])).toEqual([
      ['out', 'Hi Bob, this is Ada on Switchboard.'],
      ['in', 'Hello Ada! Good to hear from you.'],
    ]);
    expect(page[1]?.rating.colour).toBe('grey');
    expect(page[0]?.rating.colour).toBe('red');
    const conv = await ada.h.core.call('conversations.get', { conversationId: atAda.id });
    expect(conv.rating.colour).toBe('grey');
    // Bob's side shows both too, his own from Sent not doubled.
    await until(async () => (await texts(bob, req.id)).length === 2, 'two messages at Bob', 20_000);
    expect(await texts(bob, req.id)).toEqual(['Hi Bob, this is Ada on Switchboard.', 'Hello Ada! Good to hear from you.']);
  });

  it('a restart of the profile brings nothing twice', async () => {
    await ada.h.restart({ registry: registry() });
    await until(() => ada.h.core.ctx.accounts.isAvailable(ada.account.id), 'Ada online again', 15_000);
    await bob.h.core.call('messages.send', { conversationId: (await find(bob, 'Ada')).id, text: 'One more after your restart.' });
    await until(async () => (await texts(ada, atAda.id)).includes('One more after your restart.'), 'the mail after the restart', 20_000);
    expect(await texts(ada, atAda.id)).toEqual(['Hi Bob, this is Ada on Switchboard.', 'Hello Ada! Good to hear from you.', 'One more after your restart.']);
  });
});
