/**
 * Email as a chat, end to end: a Switchboard profile in Chromium with an email account on real
 * Dovecot + Postfix writes to Bob (whose Switchboard runs headless), Bob answers encrypted, the
 * padlock moves from red to grey, and Bob's HTML newsletter-style mail shows its chat text in the
 * bubble and its HTML in the isolated view without loading the remote image.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { defaultRegistry } from '../../adapters/registry.ts';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, emailTestSettings, until } from '../support/email-accounts.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, removeProfile, startApp, type App } from './support.ts';

/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
const shot = async (page: Page, name: string): Promise<void> => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

let browser: Browser;
let servers: MailServers;
let app: App;
let bob: EmailParty;
let page: Page;
let tracker: Server;
let hits = 0;
let trackerUrl = '';

beforeAll(async () => {
  tracker = createServer((_req, res) => {
    hits++;
    res.end();
  });
  await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', r));
  trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
  [browser, servers] = await Promise.all([launchBrowser(), startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'bob', password: 'bob-pw' }] })]);
  const [ada, b] = servers.users as [MailAccount, MailAccount];
  app = await startApp({ core: { registry: defaultRegistry(), outbox: { backoff: () => 200 } } });
  const account = await app.core.call('accounts.add', { protocol: 'email', address: ada.address, displayName: 'Ada Lovelace', settings: emailTestSettings(servers), secrets: { password: ada.password } });
  await until(() => app.core.ctx.accounts.isAvailable(account.id), 'Ada online');
  bob = new EmailParty(servers, b);
  await bob.start();
  page = await openApp(browser, app);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await bob?.stop();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
  await servers?.stop();
  await new Promise((r) => tracker?.close(r));
});

const messages = () => page.getByRole('log', { name: 'Messages' });

describe('email chat in the app', () => {
  it('starts a chat by address and sends; the first use of email explains its padlock', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('menuitem', { name: 'New email' }).click();
    const dialog = page.getByRole('dialog', { name: 'New email' });
    await dialog.getByRole('textbox', { name: 'Email address' }).fill(bob.user.address);
    await dialog.getByRole('textbox', { name: 'Name (optional)' }).fill('Bob Babbage');
    await dialog.getByRole('button', { name: 'Start chat' }).click();
    await pw(page.getByRole('main', { name: 'Bob Babbage' })).toBeVisible();
    await pw(page.getByRole('main', { name: 'Bob Babbage' }).getByRole('button', { name: /^Security: red, \d+%$/ }).first()).toBeVisible();
    await page.getByRole('textbox', { name: 'Message' }).fill('Hi Bob, are you coming on Saturday?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const notice = page.getByRole('dialog', { name: 'Security notice' });
    await pw(notice).toContainText('Email');
    await shot(page, 'email-first-use-light');
    await notice.getByRole('button', { name: 'OK' }).click();
    await pw(messages()).toContainText('Hi Bob, are you coming on Saturday?');
    await until(() => bob.received().includes('Hi Bob, are you coming on Saturday?'), 'Bob to get it', 20_000);
    await shot(page, 'email-chat-sent-light');
  });

  it("Bob's answer arrives in the same chat, encrypted, and the padlock turns grey", async () => {
    await bob.sendTo(servers.users[0]!.address, 'Yes! I will bring the telescope.');
    await pw(messages()).toContainText('Yes! I will bring the telescope.', { timeout: 20_000 });
    // Chat mail's made-up subject ("Re: Hi Bob, …") stays out of the bubble.
    await pw(messages()).not.toContainText('Re: Hi Bob');
    await pw(page.getByRole('main', { name: 'Bob Babbage' }).getByRole('button', { name: /^Security: grey, \d+%$/ }).first()).toBeVisible({ timeout: 10_000 });
    await shot(page, 'email-chat-reply-light');
  });

  it('an HTML mail shows its chat text, and its HTML in the isolated view without loading anything', async () => {
    const html = `<html><body><p>Here are the <b>star charts</b> for Saturday.</p><img src="${trackerUrl}/track.png" alt="tracking pixel"><blockquote>Hi Bob, are you coming on Saturday?</blockquote></body></html>`;
    const raw =
      `From: Bob Babbage <${bob.user.address}>\r\nTo: ${servers.users[0]!.address}\r\nSubject: Star charts\r\nMessage-ID: <charts-${Date.now()}@switchboard.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n` +
      '--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere are the star charts for Saturday.\r\n\r\nOn Friday, Ada Lovelace wrote:\r\n> Hi Bob, are you coming on Saturday?\r\n\r\n-- \r\nBob\r\n' +
      `--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--alt--\r\n`;
    await servers.deliverRaw('ada', raw);
    await pw(messages()).toContainText('Here are the star charts for Saturday.', { timeout: 20_000 });
    // The quote and the signature stay out of the bubble.
    const bubble = messages().locator('.message').filter({ hasText: 'Here are the star charts for Saturday.' });
    await pw(bubble).not.toContainText('wrote:');
    await bubble.getByRole('button', { name: 'Show full message' }).click();
    const full = page.getByRole('dialog', { name: 'Full message' });
    const content = page.frameLocator('iframe[title="Message content"]');
    await pw(content.getByText('star charts')).toBeVisible();
    await pw(full.getByRole('group', { name: 'Remote images' })).toContainText('Remote images are blocked');
    await shot(page, 'email-full-message-light');
    const dark = await openApp(browser, app, 'dark');
    await dark.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: /Bob Babbage/ }).click();
    await pw(dark.getByRole('log', { name: 'Messages' })).toContainText('star charts');
    await shot(dark, 'email-chat-dark');
    await dark.context().close();
    expect(hits).toBe(0);
  });
});
