import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, removeProfile, startApp, type App } from './support.ts';

let browser: Browser;
let app: App;
beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
  const email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  const matrix = await app.core.call('accounts.add', { protocol: 'matrix', kind: 'test-double', address: '@me:matrix.example' });
  const t = Date.now() - 7_200_000;
  app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'The analytical engine weaves algebraic patterns', { sentAt: t });
  app.net.receive(matrix.id, { address: '@grace:matrix.example', displayName: 'Grace Hopper' }, 'Found a moth in the relay', { sentAt: t + 60_000 });
  app.net.receive(email.id, { address: 'alan@example.com', displayName: 'Alan Turing' }, 'Can machines think?', { sentAt: t + 120_000 });
  await app.core.ingest.idle();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

describe('using the inbox', () => {
  it('the padlock opens its reasons in plain words', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('option', { name: 'Grace Hopper' }).click();
    const main = page.getByRole('main', { name: 'Grace Hopper' });
    await main.getByRole('button', { name: 'Security: green, 78%' }).first().click();
    const details = page.getByRole('dialog', { name: 'Security details' });
    await pw(details).toBeVisible();
    await pw(details.getByRole('list', { name: 'Reasons' })).toContainText('If a key is stolen one day, past messages stay safe.');
    await page.keyboard.press('Escape');
    await pw(details).toBeHidden();
    await page.context().close();
  });

  it('pin, mute and archive change the list and survive a reload', async () => {
    const page = await openApp(browser, app);
    const options = page.getByRole('listbox', { name: 'Conversations' }).getByRole('option');
    await pw(options.nth(2)).toContainText('Ada Lovelace');
    await options.nth(2).click();
    const main = page.getByRole('main', { name: 'Ada Lovelace' });
    await main.getByRole('button', { name: 'Pin', exact: true }).click();
    await pw(options.nth(0)).toContainText('Ada Lovelace');
    await pw(options.nth(0).getByRole('img', { name: 'Pinned' })).toBeVisible();
    await main.getByRole('button', { name: 'Mute', exact: true }).click();
    await pw(options.nth(0).getByRole('img', { name: 'Muted' })).toBeVisible();
    await page.reload();
    await pw(options.nth(0)).toContainText('Ada Lovelace');
    await options.nth(0).click();
    await page.getByRole('main', { name: 'Ada Lovelace' }).getByRole('button', { name: 'Archive', exact: true }).click();
    await pw(options).toHaveCount(2);
    await page.getByRole('tab', { name: 'Archived' }).click();
    await pw(options).toHaveCount(1);
    await pw(options.nth(0)).toContainText('Ada Lovelace');
    const stored = await app.core.call('conversations.list', { folder: 'archived' });
    expect(stored.items.map((c) => [c.title, c.pinned, c.muted])).toEqual([['Ada Lovelace', true, true]]);
    await page.context().close();
  });

  it('keyboard: arrows move through the list and Enter opens; Ctrl+K searches', async () => {
    const page = await openApp(browser, app);
    const options = page.getByRole('listbox', { name: 'Conversations' }).getByRole('option');
    await options.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const second = (await app.core.call('conversations.list', {})).items[1]!.title;
    await pw(page.getByRole('main', { name: second })).toBeVisible();
    expect(await options.nth(1).getAttribute('aria-selected')).toBe('true');

    await page.keyboard.press('Control+k');
    await page.keyboard.type('algebraic');
    const results = page.getByRole('list', { name: 'Search results' });
    await pw(results).toContainText('analytical engine');
    await pw(results.locator('mark')).toContainText('algebraic');
    await page.context().close();
  });

  it('settings: quiet padlocks and the dark theme stick across a reload', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'Dark' }).check();
    await page.getByRole('radio', { name: 'Quiet' }).check();
    await pw(page.locator('html[data-theme="dark"]')).toHaveCount(1);
    await page.reload();
    await pw(page.locator('html[data-theme="dark"]')).toHaveCount(1);
    const settings = await app.core.call('settings.get', {});
    expect(settings).toMatchObject({ theme: 'dark', padlockStyle: 'quiet' });
    await app.core.call('settings.set', { theme: 'system', padlockStyle: 'explain' });
    await page.context().close();
  });

  it('typing is shared on a green route and not on a red one', async () => {
    const page = await openApp(browser, app);
    const before = app.net.receipts.filter((r) => r.kind === 'typing').length;
    await page.getByRole('option', { name: 'Grace Hopper' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('thinking about moths');
    await page.getByRole('option', { name: 'Alan Turing' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('this one stays quiet');
    await page.getByRole('textbox', { name: 'Message' }).fill('');
    await page.waitForTimeout(300);
    const typing = app.net.receipts.filter((r) => r.kind === 'typing').slice(before);
    expect(typing.map((r) => [r.conversation.kind === 'direct' ? r.conversation.peer.address : '', r.detail])).toEqual([
      ['@grace:matrix.example', 'true'],
      ['@grace:matrix.example', 'false'],
    ]);
    await page.context().close();
  });
});

