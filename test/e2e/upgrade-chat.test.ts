/**
 * The story the product is named for, in Chromium against two web-mode profiles with the real
 * Dovecot + Postfix and a real relay: Alice and Bob write by email, Alice upgrades the chat to
 * encrypted chat, Bob accepts in the same conversation, and from then on messages go end to end
 * encrypted — the mail server never sees them. With the relay down, sending asks before leaving
 * the encrypted route. A revoked invitation is refused in words; one from a stranger waits under
 * requests. Both profiles restart and everything is still there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { formatInvitationHeader } from '../../adapters/email/invitation.ts';
import { defaultRegistry } from '../../adapters/registry.ts';
import { makeParty } from '../../native-protocol/client/test-helpers.ts';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { startRelay, type TestRelay } from '../servers/relay.ts';
import { rawMailbox } from '../support/email-accounts.ts';
import { emailTestSettings } from '../support/email-accounts.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, pageErrors } from './support.ts';
import { dispose, person, restart, type Person } from './two-profiles.ts';

/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
const shot = async (page: Page, name: string): Promise<void> => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

const GREEN = /^Security: green, \d+%$/;

let browser: Browser;
let servers: MailServers;
let relay: TestRelay;
let alice: Person;
let bob: Person;
let carol: Harness | undefined;

beforeAll(async () => {
  [browser, servers, relay] = await Promise.all([
    launchBrowser(),
    startMailServers({ users: [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }, { name: 'carol', password: 'carol-pw' }] }),
    startRelay(),
  ]);
  const [a, b] = servers.users as [MailAccount, MailAccount];
  alice = await person(browser, 'Alice', a, servers, relay);
  bob = await person(browser, 'Bob', b, servers, relay);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dispose(alice);
  await dispose(bob);
  await carol?.cleanup();
  await relay?.cleanup();
  await servers?.stop();
});

const log = (p: Person): Locator => p.page.getByRole('log', { name: 'Messages' });
const bubble = (p: Person, text: string): Locator => log(p).locator('.message').filter({ hasText: text });

async function send(p: Person, text: string): Promise<void> {
  const field = p.page.getByRole('textbox', { name: 'Message' });
  await field.fill(text);
  await field.press('Enter');
}

async function open(p: Person, title: string, folder: 'Inbox' | 'Requests' = 'Inbox'): Promise<Locator> {
  await p.page.getByRole('tab', { name: folder }).click();
  await p.page.getByRole('tabpanel', { name: folder }).getByRole('option', { name: new RegExp(`^${title}`) }).click();
  return p.page.getByRole('main', { name: title });
}

async function nativeDown(p: Person, down: boolean): Promise<void> {
  await until(() => p.app.core.ctx.accounts.isAvailable(p.native.id) !== down, `${p.name}'s encrypted route ${down ? 'down' : 'back'}`, 20_000);
}

describe('from email to encrypted chat, in the app', () => {
  it('Alice and Bob exchange email; Alice upgrades; Bob accepts in the same conversation; "hello encrypted" never reaches the mail server', async () => {
    // Alice writes to Bob's address.
    await alice.page.getByRole('button', { name: 'New chat' }).click();
    await alice.page.getByRole('menuitem', { name: 'New email' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'New email' });
    await dialog.getByRole('textbox', { name: 'Email address' }).fill(bob.user.address);
    await dialog.getByRole('textbox', { name: 'Name (optional)' }).fill('Bob');
    await dialog.getByRole('button', { name: 'Start chat' }).click();
    const atAlice = alice.page.getByRole('main', { name: 'Bob' });
    await send(alice, 'Hi Bob, lunch on Friday?');
    await pw(bubble(alice, 'Hi Bob, lunch on Friday?')).toContainText('Sent', { timeout: 20_000 });

    // Bob: a request from someone new; he accepts and answers.
    await open(bob, 'Alice', 'Requests');
    await pw(bubble(bob, 'Hi Bob, lunch on Friday?')).toBeVisible({ timeout: 20_000 });
    await bob.page.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Accept' }).click();
    await send(bob, 'Friday works!');
    await pw(bubble(alice, 'Friday works!')).toBeVisible({ timeout: 20_000 });

    // Alice: the chat goes by email; she upgrades it.
    const banner = alice.page.getByRole('region', { name: 'Encrypted chat' });
    await pw(banner).toContainText('Messages to Bob go by email');
    await shot(alice.page, 'upgrade-1-banner-light');
    await banner.getByRole('button', { name: 'Upgrade to encrypted chat' }).click();
    await pw(banner).toContainText('Invitation sent by email');
    await pw(log(alice).getByRole('group', { name: 'Invitation to encrypted chat' })).toContainText('Sent by ordinary email');

    // Bob: the invitation in the same conversation.
    const card = log(bob).getByRole('group', { name: 'Invitation to encrypted chat' });
    await pw(card).toContainText('Alice invites you to end-to-end encrypted chat', { timeout: 20_000 });
    await shot(bob.page, 'upgrade-2-invitation-light');
    await card.getByRole('button', { name: 'Accept' }).click();
    await pw(card).toContainText('Accepted');
    const bobLine = log(bob).getByRole('note').filter({ hasText: /^Messages to Alice are now end-to-end encrypted \(green, \d+%\)\./ });
    await pw(bobLine).toBeVisible();
    await pw(bob.page.getByRole('tabpanel', { name: 'Inbox' }).getByRole('option')).toHaveCount(1);

    // Alice: the same conversation turns green.
    await pw(log(alice).getByRole('note').filter({ hasText: /^Messages to Bob are now end-to-end encrypted \(green, \d+%\)\./ })).toBeVisible({ timeout: 20_000 });
    await pw(atAlice.getByRole('button', { name: GREEN }).first()).toBeVisible();
    await pw(banner).toHaveCount(0);
    await pw(alice.page.getByRole('tabpanel', { name: 'Inbox' }).getByRole('option')).toHaveCount(1);

    const mailsBefore = (await rawMailbox(servers, bob.user)).length;
    await send(alice, 'hello encrypted');
    const got = bubble(bob, 'hello encrypted');
    await pw(got.getByRole('button', { name: GREEN })).toBeVisible({ timeout: 20_000 });
    await shot(bob.page, 'upgrade-3-green-light');
    const raw = await rawMailbox(servers, bob.user);
    expect(raw).toHaveLength(mailsBefore);
    expect(raw.some((m) => m.includes('hello encrypted'))).toBe(false);
  });

  it('relay down: sending asks; "wait" goes encrypted once the relay is back, "send now" goes by email', async () => {
    await relay.stop();
    await nativeDown(alice, true);
    await send(alice, 'only encrypted, please');
    // Alice and Bob exchanged Autocrypt headers by email, so email between them is encrypted too
    // (grey): leaving the native route for it is "a less secure route". For plain email (red) it
    // would be "Leaving encryption" (test/e2e/downgrade.test.ts).
    const question = alice.page.getByRole('dialog', { name: 'A less secure route' });
    await pw(question).toContainText('Switchboard (native) is not reachable right now');
    await shot(alice.page, 'upgrade-4-leaving-light');
    await question.getByRole('button', { name: /^Wait for Switchboard \(native\)/ }).click();
    await pw(bubble(alice, 'only encrypted, please')).toContainText('Waiting for a secure route');
    await relay.restart();
    await pw(bubble(bob, 'only encrypted, please').getByRole('button', { name: GREEN })).toBeVisible({ timeout: 30_000 });

    await relay.stop();
    await nativeDown(alice, true);
    await send(alice, 'by email, then');
    await question.getByRole('button', { name: 'Send now by Email (grey)' }).click();
    const byMail = bubble(bob, 'by email, then');
    await pw(byMail).toBeVisible({ timeout: 20_000 });
    await pw(byMail.getByRole('button', { name: /^Security: grey, \d+%$/ })).toBeVisible();
    await pw(byMail.locator('.message-meta')).toContainText('Email');
    await relay.restart();
    await nativeDown(alice, false);
    await nativeDown(bob, false);
  });

  it('an invitation from a stranger waits under requests; revoked and expired ones are refused in words', async () => {
    const c = servers.users[2]!;
    carol = await makeHarness({ registry: defaultRegistry() });
    const email = await carol.core.call('accounts.add', { protocol: 'email', address: c.address, displayName: 'Carol', settings: emailTestSettings(servers), secrets: { password: c.password } });
    const native = await carol.core.call('accounts.add', { protocol: 'native', address: 'Carol', displayName: 'Carol', settings: { relays: [relay.url] } });
    await until(() => carol!.core.ctx.accounts.isAvailable(email.id) && carol!.core.ctx.accounts.isAvailable(native.id), 'Carol online', 20_000);
    const conv = await carol.core.call('conversations.start', { address: bob.user.address, displayName: 'Bob' });
    await carol.core.call('conversations.upgrade', { conversationId: conv.id });

    await pw(bob.page.getByRole('tab', { name: 'Requests' })).toContainText('1', { timeout: 20_000 });
    await open(bob, 'Carol', 'Requests');
    const card = log(bob).getByRole('group', { name: 'Invitation to encrypted chat' });
    await pw(card).toContainText('Carol invites you to end-to-end encrypted chat');
    const [invite] = (await carol.core.call('contacts.get', { contactId: conv.contactId! })).invites;
    await carol.core.call('invites.revoke', { accountId: invite!.accountId, inviteId: invite!.id });
    await card.getByRole('button', { name: 'Accept' }).click();
    await pw(card.getByRole('alert')).toContainText('This invite is no longer valid: it was used, revoked or has expired.');
    await pw(card.getByRole('button', { name: 'Try again' })).toBeVisible();
    await shot(bob.page, 'upgrade-5-refused-light');

    // An expired one (made by a Switchboard whose clock is 20 days behind: its 14 days are over).
    const past = makeParty('Dave', [relay.url], { now: () => Date.now() - 20 * 86_400_000 });
    const expired = await past.client.createInvite({ kind: 'one-use' });
    await past.client.stop();
    await servers.deliverRaw(
      'bob',
      [`From: Dave <dave@${servers.domain}>`, `To: ${bob.user.address}`, 'Subject: chat?', `Message-ID: <dave-1@${servers.domain}>`, `Date: ${new Date().toUTCString()}`, `Switchboard-Invite: ${formatInvitationHeader(expired.link)}`, '', 'Let us chat encrypted.', ''].join('\r\n'),
    );
    await open(bob, 'Dave', 'Requests');
    const late = log(bob).getByRole('group', { name: 'Invitation to encrypted chat' });
    await late.getByRole('button', { name: 'Accept' }).click();
    await pw(late.getByRole('alert')).toContainText('This invite expired on');
    await pw(late.getByRole('alert')).toContainText('Ask Dave for a new one.');
  });

  it('after both restart: one conversation, its history, and the green route; new messages still go encrypted', async () => {
    await restart(browser, alice);
    await restart(browser, bob);
    const atBob = await open(bob, 'Alice');
    await pw(bob.page.getByRole('tabpanel', { name: 'Inbox' }).getByRole('option')).toHaveCount(1);
    await pw(log(bob).getByRole('note').filter({ hasText: 'Messages to Alice are now end-to-end encrypted' })).toBeVisible();
    await pw(bubble(bob, 'hello encrypted')).toBeVisible();
    await pw(bubble(bob, 'Hi Bob, lunch on Friday?')).toBeVisible();
    await pw(atBob.getByRole('button', { name: GREEN }).first()).toBeVisible();

    await open(alice, 'Bob');
    await send(alice, 'after the restart');
    await pw(bubble(bob, 'after the restart').getByRole('button', { name: GREEN })).toBeVisible({ timeout: 20_000 });
    const dark = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
    if (SHOTS) {
      const page = await dark.newPage();
      await page.goto(bob.app.host.url);
      await page.getByRole('option', { name: /^Alice/ }).click();
      await page.waitForTimeout(300);
      await shot(page, 'upgrade-6-after-restart-dark');
    }
    await dark.close();
    expect(pageErrors).toEqual([]);
  });
});
