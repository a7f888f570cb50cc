/**
 * XMPP in the browser against a real Prosody: Ada adds her account through the form (server and
 * the server's own certificate given by hand; a wrong password refused in words first), writes to
 * Bob by address, Bob accepts the request; Ada then sees Bob online and typing. Both join a group
 * chat by its address, talk, and Bob changes his nickname and leaves from the members dialog.
 * Screenshots (SHOTS_DIR) in light and dark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { defaultRegistry } from '../../adapters/registry.ts';
import type { Account } from '../../core/api/types.ts';
import { startProsody, type TestProsody, type XmppAccount } from '../servers/prosody.ts';
import { until } from '../support/harness.ts';
import { xmppAccountConfig } from '../support/xmpp-accounts.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

const SHOTS = process.env.SHOTS_DIR;
async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

let server: TestProsody;
let browser: Browser;
let adaApp: App;
let bobApp: App;
let bobAccount: Account;
let ada: XmppAccount;
let bob: XmppAccount;
let adaPage: Page;
let bobPage: Page;
const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
const appOptions = { core: { registry: defaultRegistry(), outbox: { backoff: () => 200 } } };

beforeAll(async () => {
  server = await startProsody({ users: [{ name: 'ada', password: 'Analytical-1843' }, { name: 'bob', password: 'pw-bob' }] });
  [ada, bob] = server.users as [XmppAccount, XmppAccount];
  browser = await launchBrowser();
  adaApp = await startApp(appOptions);
  bobApp = await startApp(appOptions);
  await adaApp.core.call('settings.set', { securityDialogs: false });
  await bobApp.core.call('settings.set', { securityDialogs: false, receiptsOnWeakRoutes: true });
  const { settings } = xmppAccountConfig(server, bob);
  bobAccount = await bobApp.core.call('accounts.add', { protocol: 'xmpp', address: bob.jid, displayName: 'Bob', settings, secrets: { password: bob.password } });
  await until(() => bobApp.core.ctx.accounts.isAvailable(bobAccount.id), 'Bob online', 15_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const app of [adaApp, bobApp]) {
    await app?.stop();
    if (app) removeProfile(app.profileDir);
  }
  await server?.stop();
});

describe('XMPP in the app', () => {
  it('adds an account through the form: a wrong password is refused in words, the right one works', async () => {
    adaPage = await openApp(browser, adaApp);
    const form = adaPage.getByRole('form', { name: 'Add account' });
    await form.getByRole('combobox', { name: 'Protocol' }).selectOption('xmpp');
    await form.getByRole('textbox', { name: 'XMPP address' }).fill(ada.jid);
    await form.getByLabel('Password').fill('not-the-password');
    await form.getByText('Server settings (optional)').click();
    await form.getByRole('textbox', { name: 'Server', exact: true }).fill(server.host);
    await form.getByRole('textbox', { name: 'Port' }).fill(String(server.port));
    await form.getByRole('textbox', { name: /Trust this server/ }).fill(server.certificate);
    await shot(adaPage, 'xmpp-1-form');
    await form.getByRole('button', { name: 'Add account' }).click();
    await pw(form.getByRole('alert')).toContainText('refused the user name or password', { timeout: 20_000 });
    expect(await adaApp.core.call('accounts.list', {})).toEqual([]);
    await form.getByLabel('Password').fill(ada.password);
    await form.getByRole('button', { name: 'Add account' }).click();
    await until(async () => (await adaApp.core.call('accounts.list', {})).some((a) => a.status === 'online'), 'Ada online', 20_000);
  });

  it('writes to Bob by address; Bob accepts; Ada sees him online, then typing, then his answer', async () => {
    await adaPage.getByRole('button', { name: 'New chat' }).click();
    await adaPage.getByRole('menuitem', { name: 'New XMPP chat' }).click();
    const dialog = adaPage.getByRole('dialog', { name: 'New XMPP chat' });
    await dialog.getByRole('textbox', { name: 'XMPP address' }).fill(bob.jid);
    await dialog.getByRole('textbox', { name: 'Name (optional)' }).fill('Bob');
    await dialog.getByRole('button', { name: 'Start chat' }).click();
    await adaPage.getByRole('textbox', { name: 'Message' }).fill('Hello Bob, Ada on XMPP.');
    await adaPage.keyboard.press('Enter');

    bobPage = await openApp(browser, bobApp, 'dark');
    await bobPage.getByRole('tab', { name: /Requests/ }).click();
    await bobPage.getByRole('option', { name: new RegExp(ada.jid) }).click();
    await pw(log(bobPage).getByText('Hello Bob, Ada on XMPP.')).toBeVisible();
    await shot(bobPage, 'xmpp-2-request-dark');
    await bobPage.getByRole('button', { name: 'Accept' }).click();

    const header = adaPage.locator('.conversation-header');
    await pw(header.getByText('Online')).toBeVisible({ timeout: 20_000 });
    await bobPage.getByRole('textbox', { name: 'Message' }).fill('Typing an answer');
    await pw(adaPage.getByText('Bob is typing…')).toBeVisible({ timeout: 10_000 });
    await shot(adaPage, 'xmpp-3-online-typing');
    await bobPage.keyboard.press('Enter');
    await pw(log(adaPage).getByText('Typing an answer')).toBeVisible({ timeout: 10_000 });
    await pw(adaPage.getByText('Bob is typing…')).toBeHidden();
  });

  it('both join a group chat by address; Bob changes his nickname and leaves from the members dialog', async () => {
    const room = `lounge@${server.muc}`;
    for (const [page, nick] of [[adaPage, 'ada'], [bobPage, 'bob']] as const) {
      await page.getByRole('button', { name: 'New chat' }).click();
      await page.getByRole('menuitem', { name: 'Join group chat' }).click();
      const dialog = page.getByRole('dialog', { name: 'Join group chat' });
      await dialog.getByRole('textbox', { name: 'Group chat address' }).fill(room);
      expect(await dialog.getByRole('textbox', { name: 'Your nickname there' }).inputValue()).toBe(nick);
      if (nick === 'ada') await shot(page, 'xmpp-4-join');
      await dialog.getByRole('button', { name: 'Join' }).click();
      await pw(page.locator('.conversation-header').getByText('Group')).toBeVisible({ timeout: 20_000 });
    }
    await adaPage.getByRole('textbox', { name: 'Message' }).fill('Welcome to the lounge');
    await adaPage.keyboard.press('Enter');
    await pw(log(bobPage).getByText('Welcome to the lounge')).toBeVisible({ timeout: 15_000 });

    await bobPage.getByRole('button', { name: 'Group members' }).click();
    const members = bobPage.getByRole('dialog', { name: 'Group members' });
    await pw(members.getByRole('list', { name: 'Members' })).toContainText('ada');
    await members.getByRole('textbox', { name: 'Your nickname' }).fill('Robert');
    await members.getByRole('button', { name: 'Change' }).click();
    await until(async () => (await members.getByRole('list', { name: 'Members' }).textContent())?.includes('You') === true && (await members.getByRole('button', { name: 'Change' }).isDisabled()), 'nickname changed', 10_000);
    await shot(bobPage, 'xmpp-5-members-dark');
    await members.getByRole('button', { name: 'Done' }).click();
    await bobPage.getByRole('textbox', { name: 'Message' }).fill('Robert now');
    await bobPage.keyboard.press('Enter');
    await pw(log(adaPage).getByText('Robert now')).toBeVisible({ timeout: 15_000 });
    await pw(log(adaPage).locator('.message', { hasText: 'Robert now' })).toContainText('Robert');

    await bobPage.getByRole('button', { name: 'Group members' }).click();
    await members.getByRole('button', { name: 'Leave group chat' }).click();
    await members.getByRole('button', { name: 'Leave', exact: true }).click();
    await pw(bobPage.locator('.conversation-header').getByText('Group · you left')).toBeVisible();
    await shot(bobPage, 'xmpp-6-left-dark');
    expect(pageErrors).toEqual([]);
  });
});
