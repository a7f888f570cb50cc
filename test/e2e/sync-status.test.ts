/**
 * Sync progress: while an account's first sync runs, the sidebar says how far it is; when it is
 * done, the line goes away.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, removeProfile, startApp, type App } from './support.ts';

let browser: Browser;
let app: App;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

describe('sync progress', () => {
  it('shows while an account syncs and goes away when it is done', async () => {
    const account = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
    const page = await openApp(browser, app);
    const status = page.getByRole('status', { name: 'Sync progress' });
    app.net.adapter(account.id).emitRaw({ type: 'sync', accountId: account.id, done: 1_200, total: 10_000 });
    await pw(status).toContainText('Syncing me@example.org: 1,200 of 10,000');
    await pw(status.getByRole('progressbar', { name: 'Sync progress of me@example.org' })).toBeVisible();
    // Set SHOTS_DIR to keep a screenshot (for looking at it, not asserted).
    if (process.env.SHOTS_DIR) await page.screenshot({ path: `${process.env.SHOTS_DIR}/sync-status.png`, clip: { x: 0, y: 0, width: 360, height: 200 } });
    app.net.adapter(account.id).emitRaw({ type: 'sync', accountId: account.id, done: 10_000, total: 10_000 });
    await pw(status.getByRole('progressbar')).toHaveCount(0);
    await pw(status).not.toContainText('Syncing');
  });
});
