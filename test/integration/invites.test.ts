/** Invites, the accept quarantine and safety numbers through the api, with the test double's native accounts. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdapterActionError, type InviteInfo } from '../../adapters/contract.ts';
import { ApiError } from '../../core/api/commands.ts';
import type { Account } from '../../core/api/types.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const expectApiError = async (p: Promise<unknown>, code: string, message: RegExp) => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ApiError);
  expect((e as ApiError).code).toBe(code);
  expect((e as ApiError).message).toMatch(message);
};

/** Two native accounts on the test network: "me" makes invites, "friend" accepts them. */
async function twoNative(): Promise<{ me: Account; friend: Account }> {
  h = await makeHarness();
  const me = await h.addAccount('native', 'me-native');
  const friend = await h.addAccount('native', 'friend-native');
  return { me, friend };
}

describe('choosing the account', () => {
  it('without an account that has invites, says to set up encrypted chat first; lists are empty', async () => {
    h = await makeHarness();
    const email = await h.addAccount('email', 'me@example.org');
    await expectApiError(h.core.call('invites.create', { kind: 'one-use' }), 'unavailable', /^Set up encrypted chat first/);
    await expectApiError(h.core.call('invites.accept', { link: 'switchboard://invite/1/x' }), 'unavailable', /^Set up encrypted chat first/);
    await expectApiError(h.core.call('invites.create', { accountId: email.id, kind: 'one-use' }), 'unavailable', /has no invites/);
    await expectApiError(h.core.call('invites.create', { accountId: 'no-such', kind: 'one-use' }), 'not-found', /account does not exist/);
    await expectApiError(h.core.call('quarantine.decide', { accountId: email.id, ids: 'all', accept: true }), 'unavailable', /has no invites/);
    expect(await h.core.call('invites.list', {})).toEqual([]);
    expect(await h.core.call('quarantine.list', {})).toEqual([]);
  });

  it('takes the first native account unless one is named, and lists every account\'s invites with its id', async () => {
    const { me, friend } = await twoNative();
    h.events.length = 0;
    const a = await h.core.call('invites.create', { kind: 'one-use', label: 'for Ada' });
    const b = await h.core.call('invites.create', { accountId: friend.id, kind: 'address' });
    expect(a).toMatchObject({ accountId: me.id, kind: 'one-use', label: 'for Ada', maxUses: 1, uses: 0, state: 'active' });
    expect(a.link).toMatch(/^switchboard:\/\/invite\/1\//);
    expect(a.shortLink).toMatch(/^switchboard:\/\/i\/1\//);
    expect(a.expiresAt).toBe(a.createdAt + 7 * 86_400_000);
    expect(b).toMatchObject({ accountId: friend.id, kind: 'address', maxUses: null, expiresAt: null });
    expect(h.events).toEqual([
      { type: 'invites.changed', accountId: me.id },
      { type: 'invites.changed', accountId: friend.id },
    ]);
    expect(await h.core.call('invites.list', {})).toEqual([a, b]);
  });
});

describe('invites', () => {
  it('passes the options on and maps a refusal to bad-request with the adapter\'s words', async () => {
    await twoNative();
    const timed = await h.core.call('invites.create', { kind: 'timed', expiresInSeconds: 3600 });
    expect(timed.expiresAt).toBe(timed.createdAt + 3_600_000);
    const multi = await h.core.call('invites.create', { kind: 'multi-use', uses: 3 });
    expect(multi.maxUses).toBe(3);
    await expectApiError(h.core.call('invites.create', { kind: 'multi-use' }), 'bad-request', /^Say how many people may use this invite/);
    await expectApiError(h.core.call('invites.create', { kind: 'address', expiresInSeconds: 600 }), 'bad-request', /contact address does not expire/);
    // Bad params never reach the adapter.
    await expectApiError(h.core.call('invites.create', { kind: 'multi-use', uses: 1 }), 'bad-request', /Invalid parameters for invites.create/);
  });

  it('revoke returns the revoked invite; accepting it then is a conflict', async () => {
    const { me, friend } = await twoNative();
    const invite = await h.core.call('invites.create', { kind: 'one-use' });
    h.events.length = 0;
    const revoked = await h.core.call('invites.revoke', { accountId: me.id, inviteId: invite.id });
    expect(revoked).toEqual({ ...invite, state: 'revoked' });
    expect(h.events).toEqual([{ type: 'invites.changed', accountId: me.id }]);
    expect((await h.core.call('invites.list', {}))[0]!.state).toBe('revoked');
    await expectApiError(h.core.call('invites.accept', { accountId: friend.id, link: invite.link }), 'conflict', /withdrew it/);
    await expectApiError(h.core.call('invites.revoke', { accountId: me.id, inviteId: 'inv-404' }), 'not-found', /invite does not exist/);
  });

  it('maps used-up and expired to conflict, an unknown link to not-found, a garbled one to bad-request', async () => {
    const { friend } = await twoNative();
    const third = await h.addAccount('native', 'third-native');
    const once = await h.core.call('invites.create', { kind: 'one-use' });
    await h.core.call('invites.accept', { accountId: friend.id, link: once.link });
    await expectApiError(h.core.call('invites.accept', { accountId: third.id, link: once.link }), 'conflict', /already been used/);
    expect((await h.core.call('invites.list', {})).find((i) => i.id === once.id)).toMatchObject({ uses: 1, state: 'used-up' });

    const timed = await h.core.call('invites.create', { kind: 'timed', expiresInSeconds: 60 });
    const start = Date.now();
    h.net.now = () => start + 61_000;
    await expectApiError(h.core.call('invites.accept', { accountId: friend.id, link: timed.shortLink! }), 'conflict', /has expired/);
    expect((await h.core.call('invites.list', {})).find((i) => i.id === timed.id)!.state).toBe('expired');

    await expectApiError(h.core.call('invites.accept', { accountId: friend.id, link: 'switchboard://invite/1/test-nothing' }), 'not-found', /does not exist/);
    await expectApiError(h.core.call('invites.accept', { accountId: friend.id, link: 'https://example.org/' }), 'bad-request', /not a Switchboard invite link/);
  });

  it('an offline account is unavailable; an adapter crash is internal; only the contract\'s fields reach the api', async () => {
    const { me } = await twoNative();
    h.net.adapter(me.id).setStatus('offline');
    await expectApiError(h.core.call('invites.create', { kind: 'one-use' }), 'unavailable', /offline/);
    h.net.adapter(me.id).setStatus('online');
    const invites = h.net.adapter(me.id).invites!;
    vi.spyOn(invites, 'create').mockRejectedValueOnce(new Error('boom'));
    await expectApiError(h.core.call('invites.create', { kind: 'one-use' }), 'internal', /invites.create failed: boom/);
    const info: InviteInfo = await invites.create({ kind: 'address' });
    vi.spyOn(invites, 'list').mockReturnValue([{ ...info, secretKey: 'never leaves' } as InviteInfo]);
    const listed = await h.core.call('invites.list', {});
    expect(listed).toEqual([{ ...info, accountId: me.id }]);
    expect(Object.keys(listed[0]!)).not.toContain('secretKey');
  });

  it('one account failing to list leaves it out; every account failing fails the call with the refusal', async () => {
    const { me, friend } = await twoNative();
    await h.core.call('invites.create', { accountId: friend.id, kind: 'address' });
    const broken = vi.spyOn(h.net.adapter(me.id).invites!, 'list').mockImplementation(() => {
      throw new AdapterActionError('unavailable', 'Your keys are locked.');
    });
    expect((await h.core.call('invites.list', {})).map((i) => i.accountId)).toEqual([friend.id]);
    vi.spyOn(h.net.adapter(friend.id).invites!, 'list').mockImplementation(() => {
      throw new AdapterActionError('unavailable', 'Your keys are locked too.');
    });
    await expectApiError(h.core.call('invites.list', {}), 'unavailable', /^Your keys are locked\.$/);
    broken.mockRestore();
  });
});

describe('invites.accept', () => {
  it('creates the contact and an empty conversation, listed at once in the inbox, and announces it', async () => {
    const { friend } = await twoNative();
    h.net.receive(friend.id, { address: 'someone-key', displayName: 'Someone' }, 'older chat', { sentAt: 1_000 });
    await h.core.ingest.idle();
    const invite = await h.core.call('invites.create', { kind: 'one-use' });
    h.events.length = 0;
    const conv = await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    expect(conv).toMatchObject({ kind: 'direct', title: 'me-native', request: false, archived: false, unreadCount: 0, lastMessagePreview: null, protocols: ['native'] });
    expect(h.events).toContainEqual({ type: 'conversation.updated', conversation: conv });
    expect(h.events).toContainEqual({ type: 'contact.updated', contactId: conv.contactId });
    const inbox = (await h.core.call('conversations.list', {})).items;
    expect(inbox[0]).toEqual(conv);
    expect(inbox).toHaveLength(2);
    const contact = await h.core.call('contacts.get', { contactId: conv.contactId! });
    expect(contact.identities.map((i) => [i.accountId, i.address])).toEqual([[friend.id, 'me-native']]);
    expect(contact.chosenIdentityId).toBe(contact.identities[0]!.id);
    expect(contact.routes[0]!.rating.colour).toBe('green');
    // It can be written to straight away, through the account that accepted.
    const sent = await h.core.call('messages.send', { conversationId: conv.id, text: 'hello!', clientId: 'acc-00000001' });
    expect(sent.kind).toBe('queued');
    await until(() => h.net.delivered.length === 1, 'the first message delivered');
    expect(h.net.delivered[0]).toMatchObject({ accountId: friend.id, out: { conversation: { kind: 'direct', peer: { address: 'me-native' } } } });
  });

  it('an existing request from the inviter, even archived, becomes an accepted inbox conversation', async () => {
    const { friend } = await twoNative();
    h.net.receive(friend.id, { address: 'me-native' }, 'let me in', { sentAt: 1_000, request: true });
    await h.core.ingest.idle();
    const request = (await h.core.call('conversations.list', { folder: 'requests' })).items[0]!;
    await h.core.call('conversations.update', { conversationId: request.id, archived: true });
    const invite = await h.core.call('invites.create', { kind: 'address' });
    const conv = await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    expect(conv).toMatchObject({ id: request.id, request: false, archived: false, lastMessagePreview: 'let me in' });
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.id)).toEqual([request.id]);
  });

  it('accepts a link made outside the test network, on the first native account', async () => {
    await twoNative();
    const link = h.net.outsideInvite({ address: 'grace-key', displayName: 'Grace' });
    const conv = await h.core.call('invites.accept', { link });
    expect(conv.title).toBe('Grace');
    expect((await h.core.call('conversations.list', {})).items.map((c) => c.title)).toEqual(['Grace']);
  });

  it('the inviter sees whoever used the invite at once; a stranger on a contact address as a request', async () => {
    const { me, friend } = await twoNative();
    const third = await h.addAccount('native', 'third-native');
    const personal = await h.core.call('invites.create', { kind: 'one-use' });
    const address = await h.core.call('invites.create', { kind: 'address' });
    await h.core.call('invites.accept', { accountId: friend.id, link: personal.link });
    await h.core.call('invites.accept', { accountId: third.id, link: address.link });
    await h.core.ingest.idle();
    const mine = async (folder: 'inbox' | 'requests') => {
      const items = (await h.core.call('conversations.list', { folder })).items;
      const out: string[] = [];
      for (const c of items) {
        const contact = await h.core.call('contacts.get', { contactId: c.contactId! });
        if (contact.identities.some((i) => i.accountId === me.id)) out.push(c.title);
      }
      return out;
    };
    expect(await mine('inbox')).toEqual(['friend-native']);
    expect(await mine('requests')).toEqual(['third-native']);
  });

  it('refuses one\'s own invite', async () => {
    const { me } = await twoNative();
    const invite = await h.core.call('invites.create', { kind: 'one-use' });
    await expectApiError(h.core.call('invites.accept', { accountId: me.id, link: invite.link }), 'bad-request', /your own invite/);
  });
});

