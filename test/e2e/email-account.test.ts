/**
 * Adding an email account through the form against real Dovecot and Postfix: nothing is found for
 * the test domain, so the settings are entered by hand; a wrong password is refused in words, the
 * right one adds the account. Then the account's own settings: whose mail to show, how far back,
 * and a new password. The real email adapter, login check and discovery (pointed at a closed
 * local port: the test domain has no autoconfig).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createEmailAdapter } from '../../adapters/email/adapter.ts';
import { startMailServers, type MailServers } from '../servers/mail.ts';
import { emailSetupRegistry } from '../support/email-setup-registry.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

const ADA = { name: 'ada', password: 'Analytical-Engine-1843' };
/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

let browser: Browser;
let app: App;
let servers: MailServers;
const address = () => `ada@${servers.domain}`;

beforeAll(async () => {
  servers = await startMailServers({ users: [ADA] });
  browser = await launchBrowser();
  // Discovery asks a port nothing listens on, and DNS has no answers: "nothing found", at once.
  const { registry } = emailSetupRegistry(
    {
      originFor: (host) => `http://127.0.0.1:1/${host}`,
      resolveSrv: () => Promise.resolve([]),
      resolveMx: () => Promise.resolve([]),
    },
    createEmailAdapter,
  );
  app = await startApp({ core: { registry } });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
  await servers?.stop();
});

async function fillServer(page: Page, kind: 'IMAP' | 'SMTP', port: number): Promise<void> {
  const group = page.getByRole('group', { name: kind === 'IMAP' ? 'Incoming mail' : 'Outgoing mail' });
  await group.getByRole('textbox', { name: `${kind} server` }).fill('127.0.0.1');
  await group.getByRole('combobox', { name: `${kind} security` }).selectOption('none');
  await group.getByRole('spinbutton', { name: `${kind} port` }).fill(String(port));
  await pw(group.getByRole('note')).toContainText('Without encryption');
}

describe('adding an email account', () => {
  it('looks up settings, takes them by hand, refuses a wrong password in words, then adds the account', async () => {
    const page = await openApp(browser, app);
    // No account yet: the welcome page holds the form.
    const form = page.getByRole('form', { name: 'Add account' });
    await form.getByRole('combobox', { name: 'Protocol' }).selectOption('email');
    await shot(page, 'email-1-welcome');
    await form.getByRole('textbox', { name: 'Email address' }).fill(address());
    await form.getByLabel('Password').fill('not-the-password');
    await form.getByRole('button', { name: 'Continue' }).click();

    const missing = form.getByRole('status');
    await pw(missing).toContainText(`Switchboard could not find the settings for ${servers.domain}.`);
    await form.getByRole('button', { name: 'Set up manually' }).click();
    await pw(form.getByRole('status')).toContainText(`Enter the server settings for ${address()}`);
    // Guessed from the address, to be corrected.
    expect(await form.getByRole('textbox', { name: 'IMAP server' }).inputValue()).toBe(`imap.${servers.domain}`);
    expect(await form.getByRole('spinbutton', { name: 'IMAP port' }).inputValue()).toBe('993');
    await fillServer(page, 'IMAP', servers.imap.port);
    await fillServer(page, 'SMTP', servers.submission.port);
    await form.getByRole('textbox', { name: 'User name' }).fill(ADA.name);
    await shot(page, 'email-2-manual');

    await form.getByRole('button', { name: 'Add account' }).click();
    await pw(form.getByRole('alert')).toContainText(`The mail server 127.0.0.1 rejected the password for ${ADA.name}.`);
    expect(await app.core.call('accounts.list', {})).toEqual([]);
    await shot(page, 'email-3-wrong-password');

    await form.getByLabel('Password').fill(ADA.password);
    await form.getByRole('button', { name: 'Add account' }).click();
    // The account exists: the welcome page (and its form) gives way to the inbox.
    await pw(form).toHaveCount(0);
    const [account] = await app.core.call('accounts.list', {});
    expect(account).toMatchObject({ protocol: 'email', address: address(), settings: { username: ADA.name, imap: { port: servers.imap.port } } });

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const listed = page.getByRole('list', { name: 'Accounts' });
    await pw(listed).toContainText(address());
    // The real adapter logged in with the password core kept for it.
    await pw(listed).toContainText('Online');
    await page.context().close();
  });

  it('the form reads well in the dark theme too', async () => {
    if (!SHOTS) return;
    const page = await openApp(browser, app, 'dark');
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const form = page.getByRole('form', { name: 'Add account' });
    await form.getByRole('combobox', { name: 'Protocol' }).selectOption('email');
    await form.getByRole('textbox', { name: 'Email address' }).fill('grace@example.org');
    await form.getByRole('button', { name: 'Set up manually' }).click();
    await shot(page, 'email-4-dark-manual');
    await page.getByRole('button', { name: `Settings for ${address()}` }).click();
    await page.getByRole('dialog').getByText('Server settings', { exact: true }).click();
    await shot(page, 'email-4-dark-account-settings');
    await page.context().close();
  });
});

describe("an email account's settings", () => {
  it('changes whose mail to show and how far back, and the password (a wrong one is refused)', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: `Settings for ${address()}` }).click();
    const dialog = page.getByRole('dialog', { name: `Settings for ${address()}` });
    expect(await dialog.getByRole('radio', { name: "People I've written to or accepted" }).isChecked()).toBe(true);
    await dialog.getByRole('radio', { name: 'Everyone' }).check();
    await dialog.getByRole('spinbutton', { name: /Download mail from the last/ }).fill('30');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await pw(dialog.getByRole('status')).toContainText('Saved.');
    const [saved] = await app.core.call('accounts.list', {});
    expect(saved?.settings).toMatchObject({ showMailFrom: 'all', syncDays: 30, username: ADA.name });
    await shot(page, 'email-5-settings');

    const change = dialog.getByRole('form', { name: 'Change password' });
    await change.getByLabel('New password').fill('wrong-again');
    await change.getByRole('button', { name: 'Change password' }).click();
    await pw(change.getByRole('alert')).toContainText('rejected the password');
    await change.getByLabel('New password').fill(ADA.password);
    await change.getByRole('button', { name: 'Change password' }).click();
    await pw(change.getByRole('status')).toContainText('Password changed.');
    await shot(page, 'email-6-password-changed');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await pw(dialog).toBeHidden();
    await page.context().close();
  });
});

describe('page health', () => {
  it('no page errors or console errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
