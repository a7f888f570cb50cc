/**
 * The encrypted-chat UI against the test double's native accounts: message requests, making and
 * revoking invites (with their QR code), accepting one, reviewing held accepts, safety numbers,
 * and setting up the account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Account } from '../../core/api/types.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

let browser: Browser;
let app: App;
let native: Account;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
  native = await app.core.call('accounts.add', { protocol: 'native', kind: 'test-double', address: 'me-native', displayName: 'Me' });
  await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  app.net.receive(native.id, { address: 'katherine-key', displayName: 'Katherine Johnson' }, 'Orbit numbers attached', { sentAt: Date.now() - 3_600_000 });
  await app.core.ingest.idle();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

async function open(scheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await openApp(browser, app, scheme);
  await pw(page.getByRole('listbox', { name: 'Conversations' })).toBeVisible();
  return page;
}

async function request(address: string, name: string, text: string): Promise<void> {
  app.net.receive(native.id, { address, displayName: name }, text, { request: true });
  await app.core.ingest.idle();
}

describe('message requests', () => {
  it('a request waits under Requests, read-only, until accepted', async () => {
    await request('mallory-key', 'Mallory Stone', 'Hi, I found your address on your website');
    const page = await open();
    const tab = page.getByRole('tab', { name: 'Requests' });
    await pw(tab).toContainText('1');
    expect(await tab.getAttribute('aria-selected')).toBe('false');
    // Not in the inbox.
    await pw(page.getByRole('option', { name: 'Mallory Stone' })).toHaveCount(0);

    await tab.click();
    await page.getByRole('tabpanel', { name: 'Requests' }).getByRole('option', { name: 'Mallory Stone' }).click();
    const main = page.getByRole('main', { name: 'Mallory Stone' });
    const bar = main.getByRole('region', { name: 'Message request' });
    await pw(bar).toContainText("Mallory Stone wants to message you. They can't see that you've read their messages until you accept.");
    expect(await main.getByRole('textbox', { name: 'Message' }).isDisabled()).toBe(true);

    await bar.getByRole('button', { name: 'Accept' }).click();
    await pw(bar).toBeHidden();
    expect(await main.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
    // It moved to the inbox, which is now the tab shown, and the badge is gone.
    expect(await page.getByRole('tab', { name: 'Inbox' }).getAttribute('aria-selected')).toBe('true');
    await pw(page.getByRole('option', { name: 'Mallory Stone' })).toBeVisible();
    await pw(page.getByRole('tab', { name: 'Requests' })).not.toContainText('1');
    const inbox = await app.core.call('conversations.list', { folder: 'inbox' });
    expect(inbox.items.find((c) => c.title === 'Mallory Stone')?.request).toBe(false);
    await page.context().close();
  });

  it('deleting a request asks first, then removes it', async () => {
    await request('spam-key', 'Prize Desk', 'You won! Click here');
    const page = await open();
    await page.getByRole('tab', { name: 'Requests' }).click();
    await page.getByRole('option', { name: 'Prize Desk' }).click();
    await page.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete request' });
    await pw(confirm).toContainText('The conversation with Prize Desk and its messages will be deleted');
    // Cancel keeps it.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await pw(confirm).toBeHidden();
    expect((await app.core.call('conversations.list', { folder: 'requests' })).items).toHaveLength(1);

    await page.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete request' }).getByRole('button', { name: 'Delete' }).click();
    await pw(page.getByRole('main', { name: 'No conversation selected' })).toBeVisible();
    await pw(page.getByRole('option', { name: 'Prize Desk' })).toHaveCount(0);
    await pw(page.getByRole('tabpanel', { name: 'Requests' })).toContainText('No message requests');
    expect((await app.core.call('conversations.list', { folder: 'requests' })).items).toHaveLength(0);
    await page.context().close();
  });
});

describe('invites', () => {
  it('New invite from the keyboard: several people, a label, a QR code and a link to copy', async () => {
    const page = await open();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const menuButton = page.getByRole('button', { name: 'New chat' });
    await menuButton.focus();
    await page.keyboard.press('ArrowDown');
    await pw(page.getByRole('menu', { name: 'New chat' })).toBeVisible();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('New invite');
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: 'New invite' });
    await pw(dialog).toBeVisible();
    expect(await dialog.getByRole('radio', { name: 'For one person' }).isChecked()).toBe(true);
    await dialog.getByRole('radio', { name: 'For several people' }).check();
    await dialog.getByRole('spinbutton', { name: 'How many people' }).fill('3');
    await dialog.getByRole('textbox', { name: 'Label' }).fill('Book club');
    await dialog.getByRole('button', { name: 'Create invite' }).click();

    await pw(dialog.getByRole('img', { name: 'QR code of the invite' })).toBeVisible();
    await pw(dialog).toContainText('Not used yet (up to 3 people)');
    await pw(dialog).toContainText('Expires in 7 days');
    const [made] = (await app.core.call('invites.list', {})).filter((i) => i.label === 'Book club');
    expect(made).toMatchObject({ kind: 'multi-use', maxUses: 3, state: 'active', accountId: native.id });
    // The QR code is drawn from the module matrix, as SVG elements.
    expect(await dialog.locator('svg.qr path').getAttribute('d')).toMatch(/^M\d+ \d+h\d+v1h-\d+z/);
    const field = dialog.getByRole('textbox', { name: 'Invite link' });
    expect(await field.inputValue()).toBe(made!.link);
    expect(await field.getAttribute('readonly')).not.toBeNull();

    await dialog.getByRole('button', { name: 'Copy link' }).click();
    await pw(dialog.getByRole('status')).toContainText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(made!.link);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await pw(dialog).toBeHidden();
    // Focus went back to the menu button.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('New chat');
    await page.context().close();
  });

  it('Settings lists invites with their state; Revoke asks first', async () => {
    await app.core.call('invites.create', { kind: 'timed', expiresInSeconds: 3_600, label: 'Party' });
    const page = await open('dark');
    await page.getByRole('button', { name: 'Settings' }).click();
    const list = page.getByRole('list', { name: 'Invites' });
    const party = list.getByRole('listitem').filter({ hasText: 'Party' });
    await pw(party).toContainText('Active');
    await pw(party).toContainText('For a limited time');
    await pw(party).toContainText('Expires in 1 hour');

    await party.getByRole('button', { name: 'Revoke Party' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke invite' });
    await pw(confirm).toContainText('Nobody new can use “Party” after this.');
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await pw(party).toContainText('Revoked');
    await pw(party.getByRole('button', { name: 'Revoke Party' })).toHaveCount(0);
    const stored = (await app.core.call('invites.list', {})).find((i) => i.label === 'Party');
    expect(stored?.state).toBe('revoked');

    // A new invite from Settings shows up in the list as it is made.
    await page.getByRole('button', { name: 'New invite' }).click();
    const dialog = page.getByRole('dialog', { name: 'New invite' });
    await dialog.getByRole('radio', { name: 'My contact address' }).check();
    await dialog.getByRole('button', { name: 'Create invite' }).click();
    await pw(dialog).toContainText('Works until you revoke it');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await pw(list.getByRole('listitem').filter({ hasText: 'My contact address' })).toContainText('Active');
    await page.context().close();
  });

  it('Accept invite: a wrong link is explained inline; a good one opens the conversation', async () => {
    const link = app.net.outsideInvite({ address: 'zoe-key', displayName: 'Zoe Park' });
    const page = await open();
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('menuitem', { name: 'Accept invite' }).click();
    const dialog = page.getByRole('dialog', { name: 'Accept invite' });
    const field = dialog.getByRole('textbox', { name: 'Invite link' });
    await field.fill('https://example.org/join-me');
    await dialog.getByRole('button', { name: 'Accept', exact: true }).click();
    await pw(dialog.getByRole('alert')).toContainText("Couldn't accept this invite: That is not a Switchboard invite link.");
    expect(await field.getAttribute('aria-invalid')).toBe('true');

    await field.fill(link);
    await pw(dialog.getByRole('alert')).toHaveCount(0);
    await dialog.getByRole('button', { name: 'Accept', exact: true }).click();
    await pw(dialog).toBeHidden();
    const main = page.getByRole('main', { name: 'Zoe Park' });
    await pw(main).toBeVisible();
    expect(await main.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
    await pw(page.getByRole('option', { name: 'Zoe Park' })).toBeVisible();
    await page.context().close();
  });
});

describe('held invite accepts', () => {
  it('a banner says how many; each can be accepted or rejected, or all at once', async () => {
    const invite = await app.core.call('invites.create', { kind: 'multi-use', uses: 50, label: 'Conference' });
    app.net.quarantineAccepts = true;
    const inviter = app.net.adapter(native.id).invites!;
    for (const [name, address] of [['Joe Bloggs', 'joe-key'], ['Spam Bot', 'spam-bot-key'], ['Ann Lee', 'ann-key']]) {
      inviter.receiveAccept(invite.id, { address: address!, displayName: name! });
    }
    app.net.quarantineAccepts = false;
    const page = await open();
    const banner = page.getByRole('button', { name: '3 people accepted your invite very quickly — review them' });
    await banner.click();
    const dialog = page.getByRole('dialog', { name: 'Review invite accepts' });
    const held = dialog.getByRole('list', { name: 'Held accepts' }).getByRole('listitem');
    await pw(held).toHaveCount(3);
    await pw(held.first()).toContainText('used “Conference”');

    await dialog.getByRole('button', { name: 'Reject Spam Bot' }).click();
    await pw(held).toHaveCount(2);
    await pw(page.getByRole('button', { name: '2 people accepted your invite very quickly — review them' })).toBeVisible();
    await dialog.getByRole('button', { name: 'Accept all' }).click();
    await pw(dialog).toContainText('Nothing left to review.');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await pw(page.getByRole('button', { name: /accepted your invite very quickly/ })).toHaveCount(0);
    expect(await app.core.call('quarantine.list', {})).toEqual([]);
    const stored = (await app.core.call('invites.list', {})).find((i) => i.id === invite.id);
    expect(stored?.uses).toBe(2);
    await page.context().close();
  });
});

describe('safety numbers', () => {
  async function openSafety(page: Page) {
    await page.getByRole('option', { name: 'Katherine Johnson' }).click();
    await page.getByRole('main', { name: 'Katherine Johnson' }).getByRole('button', { name: 'Contact details' }).click();
    const card = page.getByRole('dialog', { name: 'Contact details' });
    await card.getByRole('button', { name: 'Verify safety number' }).click();
    return card.getByRole('region', { name: 'Verify safety number' });
  }

  async function identityId(): Promise<string> {
    const list = await app.core.call('conversations.list', { folder: 'inbox' });
    const contactId = list.items.find((c) => c.title === 'Katherine Johnson')!.contactId!;
    return (await app.core.call('contacts.get', { contactId })).identities[0]!.id;
  }

  it('shows the 60 digits and a QR code; marking verified and clearing it reach core', async () => {
    const page = await open();
    const panel = await openSafety(page);
    const id = await identityId();
    const view = await app.core.call('safety.get', { identityId: id });
    const groups = panel.getByRole('group', { name: 'Safety number' }).locator('span');
    await pw(groups).toHaveCount(12);
    expect((await groups.allInnerTexts()).join(' ')).toBe(view.digits);
    await pw(panel.getByRole('img', { name: 'QR code of the safety number' })).toBeVisible();
    await pw(panel).toContainText('Compare these numbers with Katherine Johnson in person or on a call. If they match, nobody is listening in.');
    await pw(panel).toContainText('Not verified yet.');

    await panel.getByRole('button', { name: 'Mark as verified' }).click();
    await pw(panel.getByRole('status')).toContainText('You verified Katherine Johnson.');
    expect((await app.core.call('safety.get', { identityId: id })).verified).toBe(true);
    await panel.getByRole('button', { name: 'Clear verification' }).click();
    await pw(panel.getByRole('status')).toContainText('Not verified yet.');
    expect((await app.core.call('safety.get', { identityId: id })).verified).toBe(false);

    // Back returns to the routes, with focus on the button that opened the panel.
    await panel.getByRole('button', { name: 'Back' }).click();
    await pw(page.getByRole('list', { name: 'Routes' })).toBeVisible();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Verify safety number');
    await page.context().close();
  });

  it('a changed key shows the red warning at once; "I\'ve checked it" settles it', async () => {
    const page = await open();
    const panel = await openSafety(page);
    const before = await panel.getByRole('group', { name: 'Safety number' }).innerText();
    // The key changes while the panel is open: it re-reads on contact.updated.
    app.net.changeKey('katherine-key');
    const warning = panel.getByRole('alert');
    await pw(warning).toContainText(
      "Katherine Johnson's safety number changed. This can mean they reinstalled Switchboard — or that someone is trying to listen in. Check the new number with them.",
    );
    expect(await panel.getByRole('group', { name: 'Safety number' }).innerText()).not.toBe(before);
    await pw(warning.getByRole('button', { name: 'Mark as verified' })).toBeVisible();
    await warning.getByRole('button', { name: "I've checked it" }).click();
    await pw(panel.getByRole('alert')).toHaveCount(0);
    const view = await app.core.call('safety.get', { identityId: await identityId() });
    expect(view).toMatchObject({ changed: false, verified: false });
    await page.context().close();
  });

  it('is offered only for encrypted-chat addresses', async () => {
    app.net.receive((await app.core.call('accounts.list', {})).find((a) => a.protocol === 'email')!.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'Hello by mail');
    await app.core.ingest.idle();
    const page = await open();
    await page.getByRole('option', { name: 'Ada Lovelace' }).click();
    await page.getByRole('main', { name: 'Ada Lovelace' }).getByRole('button', { name: 'Contact details' }).click();
    const card = page.getByRole('dialog', { name: 'Contact details' });
    await pw(card.getByRole('list', { name: 'Routes' })).toBeVisible();
    await pw(card.getByRole('button', { name: 'Verify safety number' })).toHaveCount(0);
    await page.context().close();
  });
});

describe('setting up encrypted chat', () => {
  it('asks for a name and a relay, explains a wrong relay, and adds a native account', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Settings' }).click();
    const form = page.getByRole('form', { name: 'Add account' });
    expect(await form.getByRole('combobox', { name: 'Protocol' }).inputValue()).toBe('native');
    await pw(form.getByRole('option', { name: 'Switchboard (encrypted chat)' })).toHaveCount(1);
    const relay = form.getByRole('textbox', { name: 'Relay' });
    expect(await relay.getAttribute('placeholder')).toBe('wss://relay.example.org');
    expect(await relay.inputValue()).toBe('');
    await form.getByRole('textbox', { name: 'Your name (shown to people you invite)' }).fill('Sam Lee');
    await relay.fill('relay.example.org');
    await form.getByRole('button', { name: 'Set up encrypted chat' }).click();
    await pw(form.getByRole('alert')).toContainText('A relay address starts with wss://');
    await relay.fill('wss://relay.example.org');
    await form.getByRole('button', { name: 'Set up encrypted chat' }).click();
    await pw(page.getByRole('list', { name: 'Accounts' })).toContainText('Sam Lee');
    const added = (await app.core.call('accounts.list', {})).find((a) => a.address === 'Sam Lee');
    expect(added).toMatchObject({ protocol: 'native', displayName: 'Sam Lee' });
    await page.context().close();
  });
});

describe('page health', () => {
  it('no page errors or console errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
