/**
 * Disappearing messages in the browser: the header's timer menu, the chip under the title, each
 * message's countdown, messages leaving the log when their time is up, and refusals in plain words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Account } from '../../core/api/types.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

let browser: Browser;
let app: App;
let native: Account;
let email: Account;
/** Core's clock runs `clock.skew` ms ahead of the real one: the test moves it to a deadline. */
const clock = { skew: 0 };

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp({ core: { now: () => Date.now() + clock.skew } });
  await app.core.call('settings.set', { securityDialogs: false });
  native = await app.core.call('accounts.add', { protocol: 'native', kind: 'test-double', address: 'me-native' });
  email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  const t = Date.now() - 3_600_000;
  app.net.receive(email.id, { address: 'bob@example.com', displayName: 'Bob Mailer' }, 'Plain old mail', { sentAt: t });
  app.net.receive(native.id, { address: 'ada-key', displayName: 'Ada Lovelace' }, 'Notes on the engine', { sentAt: t + 60_000 });
  await app.core.ingest.idle();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

describe('disappearing messages', () => {
  it('an incoming message counts down once read and goes on its own after a real two-second timer (core clock not moved yet)', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('option', { name: 'Ada Lovelace' }).click();
    const log = page.getByRole('main', { name: 'Ada Lovelace' }).getByRole('log', { name: 'Messages' });
    await pw(log).toContainText('Notes on the engine');
    app.net.receive(native.id, { address: 'ada-key', displayName: 'Ada Lovelace' }, 'Read me quickly', { disappearAfterSeconds: 2 });
    const incoming = log.locator('.message', { hasText: 'Read me quickly' });
    // The open, focused conversation marks it read: its countdown starts and shows.
    await pw(incoming.getByRole('img', { name: 'Disappears in 1 second' })).toBeVisible({ timeout: 3_000 });
    await pw(incoming).toHaveCount(0, { timeout: 4_000 });
    await pw(log).toContainText('Notes on the engine');
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('set from the header: the chip shows it, a sent message counts down and leaves the log at its deadline', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('option', { name: 'Ada Lovelace' }).click();
    const main = page.getByRole('main', { name: 'Ada Lovelace' });
    const log = main.getByRole('log', { name: 'Messages' });
    await pw(log).toContainText('Notes on the engine');

    await main.getByRole('button', { name: 'Disappearing messages' }).click();
    const menu = page.getByRole('menu', { name: 'Disappearing messages' });
    const choices = menu.getByRole('menuitemradio');
    expect(await choices.allInnerTexts()).toEqual(['Off', '5 minutes', '1 hour', '1 day', '1 week', '4 weeks']);
    expect(await menu.getByRole('menuitemradio', { name: 'Off' }).getAttribute('aria-checked')).toBe('true');
    await shot(page, 'disappearing-menu-light');
    await menu.getByRole('menuitemradio', { name: '5 minutes' }).click();
    await pw(menu).toBeHidden();
    await pw(main.getByText('Disappearing messages: 5 minutes')).toBeVisible();
    const conv = (await app.core.call('conversations.list', {})).items.find((c) => c.title === 'Ada Lovelace')!;
    expect(conv.disappearingSeconds).toBe(300);
    expect(app.net.timers.map((t) => [t.accountId, t.seconds])).toEqual([[native.id, 300]]);

    // The menu shows the choice made.
    await main.getByRole('button', { name: 'Disappearing messages' }).click();
    expect(await menu.getByRole('menuitemradio', { name: '5 minutes' }).getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('Escape');

    await main.getByRole('textbox', { name: 'Message' }).fill('This note self-destructs');
    await main.getByRole('button', { name: 'Send', exact: true }).click();
    const mine = log.locator('.message', { hasText: 'This note self-destructs' });
    // Counting from the send: a little under five minutes left.
    await pw(mine.getByRole('img', { name: 'Disappears in 4 minutes' })).toBeVisible();
    await pw(page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: 'Ada Lovelace' })).toContainText('This note self-destructs');
    await shot(page, 'disappearing-countdown-light');

    // Five minutes later (by core's clock) the sweep runs: the message leaves without a reload,
    // and the list's preview goes back to the message before it.
    clock.skew += 301_000;
    app.core.expiry.sweep();
    await pw(mine).toHaveCount(0);
    await pw(log).toContainText('Notes on the engine');
    await pw(page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: 'Ada Lovelace' })).toContainText('Notes on the engine');
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('the peer changes the timer: the header follows live; turning it off from the menu hides the chip', async () => {
    const page = await openApp(browser, app, 'dark');
    await page.getByRole('option', { name: 'Ada Lovelace' }).click();
    const main = page.getByRole('main', { name: 'Ada Lovelace' });
    app.net.changeTimer(native.id, { kind: 'direct', peer: { address: 'ada-key' } }, 604_800);
    await pw(main.getByText('Disappearing messages: 1 week')).toBeVisible();
    app.net.receive(native.id, { address: 'ada-key', displayName: 'Ada Lovelace' }, 'A week to read this', { disappearAfterSeconds: 604_800 });
    await pw(main.getByRole('img', { name: /^Disappears in (6 days|1 week)$/ })).toBeVisible();
    await main.getByRole('button', { name: 'Disappearing messages' }).click();
    await shot(page, 'disappearing-menu-dark');
    await page.getByRole('menu', { name: 'Disappearing messages' }).getByRole('menuitemradio', { name: 'Off' }).click();
    await pw(main.getByText('Disappearing messages: 1 week')).toHaveCount(0);
    expect(app.net.timers.at(-1)).toMatchObject({ accountId: native.id, seconds: 0 });
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('a protocol without disappearing messages says so in plain words and nothing changes', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('option', { name: 'Bob Mailer' }).click();
    const main = page.getByRole('main', { name: 'Bob Mailer' });
    await main.getByRole('button', { name: 'Disappearing messages' }).click();
    await page.getByRole('menu', { name: 'Disappearing messages' }).getByRole('menuitemradio', { name: '1 hour' }).click();
    const notice = page.getByRole('status').filter({ hasText: "Couldn't set disappearing messages" });
    await pw(notice).toContainText("Couldn't set disappearing messages to 1 hour: Email cannot make messages disappear.");
    await shot(page, 'disappearing-refused-light');
    await pw(main.getByText(/^Disappearing messages:/)).toHaveCount(0);
    const bob = (await app.core.call('conversations.list', {})).items.find((c) => c.title === 'Bob Mailer')!;
    expect(bob.disappearingSeconds).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });
});
