/**
 * Merging two contacts from the contact card, and undoing it, in Chromium (test-double accounts):
 * the merged conversation shows the messages of both routes with their badges; undo brings the
 * other conversation back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

const SHOTS = process.env.SHOTS_DIR;
const shot = async (page: Page, name: string): Promise<void> => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

let browser: Browser;
let app: App;
beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
  const email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  const xmpp = await app.core.call('accounts.add', { protocol: 'xmpp', kind: 'test-double', address: 'me@jabber.example' });
  app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'by mail', { sentAt: Date.now() - 120_000 });
  app.net.receive(xmpp.id, { address: 'ada@jabber.example', displayName: 'Ada on XMPP' }, 'by chat', { sentAt: Date.now() - 60_000 });
  await app.core.ingest.idle();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

describe('merging contacts in the contact card', () => {
  it('merges, shows one conversation with both routes, and undoes', async () => {
    const page = await openApp(browser, app);
    const inbox = page.getByRole('tabpanel', { name: 'Inbox' }).getByRole('option');
    await pw(inbox).toHaveCount(2);
    await page.getByRole('option', { name: /^Ada Lovelace/ }).click();
    await page.getByRole('main', { name: 'Ada Lovelace' }).getByRole('button', { name: 'Contact details' }).click();
    const card = page.getByRole('dialog', { name: 'Contact details' });
    // Escape closes only the Merge contacts dialog, not the card it was opened from.
    await card.getByRole('button', { name: 'Merge with another contact…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge contacts' });
    await pw(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await pw(dialog).toBeHidden();
    await pw(card).toBeVisible();

    await card.getByRole('button', { name: 'Merge with another contact…' }).click();
    await dialog.getByRole('searchbox', { name: 'Find the other contact' }).fill('ada');
    await dialog.getByRole('radio', { name: /Ada on XMPP/ }).check();
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await pw(dialog).toContainText('Ada on XMPP (XMPP) and their messages join Ada Lovelace: one contact, one conversation. You can undo this from the contact card.');
    await shot(page, 'merge-1-confirm-light');
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    await pw(dialog).toBeHidden();
    await pw(page.getByRole('status').filter({ hasText: 'Ada on XMPP joined Ada Lovelace' })).toBeVisible();

    const routes = card.getByRole('list', { name: 'Routes' });
    await pw(routes).toContainText('ada@jabber.example');
    await pw(routes).toContainText('ada@example.com');
    await pw(card.getByRole('region', { name: 'Merged here' })).toContainText('Ada on XMPP');
    await pw(inbox).toHaveCount(1);
    await shot(page, 'merge-2-card-light');
    await page.keyboard.press('Escape');
    const log = page.getByRole('log', { name: 'Messages' });
    await pw(log.locator('.message').filter({ hasText: 'by mail' })).toContainText('Email');
    await pw(log.locator('.message').filter({ hasText: 'by chat' })).toContainText('XMPP');

    await page.getByRole('main', { name: 'Ada Lovelace' }).getByRole('button', { name: 'Contact details' }).click();
    await card.getByRole('button', { name: /^Undo merge/ }).click();
    await pw(routes).not.toContainText('ada@jabber.example');
    await pw(routes).toContainText('ada@example.com');
    await pw(inbox).toHaveCount(2);
    await page.keyboard.press('Escape');
    await pw(log.locator('.message')).toHaveCount(1);
    await page.getByRole('option', { name: /^Ada on XMPP/ }).click();
    await pw(page.getByRole('log', { name: 'Messages' }).locator('.message').filter({ hasText: 'by chat' })).toBeVisible();
    expect(pageErrors).toEqual([]);
  });
});