describe('quarantine', () => {
  it('lists held accepts with their account, releases or rejects them, and says what is left', async () => {
    const { me, friend } = await twoNative();
    const third = await h.addAccount('native', 'third-native');
    const invite = await h.core.call('invites.create', { kind: 'multi-use', uses: 10, label: 'club' });
    h.net.quarantineAccepts = true;
    await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    await h.core.call('invites.accept', { accountId: third.id, link: invite.link });
    const held = await h.core.call('quarantine.list', {});
    expect(held.map((q) => [q.accountId, q.inviteId, q.inviteLabel, q.displayName])).toEqual([
      [me.id, invite.id, 'club', 'friend-native'],
      [me.id, invite.id, 'club', 'third-native'],
    ]);

    const inviteEvents = () => h.events.filter((e) => e.type === 'quarantine.changed' || e.type === 'invites.changed');
    h.events.length = 0;
    expect(await h.core.call('quarantine.decide', { accountId: me.id, ids: [held[0]!.id], accept: false })).toEqual({ remaining: 1 });
    expect(inviteEvents()).toEqual([{ type: 'quarantine.changed', accountId: me.id, count: 1 }]);
    expect((await h.core.call('invites.list', {}))[0]!.uses).toBe(0);

    await expectApiError(h.core.call('quarantine.decide', { accountId: me.id, ids: [held[0]!.id], accept: true }), 'not-found', /no longer waiting/);
    h.events.length = 0;
    expect(await h.core.call('quarantine.decide', { accountId: me.id, ids: 'all', accept: true })).toEqual({ remaining: 0 });
    expect(inviteEvents()).toEqual([
      { type: 'quarantine.changed', accountId: me.id, count: 0 },
      { type: 'invites.changed', accountId: me.id },
    ]);
    expect(await h.core.call('quarantine.list', {})).toEqual([]);
    expect((await h.core.call('invites.list', {}))[0]!.uses).toBe(1);
    // Only the released accept became a contact of the inviter.
    await h.core.ingest.idle();
    const titles = (await h.core.call('conversations.list', {})).items.map((c) => c.title);
    expect(titles).toContain('third-native');
    expect(titles).not.toContain('friend-native');
  });
});

