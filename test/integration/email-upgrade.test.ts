/**
 * Upgrading an email contact to encrypted chat, through core, against the real Dovecot + Postfix
 * and a real relay: Ada and Bob write by email, Ada invites Bob by email, Bob accepts the
 * invitation in the same conversation, and from then on messages go end-to-end encrypted by the
 * native route — the mail server never sees them — while both keep one contact and one conversation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailAdapter } from '../../adapters/email/adapter.ts';
import { createNativeAdapter } from '../../adapters/native/adapter.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import type { Account, ConversationSummary, Message } from '../../core/api/types.ts';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { startRelay, type TestRelay } from '../servers/relay.ts';
import { formatInvitationHeader } from '../../adapters/email/invitation.ts';
import { makeParty } from '../../native-protocol/client/test-helpers.ts';
import { emailTestSettings, rawMailbox } from '../support/email-accounts.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

const registry = (): AdapterRegistry => new AdapterRegistry().register('email', createEmailAdapter).register('native', createNativeAdapter);

let servers: MailServers;
let relay: TestRelay;
const cleanup: (() => Promise<void>)[] = [];

interface Profile {
  name: string;
  h: Harness;
  email: Account;
  native: Account;
  user: MailAccount;
}

async function profile(user: MailAccount, name: string): Promise<Profile> {
  const h = await makeHarness({ registry: registry() });
  cleanup.push(() => h.cleanup());
  const email = await h.core.call('accounts.add', { protocol: 'email', address: user.address, displayName: name, settings: emailTestSettings(servers), secrets: { password: user.password } });
  const native = await h.core.call('accounts.add', {
    protocol: 'native',
    address: name,
    displayName: name,
    settings: { relays: [relay.url], backoffMs: { first: 50, max: 500 } },
  });
  await until(() => h.core.ctx.accounts.isAvailable(email.id) && h.core.ctx.accounts.isAvailable(native.id), `${name} online`, 15_000);
  return { name, h, email, native, user };
}

async function find(p: Profile, title: string, folder: 'inbox' | 'requests' = 'inbox'): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await until(
    async () => {
      found = (await p.h.core.call('conversations.list', { folder })).items.find((c) => c.title === title);
      return !!found;
    },
    `${title} in ${p.name}'s ${folder}`,
    20_000,
  );
  return found!;
}

const page = async (p: Profile, conversationId: string): Promise<Message[]> => (await p.h.core.call('messages.page', { conversationId, limit: 200 })).items;

async function waitFor(p: Profile, conversationId: string, test: (m: Message) => boolean, what: string): Promise<Message> {
  let found: Message | undefined;
  await until(
    async () => {
      found = (await page(p, conversationId)).find(test);
      return !!found;
    },
    what,
    30_000,
  );
  return found!;
}

let ada: Profile;
let bob: Profile;
let carol: Profile;
let atAda: ConversationSummary;
let atBob: ConversationSummary;

beforeAll(async () => {
  [servers, relay] = await Promise.all([startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'bob', password: 'bob-pw' }, { name: 'carol', password: 'carol-pw' }] }), startRelay()]);
  cleanup.push(() => servers.stop(), async () => {
    await relay.stop();
  });
  const [a, b, c] = servers.users as [MailAccount, MailAccount, MailAccount];
  ada = await profile(a, 'Ada');
  bob = await profile(b, 'Bob');
  carol = await profile(c, 'Carol');
}, 90_000);
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('upgrading an email contact to encrypted chat', () => {
  it('Ada and Bob write by email; Ada can upgrade, and the invitation goes by email with the invite in a header', async () => {
    atAda = await ada.h.core.call('conversations.start', { address: bob.user.address, displayName: 'Bob' });
    await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'Hi Bob, by mail.' });
    const req = await find(bob, 'Ada', 'requests');
    atBob = await bob.h.core.call('conversations.acceptRequest', { conversationId: req.id });
    await bob.h.core.call('messages.send', { conversationId: atBob.id, text: 'Hi Ada, by mail too.' });
    await waitFor(ada, atAda.id, (m) => m.text === 'Hi Ada, by mail too.', 'Bob’s reply at Ada');

    atAda = await ada.h.core.call('conversations.get', { conversationId: atAda.id });
    expect(atAda.upgrade).toBe('possible');
    expect(atAda.rating.colour).not.toBe('green');
    const { message, conversation } = await ada.h.core.call('conversations.upgrade', { conversationId: atAda.id });
    expect(message.protocol).toBe('email');
    expect(message.invitation).toEqual({ state: 'sent', error: null });
    expect(message.text).toContain('switchboard://invite/');
    expect(message.text).toContain('ordinary email');
    expect(conversation.upgrade).toBe('invited');
    const card = await ada.h.core.call('contacts.get', { contactId: atAda.contactId! });
    expect(card.invites).toHaveLength(1);
    expect(card.invites[0]!.kind).toBe('one-use');
    expect(card.invites[0]!.expiresAt! - Date.now()).toBeGreaterThan(13.9 * 86_400_000);
  });

  it('Bob sees the invitation in the same conversation and accepts; both link the native route to the contact they had', async () => {
    const offered = await waitFor(bob, atBob.id, (m) => m.invitation !== null, 'the invitation at Bob');
    expect(offered.invitation).toEqual({ state: 'offered', error: null });
    expect(offered.protocol).toBe('email');
    const accepted = await bob.h.core.call('invitations.respond', { messageId: offered.id, accept: true });
    expect(accepted.invitation?.state).toBe('accepted');

    const line = await waitFor(bob, atBob.id, (m) => m.kind === 'system', 'the system line at Bob');
    expect(line.text).toMatch(/^Messages to Ada are now end-to-end encrypted \(green, \d+%\)\.$/);
    await waitFor(ada, atAda.id, (m) => m.kind === 'system' && /^Messages to Bob are now end-to-end encrypted \(green, \d+%\)\.$/.test(m.text), 'the system line at Ada');

    for (const [p, conv] of [[ada, atAda], [bob, atBob]] as const) {
      const all = (await p.h.core.call('conversations.list', {})).items;
      expect(all.map((c) => c.id)).toEqual([conv.id]);
      expect((await p.h.core.call('contacts.list', {})).map((c) => c.displayName)).toEqual([p === ada ? 'Bob' : 'Ada']);
      const contact = await p.h.core.call('contacts.get', { contactId: conv.contactId! });
      expect(contact.identities.map((i) => i.protocol).sort()).toEqual(['email', 'native']);
      await until(async () => (await p.h.core.call('conversations.get', { conversationId: conv.id })).rating.colour === 'green', `${p.name}'s padlock green`, 20_000);
      expect((await p.h.core.call('conversations.get', { conversationId: conv.id })).upgrade).toBeNull();
    }
    expect((await ada.h.core.call('contacts.get', { contactId: atAda.contactId! })).invites).toEqual([]);
  });

  it('Ada’s next message goes end-to-end encrypted: Bob gets it green in the same conversation, and his mailbox never holds it', async () => {
    const before = (await rawMailbox(servers, bob.user)).length;
    const sent = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'hello encrypted' });
    expect(sent.kind).toBe('queued');
    if (sent.kind === 'queued') expect(sent.message.protocol).toBe('native');
    const got = await waitFor(bob, atBob.id, (m) => m.text === 'hello encrypted', 'hello encrypted at Bob');
    expect(got.protocol).toBe('native');
    expect(got.rating.colour).toBe('green');
    const raw = await rawMailbox(servers, bob.user);
    expect(raw.length).toBe(before);
    expect(raw.some((r) => r.includes('hello encrypted'))).toBe(false);

    // Mail still arriving from Ada's address (another mail program) lands in the same conversation, by email.
    await servers.deliverRaw(
      'bob',
      [`From: Ada <${ada.user.address}>`, `To: ${bob.user.address}`, 'Subject: from my phone', `Message-ID: <phone-1@${servers.domain}>`, `Date: ${new Date().toUTCString()}`, '', 'Sent from my phone.', ''].join('\r\n'),
    );
    const mail = await waitFor(bob, atBob.id, (m) => m.text === 'Sent from my phone.', 'plain mail from Ada at Bob');
    expect(mail.protocol).toBe('email');
    expect(mail.rating.colour).toBe('red');
    expect((await bob.h.core.call('conversations.list', {})).items).toHaveLength(1);
  });

  it('with the relay down, sending asks first: "wait" goes by the native route once it is back, "send anyway" goes by email', async () => {
    await relay.stop();
    await until(() => !ada.h.core.ctx.accounts.isAvailable(ada.native.id), 'Ada’s native route down', 20_000);
    const asked = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'wait for it', clientId: 'wait-for-it-1' });
    expect(asked.kind).toBe('needs-decision');
    // Email between two Switchboards is Autocrypt-encrypted by now (grey): less secure, but still end to end.
    if (asked.kind === 'needs-decision') {
      expect(asked.available?.identity.protocol).toBe('email');
      expect(asked.question).toMatch(asked.available?.rating.colour === 'red' ? /leave end-to-end encryption/ : /is not reachable right now\. Send now by Email \(grey, \d+%\), which is less secure/);
    }
    const waiting = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'wait for it', clientId: 'wait-for-it-1', decision: 'wait' });
    expect(waiting.kind === 'queued' && waiting.message.status).toBe('waiting-route');
    await relay.restart();
    const got = await waitFor(bob, atBob.id, (m) => m.text === 'wait for it', 'the waiting message at Bob');
    expect(got.protocol).toBe('native');

    await relay.stop();
    await until(() => !ada.h.core.ctx.accounts.isAvailable(ada.native.id), 'Ada’s native route down again', 20_000);
    const anyway = await ada.h.core.call('messages.send', { conversationId: atAda.id, text: 'by mail then', decision: 'send-anyway' });
    expect(anyway.kind === 'queued' && anyway.message.protocol).toBe('email');
    const mail = await waitFor(bob, atBob.id, (m) => m.text === 'by mail then', 'the mail at Bob');
    expect(mail.protocol).toBe('email');
    expect(mail.rating.colour).not.toBe('green');
    expect(mail.rating.colour).toBe(asked.kind === 'needs-decision' ? asked.available?.rating.colour : 'none');
    await relay.restart();
    await until(() => ada.h.core.ctx.accounts.isAvailable(ada.native.id) && bob.h.core.ctx.accounts.isAvailable(bob.native.id), 'native routes back', 20_000);
  });

  it('both restart: one contact, one conversation, the history and the green route survive', async () => {
    for (const p of [ada, bob]) {
      await p.h.restart({ registry: registry() });
      await until(() => p.h.core.ctx.accounts.isAvailable(p.native.id), `${p.name} native back`, 15_000);
    }
    for (const [p, conv] of [[ada, atAda], [bob, atBob]] as const) {
      const all = (await p.h.core.call('conversations.list', {})).items;
      expect(all.map((c) => c.id)).toEqual([conv.id]);
      const texts = (await page(p, conv.id)).map((m) => m.text);
      expect(texts).toContain('hello encrypted');
      expect(texts).toContain('Hi Bob, by mail.');
      expect((await p.h.core.call('conversations.get', { conversationId: conv.id })).rating.colour).toBe('green');
    }
  });

  it('an invitation from someone unknown waits under requests; a revoked one is refused in words and loses nothing', async () => {
    const atCarol = await carol.h.core.call('conversations.start', { address: bob.user.address, displayName: 'Bob' });
    await carol.h.core.call('conversations.upgrade', { conversationId: atCarol.id });
    const req = await find(bob, 'Carol', 'requests');
    const offered = await waitFor(bob, req.id, (m) => m.invitation?.state === 'offered', 'Carol’s invitation at Bob');
    // Carol takes it back before Bob answers.
    const [invite] = (await carol.h.core.call('contacts.get', { contactId: atCarol.contactId! })).invites;
    await carol.h.core.call('invites.revoke', { accountId: invite!.accountId, inviteId: invite!.id });
    expect((await carol.h.core.call('contacts.get', { contactId: atCarol.contactId! })).invites).toEqual([]);
    expect((await carol.h.core.call('conversations.get', { conversationId: atCarol.id })).upgrade).toBe('possible');
    await expect(bob.h.core.call('invitations.respond', { messageId: offered.id, accept: true })).rejects.toThrow(/no longer valid/);
    const failed = await waitFor(bob, req.id, (m) => m.id === offered.id, 'the invitation');
    expect(failed.invitation?.state).toBe('failed');
    expect(failed.invitation?.error).toMatch(/no longer valid: it was used, revoked or has expired/);
    // Still a request, still only email.
    const still = await bob.h.core.call('conversations.get', { conversationId: req.id });
    expect(still.request).toBe(true);
    expect(still.protocols).toEqual(['email']);
  });

  it('an expired invitation is refused in words; declining one changes nothing', async () => {
    // An invite made by a native client whose clock is 20 days behind: its 14 days ran out 6 days ago.
    const past = makeParty('Dave', [relay.url], { now: () => Date.now() - 20 * 86_400_000 });
    const expired = await past.client.createInvite({ kind: 'one-use' });
    await past.client.stop();
    const mail = (id: string, header: string) =>
      [`From: Dave <dave@${servers.domain}>`, `To: ${bob.user.address}`, 'Subject: chat?', `Message-ID: <${id}@${servers.domain}>`, `Date: ${new Date().toUTCString()}`, `Switchboard-Invite: ${header}`, '', 'Let us chat encrypted.', ''].join('\r\n');
    await servers.deliverRaw('bob', mail('dave-1', formatInvitationHeader(expired.link)));
    const req = await find(bob, 'Dave', 'requests');
    const offered = await waitFor(bob, req.id, (m) => m.invitation?.state === 'offered', 'Dave’s invitation');
    await expect(bob.h.core.call('invitations.respond', { messageId: offered.id, accept: true })).rejects.toThrow(/expired on .*Ask Dave for a new one/);
    const declined = await bob.h.core.call('invitations.respond', { messageId: offered.id, accept: false });
    expect(declined.invitation).toEqual({ state: 'declined', error: null });
    // A hostile header costs the invitation, never the mail.
    await servers.deliverRaw('bob', mail('dave-2', 'v=1; link="javascript:alert(1)"'));
    const plain = await waitFor(bob, req.id, (m) => m.text === 'Let us chat encrypted.' && m.id !== offered.id, 'the second mail');
    expect(plain.invitation).toBeNull();
  });

  it('with the setting on, an invitation from someone the user wrote to is accepted without asking', async () => {
    await bob.h.core.call('settings.set', { autoAcceptInvitations: true });
    const req = await find(bob, 'Carol', 'requests');
    await bob.h.core.call('conversations.acceptRequest', { conversationId: req.id });
    await bob.h.core.call('messages.send', { conversationId: req.id, text: 'Hi Carol, sorry, try again?' });
    const atCarol = await find(carol, 'Bob');
    await waitFor(carol, atCarol.id, (m) => m.text === 'Hi Carol, sorry, try again?', 'Bob’s mail at Carol');
    await carol.h.core.call('conversations.upgrade', { conversationId: atCarol.id });
    await waitFor(bob, req.id, (m) => m.invitation?.state === 'accepted', 'the second invitation accepted by itself');
    await waitFor(bob, req.id, (m) => m.kind === 'system', 'the system line at Bob');
    await waitFor(carol, atCarol.id, (m) => m.kind === 'system', 'the system line at Carol');
  });
});
