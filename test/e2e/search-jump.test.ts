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
  const t = Date.now() - 86_400_000;
  for (let i = 0; i < 400; i++) {
    const text = i === 12 ? 'The marmalade recipe is in the blue notebook' : `Ordinary message number ${i}`;
    app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, text, { sentAt: t + i * 60_000 });
  }
  await app.core.ingest.idle();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

describe('search', () => {
  it('opening a hit far back in a conversation pages back to it and brings it into view', async () => {
    const page = await openApp(browser, app);
    await page.getByRole('searchbox', { name: 'Search messages' }).fill('marmalade');
    const hit = page.getByRole('list', { name: 'Search results' }).getByRole('button').first();
    await pw(hit).toContainText('marmalade');
    await hit.click();
    const log = page.getByRole('log', { name: 'Messages' });
    const target = log.locator('.message').filter({ hasText: 'The marmalade recipe' });
    await pw(target).toHaveCount(1);
    // In view: the bubble's box lies inside the log's visible box.
    await expect
      .poll(async () => {
        const [t, l] = await Promise.all([target.boundingBox(), log.boundingBox()]);
        return !!t && !!l && t.y >= l.y && t.y + t.height <= l.y + l.height;
      }, { timeout: 10_000 })
      .toBe(true);
    await page.context().close();
  });
});
