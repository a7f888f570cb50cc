/**
 * Two Switchboard profiles in Chromium, each with an encrypted-chat account set up through the UI
 * against a real relay process: Alice makes an invite, Bob accepts it, they write both ways, both see
 * green, and their safety numbers match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { defaultRegistry } from '../../adapters/registry.ts';
import { startRelay, type TestRelay } from '../servers/relay.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
const shot = async (page: Page, name: string): Promise<void> => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

let browser: Browser;
let relay: TestRelay;
const apps: App[] = [];

beforeAll(async () => {
  [browser, relay] = await Promise.all([launchBrowser(), startRelay()]);
});

afterAll(async () => {
  await browser?.close();
  for (const app of apps) {
    await app.stop();
    removeProfile(app.profileDir);
  }
  await relay?.cleanup();
});

async function person(name: string): Promise<Page> {
  const app = await startApp({ core: { registry: defaultRegistry(), outbox: { backoff: () => 200 } } });
  apps.push(app);
  const page = await openApp(browser, app);
  // Set up encrypted chat the way a user does: the add-account form.
  await page.getByRole('button', { name: 'Settings' }).click();
  const form = page.getByRole('form', { name: 'Add account' });
  await form.getByRole('combobox', { name: 'Protocol' }).selectOption('native');
  await form.getByRole('textbox', { name: 'Your name (shown to people you invite)' }).fill(name);
  await form.getByRole('textbox', { name: 'Relay' }).fill(relay.url);
  await form.getByRole('button', { name: 'Set up encrypted chat' }).click();
  await pw(page.getByRole('list', { name: 'Accounts' })).toContainText(name);
  await pw(page.getByRole('list', { name: 'Accounts' })).toContainText('Online', { timeout: 10_000 });
  await page.keyboard.press('Escape');
  return page;
}

/** Sends a message from the open conversation; `firstUse`: the first-use notice comes first and is acknowledged. */
async function send(page: Page, text: string, firstUse: boolean): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  if (firstUse) {
    const notice = page.getByRole('dialog', { name: 'Security notice' });
    await pw(notice).toContainText('Switchboard (native)');
    await notice.getByRole('button', { name: 'OK' }).click();
  }
  await pw(page.getByRole('log', { name: 'Messages' }).locator('.message').filter({ hasText: text })).toBeVisible();
}

describe('encrypted chat between two profiles', () => {
  it('invite → accept → both ways → green on both sides, same safety number', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');

    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByRole('menuitem', { name: 'New invite' }).click();
    const made = alice.getByRole('dialog', { name: 'New invite' });
    await made.getByRole('button', { name: 'Create invite' }).click();
    await pw(made.getByRole('img', { name: 'QR code of the invite' })).toBeVisible();
    await shot(alice, '1-new-invite');
    const link = await made.getByRole('textbox', { name: 'Invite link' }).inputValue();
    expect(link).toMatch(/^switchboard:\/\/invite\/1\//);
    await made.getByRole('button', { name: 'Done' }).click();

    await bob.getByRole('button', { name: 'New chat' }).click();
    await bob.getByRole('menuitem', { name: 'Accept invite' }).click();
    const accept = bob.getByRole('dialog', { name: 'Accept invite' });
    await accept.getByRole('textbox', { name: 'Invite link' }).fill(link);
    await accept.getByRole('button', { name: 'Accept', exact: true }).click();
    const bobView = bob.getByRole('main', { name: 'Alice' });
    await pw(bobView).toBeVisible({ timeout: 10_000 });

    // Alice sees Bob appear in her inbox (not as a request: she gave this invite to him).
    await alice.getByRole('option', { name: /Bob/ }).click({ timeout: 10_000 });
    const aliceView = alice.getByRole('main', { name: 'Bob' });

    await send(bob, 'hello encrypted', true);
    const atAlice = aliceView.getByRole('log', { name: 'Messages' }).locator('.message').filter({ hasText: 'hello encrypted' });
    await pw(atAlice).toBeVisible({ timeout: 15_000 });
    await pw(atAlice.getByRole('button', { name: /^Security: green, \d+%$/ }).or(atAlice.getByRole('img', { name: /^Security: green, \d+%$/ }))).toHaveCount(1);

    await send(alice, 'hello back', true);
    const atBob = bobView.getByRole('log', { name: 'Messages' }).locator('.message').filter({ hasText: 'hello back' });
    await pw(atBob).toBeVisible({ timeout: 15_000 });

    await shot(alice, '2-alice-conversation');
    await shot(bob, '3-bob-conversation');
    // The padlock of both conversations (header and list) is green.
    for (const [page, title] of [[alice, 'Bob'], [bob, 'Alice']] as const) {
      await pw(page.getByRole('main', { name: title }).getByRole('button', { name: /^Security: green, \d+%$/ }).first()).toBeVisible();
      await pw(page.getByRole('option', { name: new RegExp(title) }).getByLabel(/^Security: green, \d+%$/).first()).toBeVisible();
    }
    // Bob's first message shows delivered once Alice's Switchboard stored it (and read, as Alice
    // has the conversation open: receipts flow on a green route).
    const mine = bobView.getByRole('log', { name: 'Messages' }).locator('.message').filter({ hasText: 'hello encrypted' });
    await pw(mine.filter({ hasText: /Delivered|Read/ })).toHaveCount(1, { timeout: 10_000 });

    // Safety numbers: the same 60 digits on both contact cards.
    const digits: string[] = [];
    for (const [page, title] of [[alice, 'Bob'], [bob, 'Alice']] as const) {
      await page.getByRole('main', { name: title }).getByRole('button', { name: 'Contact details' }).click();
      const card = page.getByRole('dialog', { name: 'Contact details' });
      await card.getByRole('button', { name: 'Verify safety number' }).click();
      const panel = card.getByRole('region', { name: 'Verify safety number' });
      await pw(panel).toBeVisible();
      // The digits arrive with the api's answer: wait for them, not just for the panel.
      let found = '';
      for (let end = Date.now() + 10_000; found.length !== 60 && Date.now() < end; ) {
        found = ((await panel.textContent()) ?? '').match(/(\d{5}\s*){12}/)?.[0]?.replace(/\s+/g, '') ?? '';
        if (found.length !== 60) await page.waitForTimeout(50);
      }
      expect(found).toHaveLength(60);
      digits.push(found);
    }
    await shot(bob, '4-bob-safety-number');
    expect(digits[0]).toBe(digits[1]);
  });

  it('no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
