/**
 * The upgrade to encrypted chat through core with the test double's accounts: what core refuses
 * and why, what it hands the email adapter, what it does with a received invitation, and how a
 * peer who accepts a bound invite joins the contact it was made for. The same flow against the
 * real mail servers and relay is test/integration/email-upgrade.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, ConversationSummary, Message } from '../../core/api/types.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness;
let email: Account;

beforeEach(async () => {
  h = await makeHarness();
  email = await h.addAccount('email', 'me@example.org');
});
afterEach(async () => {
  await h.cleanup();
});

async function mailFrom(address: string, name: string, text: string, invitation?: string, request = false): Promise<ConversationSummary> {
  h.net.receive(email.id, { address, displayName: name }, text, { request, ...(invitation ? { content: { invitation: { link: invitation } } } : {}) });
  await h.core.ingest.idle();
  const all = [...(await h.core.call('conversations.list', {})).items, ...(await h.core.call('conversations.list', { folder: 'requests' })).items];
  return all.find((c) => c.title === name)!;
}

async function messages(conversationId: string): Promise<Message[]> {
  return (await h.core.call('messages.page', { conversationId })).items;
}

describe('conversations.upgrade', () => {
  it('is offered only with a native account, and refused in words where it cannot work', async () => {
    const ada = await mailFrom('ada@example.com', 'Ada', 'hello');
    expect(ada.upgrade).toBeNull();
    await expect(h.core.call('conversations.upgrade', { conversationId: ada.id })).rejects.toThrow(/Set up encrypted chat first/);
    await h.addAccount('native', 'me-native');
    await h.core.call('conversations.acceptRequest', { conversationId: ada.id });
    expect((await h.core.call('conversations.get', { conversationId: ada.id })).upgrade).toBe('possible');

    const stranger = await mailFrom('eve@example.com', 'Eve', 'hi', undefined, true);
    expect(stranger.request).toBe(true);
    expect(stranger.upgrade).toBeNull();
    await expect(h.core.call('conversations.upgrade', { conversationId: stranger.id })).rejects.toThrow(/Accept this message request first/);
    await expect(h.core.call('conversations.upgrade', { conversationId: 'nope' })).rejects.toThrow(/does not exist/);
  });

  it('queues the invitation email with the invite for the adapter, binds it to the contact, and links whoever accepts it', async () => {
    const native = await h.addAccount('native', 'me-native');
    const ada = await mailFrom('ada@example.com', 'Ada', 'hello');
    await h.core.call('conversations.acceptRequest', { conversationId: ada.id });
    const { message, conversation } = await h.core.call('conversations.upgrade', { conversationId: ada.id });
    expect(conversation.upgrade).toBe('invited');
    expect(message.invitation?.state).toBe('sent');
    await until(() => h.net.delivered.some((d) => d.out.clientId === message.id), 'the invitation sent');
    const sent = h.net.delivered.find((d) => d.out.clientId === message.id)!;
    expect(sent.accountId).toBe(email.id);
    expect(sent.out.invitation?.link).toMatch(/^switchboard:\/\/invite\/1\/test-/);
    expect(sent.out.text).toContain(sent.out.invitation!.link);
    const [invite] = (await h.core.call('contacts.get', { contactId: ada.contactId! })).invites;
    expect(invite?.link).toBe(sent.out.invitation!.link);

    // Ada accepts (as the relay would report it): her native identity joins the contact the invite was made for.
    h.net.adapter(native.id).invites!.receiveAccept(invite!.id, { address: 'ada-native', displayName: 'Ada L.' });
    await h.core.ingest.idle();
    const contact = await h.core.call('contacts.get', { contactId: ada.contactId! });
    expect(contact.identities.map((i) => `${i.protocol}:${i.address}`).sort()).toEqual(['email:ada@example.com', 'native:ada-native']);
    expect(contact.invites).toEqual([]);
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.id)).toEqual([ada.id]);
    const line = (await messages(ada.id)).find((m) => m.kind === 'system')!;
    expect(line.text).toMatch(/^Messages to Ada are now end-to-end encrypted \(green, \d+%\)\.$/);
    const after = await h.core.call('conversations.get', { conversationId: ada.id });
    expect(after.upgrade).toBeNull();
    expect(after.unreadCount).toBe(1); // the system line is never unread
    expect(after.rating.colour).toBe('green');
    await expect(h.core.call('conversations.upgrade', { conversationId: ada.id })).rejects.toThrow(/can already go end-to-end encrypted/);
  });

  it('revoking the bound invite from the contact card makes the upgrade possible again', async () => {
    await h.addAccount('native', 'me-native');
    const ada = await mailFrom('ada@example.com', 'Ada', 'hello');
    await h.core.call('conversations.acceptRequest', { conversationId: ada.id });
    await h.core.call('conversations.upgrade', { conversationId: ada.id });
    const [invite] = (await h.core.call('contacts.get', { contactId: ada.contactId! })).invites;
    const revoked = await h.core.call('invites.revoke', { accountId: invite!.accountId, inviteId: invite!.id });
    expect(revoked.state).toBe('revoked');
    expect((await h.core.call('contacts.get', { contactId: ada.contactId! })).invites).toEqual([]);
    expect((await h.core.call('conversations.get', { conversationId: ada.id })).upgrade).toBe('possible');
  });
});

describe('a received invitation', () => {
  it('is offered in the sender’s conversation; accepting links the inviter’s native identity to that contact', async () => {
    await h.addAccount('native', 'me-native');
    const link = h.net.outsideInvite({ address: 'bob-native', displayName: 'Bob (native)' });
    const bob = await mailFrom('bob@example.com', 'Bob', 'Let us chat encrypted.', link, true);
    expect(bob.request).toBe(true);
    const [offer] = await messages(bob.id);
    expect(offer!.invitation).toEqual({ state: 'offered', error: null });
    const accepted = await h.core.call('invitations.respond', { messageId: offer!.id, accept: true });
    expect(accepted.invitation?.state).toBe('accepted');
    const conv = await h.core.call('conversations.get', { conversationId: bob.id });
    // Accepting the invitation accepts its sender: out of requests.
    expect(conv.request).toBe(false);
    expect(conv.protocols.sort()).toEqual(['email', 'native']);
    expect((await h.core.call('contacts.list', {})).map((c) => c.displayName)).toEqual(['Bob']);
    expect((await messages(bob.id)).map((m) => m.kind)).toEqual(['chat', 'system']);
  });

  it('while their invitation waits for an answer, no upgrade of our own is offered', async () => {
    await h.addAccount('native', 'me-native');
    const link = h.net.outsideInvite({ address: 'bob-native', displayName: 'Bob (native)' });
    const bob = await mailFrom('bob@example.com', 'Bob', 'Let us chat encrypted.', link);
    expect(bob.request).toBe(false);
    expect(bob.upgrade).toBeNull();
    const [offer] = await messages(bob.id);
    await h.core.call('invitations.respond', { messageId: offer!.id, accept: false });
    expect((await h.core.call('conversations.get', { conversationId: bob.id })).upgrade).toBe('possible');
  });

  it('without a native account, accepting fails in words and the invitation can be tried again', async () => {
    const bob = await mailFrom('bob@example.com', 'Bob', 'Let us chat encrypted.', 'switchboard://invite/1/test-elsewhere');
    const [offer] = await messages(bob.id);
    await expect(h.core.call('invitations.respond', { messageId: offer!.id, accept: true })).rejects.toThrow(/Set up encrypted chat first/);
    await h.core.call('invitations.respond', { messageId: offer!.id, accept: false });
    expect((await messages(bob.id))[0]!.invitation).toEqual({ state: 'declined', error: null });
    await expect(h.core.call('invitations.respond', { messageId: 'nope', accept: true })).rejects.toThrow(/does not exist/);
  });

  it('a mail first listed from its headers brings its invitation with its body', async () => {
    h.net.adapter(email.id).emitRaw({
      type: 'message',
      accountId: email.id,
      remoteId: 'big-1',
      conversation: { kind: 'direct', peer: { address: 'bob@example.com', displayName: 'Bob' } },
      sender: { address: 'bob@example.com', displayName: 'Bob' },
      text: 'Loading…',
      sentAt: Date.now(),
    });
    await h.core.ingest.idle();
    const bob = (await h.core.call('conversations.list', {})).items.find((c) => c.title === 'Bob')!;
    expect((await messages(bob.id))[0]!.invitation).toBeNull();
    h.net.adapter(email.id).emitRaw({
      type: 'message-body',
      accountId: email.id,
      remoteId: 'big-1',
      text: 'Let us chat encrypted.',
      content: { invitation: { link: 'switchboard://invite/1/test-later' } },
    });
    await h.core.ingest.idle();
    const [m] = await messages(bob.id);
    expect(m!.text).toBe('Let us chat encrypted.');
    expect(m!.invitation).toEqual({ state: 'offered', error: null });
  });

  it('a link that is not an invite, or an invitation in a group, is ignored and the message kept', async () => {
    const bob = await mailFrom('bob@example.com', 'Bob', 'look', 'javascript:alert(1)');
    const [m] = await messages(bob.id);
    expect(m!.text).toBe('look');
    expect(m!.invitation).toBeNull();
    await expect(h.core.call('invitations.respond', { messageId: m!.id, accept: true })).rejects.toThrow(/carries no invitation/);
    // An invitation object of the wrong shape costs only the invitation.
    h.net.adapter(email.id).emitRaw({
      type: 'message',
      accountId: email.id,
      remoteId: 'odd-1',
      conversation: { kind: 'direct', peer: { address: 'bob@example.com' } },
      sender: { address: 'bob@example.com' },
      text: 'odd shape',
      sentAt: Date.now(),
      content: { invitation: { link: 42 } as unknown as { link: string } },
    });
    await h.core.ingest.idle();
    const odd = (await messages(bob.id)).find((x) => x.text === 'odd shape');
    expect(odd?.invitation).toBeNull();
    // An invite in a group thread has no one person to link: ignored, the mail kept.
    h.net.adapter(email.id).emitRaw({
      type: 'message',
      accountId: email.id,
      remoteId: 'group-1',
      conversation: { kind: 'group', roomId: 'thread-root@example.com', title: 'Book club' },
      sender: { address: 'bob@example.com' },
      text: 'join me',
      sentAt: Date.now(),
      content: { invitation: { link: 'switchboard://invite/1/test-group' } },
    });
    await h.core.ingest.idle();
    const club = (await h.core.call('conversations.list', {})).items.find((c) => c.title === 'Book club')!;
    const [g] = await messages(club.id);
    expect(g!.text).toBe('join me');
    expect(g!.invitation).toBeNull();
  });
});
