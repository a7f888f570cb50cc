import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Account } from '../../core/api/types.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, removeProfile, startApp, type App } from './support.ts';

let browser: Browser;
let app: App;
let email: Account;
let native: Account;
beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
  email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  native = await app.core.call('accounts.add', { protocol: 'native', kind: 'test-double', address: 'me-native' });
  app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'by mail', { sentAt: Date.now() - 120_000 });
  app.net.receive(native.id, { address: 'ada-key', displayName: 'Ada (native)' }, 'by native', { sentAt: Date.now() - 60_000 });
  await app.core.ingest.idle();
  const convs = (await app.core.call('conversations.list', {})).items;
  const byMail = convs.find((c) => c.protocols.includes('email'))!;
  const byNative = convs.find((c) => c.protocols.includes('native'))!;
  await app.core.call('contacts.merge', { fromContactId: byNative.contactId!, intoContactId: byMail.contactId! });
  await app.core.call('settings.set', { securityDialogs: false });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

describe('leaving encryption', () => {
  it('with the secure route down, sending asks; "wait" keeps it until the route is back, "send now" goes by email', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('option', { name: 'Ada Lovelace' }).click();
    const main = page.getByRole('main', { name: 'Ada Lovelace' });
    await pw(main.getByRole('button', { name: 'Security: green, 93%' }).first()).toBeVisible();

    app.net.adapter(native.id).setStatus('offline');
    // The padlock follows the route the next message would take.
    await pw(main.getByRole('button', { name: 'Security: red, 10%' }).first()).toBeVisible();
    const field = page.getByRole('textbox', { name: 'Message' });
    await field.fill('only encrypted, please');
    await field.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Leaving encryption' });
    await pw(dialog).toContainText('leave end-to-end encryption');
    await dialog.getByRole('button', { name: 'Wait for Switchboard (native)' }).click();
    const log = page.getByRole('log', { name: 'Messages' });
    const waiting = log.locator('.message').filter({ hasText: 'only encrypted, please' });
    await pw(waiting).toContainText('Waiting for a secure route');
    expect(app.net.sent).toHaveLength(0);

    app.net.adapter(native.id).setStatus('online');
    await pw(waiting).toContainText('Sent');
    expect(app.net.delivered.map((d) => [d.accountId, d.out.text])).toEqual([[native.id, 'only encrypted, please']]);

    app.net.adapter(native.id).setStatus('offline');
    await field.fill('email is fine for this');
    await field.press('Enter');
    await dialog.getByRole('button', { name: 'Send now by Email (red)' }).click();
    await pw(log.locator('.message').filter({ hasText: 'email is fine for this' })).toContainText('Sent');
    expect(app.net.delivered.at(-1)!.accountId).toBe(email.id);
    await page.context().close();
  });
});