describe('safety numbers', () => {
  /** "me" and "friend" know each other through an accepted invite; returns each side's identity of the other. */
  async function acquainted() {
    const { me, friend } = await twoNative();
    const invite = await h.core.call('invites.create', { kind: 'one-use' });
    const friendsView = await h.core.call('invites.accept', { accountId: friend.id, link: invite.link });
    await h.core.ingest.idle();
    // The inviter's side: the conversation its adapter's 'peer' event made.
    const myView = (await h.core.call('conversations.list', {})).items.find((c) => c.id !== friendsView.id)!;
    expect(myView.title).toBe('friend-native');
    const identityOf = async (contactId: string) => (await h.core.call('contacts.get', { contactId })).identities[0]!;
    return { me, friend, mine: await identityOf(myView.contactId!), theirs: await identityOf(friendsView.contactId!), myView };
  }

  it('shows the same 60 digits on both sides, with the contact\'s name', async () => {
    const { mine, theirs } = await acquainted();
    const a = await h.core.call('safety.get', { identityId: mine.id });
    const b = await h.core.call('safety.get', { identityId: theirs.id });
    expect(a.digits).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(a).toMatchObject({ identityId: mine.id, peerName: 'friend-native', verified: false, changed: false });
    expect(b).toMatchObject({ identityId: theirs.id, peerName: 'me-native', digits: a.digits, qrPayload: a.qrPayload });
  });

  it('verifying turns the padlock\'s identity to verified and announces the contact; a key change undoes it until acknowledged', async () => {
    const { me, mine, myView } = await acquainted();
    expect(myView.rating.summary).not.toMatch(/checked/);
    h.events.length = 0;
    const verified = await h.core.call('safety.setVerified', { identityId: mine.id, verified: true });
    expect(verified).toMatchObject({ verified: true, changed: false });
    expect(h.events).toContainEqual({ type: 'contact.updated', contactId: mine.contactId });
    const announced = h.events.filter((e) => e.type === 'conversation.updated' && e.conversation.id === myView.id);
    expect(announced.length).toBeGreaterThan(0);
    const identityReason = (r: typeof myView.rating) => r.reasons.find((x) => x.criterion === 'identity')!;
    const after = announced.at(-1)!;
    expect(after.type === 'conversation.updated' && identityReason(after.conversation.rating).points).toBe(15);
    expect(identityReason(myView.rating).points).toBeLessThan(15);

    h.net.changeKey('friend-native');
    await h.core.ingest.idle();
    const changed = await h.core.call('safety.get', { identityId: mine.id });
    expect(changed).toMatchObject({ verified: false, changed: true });
    expect(changed.digits).not.toBe(verified.digits);
    expect((await h.core.call('conversations.get', { conversationId: myView.id })).rating.colour).toBe('red');

    h.events.length = 0;
    const acknowledged = await h.core.call('safety.acknowledgeChange', { identityId: mine.id });
    expect(acknowledged).toMatchObject({ verified: false, changed: false, digits: changed.digits });
    expect(h.events).toContainEqual({ type: 'contact.updated', contactId: mine.contactId });
    await h.core.ingest.idle();
    const now = await h.core.call('conversations.get', { conversationId: myView.id });
    expect(now.rating.colour).toBe('green');
    expect(identityReason(now.rating).points).toBe(identityReason(myView.rating).points);
    expect(h.net.adapter(me.id).verification!.compareScanned('friend-native', acknowledged.qrPayload)).toBe(true);
  });

  it('is unavailable where the protocol has none, not found for an unknown address, and maps the adapter\'s refusal', async () => {
    const { me } = await twoNative();
    const email = await h.addAccount('email', 'me@example.org');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'mail');
    h.net.receive(me.id, { address: 'bob-key' }, 'hi');
    await h.core.ingest.idle();
    const identities = h.core.ctx.db.prepare('SELECT id, address FROM identities').all() as { id: string; address: string }[];
    const ada = identities.find((i) => i.address === 'ada@example.com')!;
    const bob = identities.find((i) => i.address === 'bob-key')!;
    await expectApiError(h.core.call('safety.get', { identityId: ada.id }), 'unavailable', /only for encrypted chat; this address is on email/);
    await expectApiError(h.core.call('safety.setVerified', { identityId: 'nope', verified: true }), 'not-found', /does not exist/);
    h.net.adapter(me.id).knownPeers.delete('bob-key');
    await expectApiError(h.core.call('safety.get', { identityId: bob.id }), 'not-found', /no encrypted chat with this contact yet/);
    // With the account's adapter stopped there is nobody to ask.
    await h.core.ctx.accounts.stop(me.id);
    await expectApiError(h.core.call('safety.get', { identityId: bob.id }), 'unavailable', /not running/);
  });
});
