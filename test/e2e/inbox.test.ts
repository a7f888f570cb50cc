import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentLogLines } from '../../core/log/logger.ts';
import type { Browser } from 'playwright-core';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Two conversations on two protocols: Ada by email (older), Ben by the native protocol (newer). */
async function seeded(opts: Parameters<typeof startApp>[0] = {}): Promise<App> {
  const app = await startApp(opts);
  const email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  const native = await app.core.call('accounts.add', { protocol: 'native', kind: 'test-double', address: 'me-native' });
  const t = Date.now() - 3_600_000;
  app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'Notes on the engine', { sentAt: t });
  app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'Did you read them?', { sentAt: t + 60_000 });
  app.net.receive(native.id, { address: 'ben-key', displayName: 'Ben Franklin' }, 'Kite weather today', { sentAt: t + 120_000 });
  await app.core.ingest.idle();
  return app;
}

describe('inbox in the browser', () => {
  it('lists conversations from two protocols by activity, with padlock names; opening one shows its messages', async () => {
    const app = await seeded();
    try {
      const page = await openApp(browser, app);
      const list = page.getByRole('listbox', { name: 'Conversations' });
      const options = list.getByRole('option');
      await pw(options).toHaveCount(2);
      await pw(options.nth(0)).toContainText('Ben Franklin');
      await pw(options.nth(1)).toContainText('Ada Lovelace');
      await pw(options.nth(0).getByRole('img', { name: 'Security: green, 93%' })).toBeVisible();
      await pw(options.nth(1).getByRole('img', { name: 'Security: red, 10%' })).toBeVisible();

      await options.nth(1).click();
      const log = page.getByRole('log', { name: 'Messages' });
      await pw(log).toContainText('Notes on the engine');
      await pw(log).toContainText('Did you read them?');
      await pw(log).not.toContainText('Kite weather');

      // New mail arrives while the page is open: the list reorders live.
      const email = (await app.core.call('accounts.list', {})).find((a) => a.protocol === 'email')!;
      app.net.receive(email.id, { address: 'ada@example.com', displayName: 'Ada Lovelace' }, 'Hello again');
      await pw(log).toContainText('Hello again');
      await pw(options.nth(0)).toContainText('Ada Lovelace');
      expect(pageErrors).toEqual([]);
    } finally {
      await app.stop();
      removeProfile(app.profileDir);
    }
  });

  it('sending queues the message and shows its status until it is sent', async () => {
    const app = await seeded({ core: { outbox: { backoff: () => 1_500 } } });
    try {
      const page = await openApp(browser, app);
      await page.getByRole('option', { name: /Ada Lovelace/ }).click();
      const email = (await app.core.call('accounts.list', {})).find((a) => a.protocol === 'email')!;
      app.net.failNextSend(email.id, 'network', 'connection reset');
      await page.getByRole('textbox', { name: 'Message' }).fill('Queued for now');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      // First send on email: the first-use dialog; acknowledge it.
      const dialog = page.getByRole('dialog', { name: 'Security notice' });
      await pw(dialog).toContainText("You're using Email for the first time on Switchboard. Switchboard rates Email at 10% (red).");
      await dialog.getByRole('button', { name: 'OK' }).click();
      const mine = page.getByRole('log', { name: 'Messages' }).locator('.message').filter({ hasText: 'Queued for now' });
      await pw(mine).toContainText('Queued');
      await pw(mine).toContainText('Sent', { timeout: 10_000 });
      expect(app.net.delivered.map((d) => d.out.text)).toEqual(['Queued for now']);
    } finally {
      await app.stop();
      removeProfile(app.profileDir);
    }
  });

  it('the first-use dialog comes before the first message on a protocol, once, and "don\'t show again" sticks across a restart', async () => {
    let app = await seeded();
    const profileDir = app.profileDir;
    try {
      let page = await openApp(browser, app);
      const dialog = () => page.getByRole('dialog', { name: 'Security notice' });
      const type = async (to: RegExp, text: string) => {
        await page.getByRole('option', { name: to }).click();
        await page.getByRole('textbox', { name: 'Message' }).fill(text);
        await page.getByRole('textbox', { name: 'Message' }).press('Enter');
      };
      const shown = (text: string) => pw(page.getByRole('log', { name: 'Messages' })).toContainText(text);

      await type(/Ada Lovelace/, 'one');
      await pw(dialog()).toBeVisible();
      // Nothing left before the user has read how the protocol rates.
      expect(app.net.sent).toHaveLength(0);
      await dialog().getByRole('button', { name: 'OK' }).click();
      await pw(dialog()).toBeHidden();
      await shown('one');
      await type(/Ada Lovelace/, 'two');
      await shown('two');
      await pw(dialog()).toBeHidden();

      await type(/Ben Franklin/, 'three');
      await pw(dialog()).toContainText('Switchboard (native)');
      await dialog().getByRole('button', { name: "Don't show these security messages again" }).click();
      await pw(dialog()).toBeHidden();
      await shown('three');
      await page.context().close();
      await app.stop();

      app = await startApp({ profileDir });
      const xmpp = await app.core.call('accounts.add', { protocol: 'xmpp', kind: 'test-double', address: 'me@jabber.example' });
      app.net.receive(xmpp.id, { address: 'cy@jabber.example', displayName: 'Cy Twombly' }, 'hi');
      await app.core.ingest.idle();
      page = await openApp(browser, app);
      await type(/Cy Twombly/, 'four');
      await shown('four');
      await pw(dialog()).toBeHidden();
    } finally {
      await app.stop();
      removeProfile(profileDir);
    }
  });

  it('the web mode refuses an api connection without the token or from a foreign Origin', async () => {
    const app = await seeded();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      // No token: the page loads, but the api does not answer and the page says how to get in.
      await page.goto(`http://127.0.0.1:${app.host.port}/`);
      await pw(page.getByText('Open the link printed by')).toBeVisible();
      const tryConnect = (protocols: string[]) =>
        page.evaluate(
          ({ port, protocols }) =>
            new Promise<string>((resolve) => {
              const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, protocols);
              ws.onopen = () => resolve('open');
              ws.onerror = () => resolve('refused');
            }),
          { port: app.host.port, protocols },
        );
      expect(await tryConnect([])).toBe('refused');
      expect(await tryConnect(['switchboard.token.wrong'])).toBe('refused');
      expect(await tryConnect([`switchboard.token.${app.host.token}`])).toBe('open');

      // The same token from a page on another origin (a plain local server, no CSP in the way):
      // the browser lets the page try, and the host refuses it by its Origin.
      const foreign = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>elsewhere</title>'));
      await new Promise<void>((ok) => foreign.listen(0, '127.0.0.1', ok));
      try {
        await page.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
        const refusalsBefore = recentLogLines.filter((l) => l.includes('"why":"origin"')).length;
        expect(await tryConnect([`switchboard.token.${app.host.token}`])).toBe('refused');
        expect(recentLogLines.filter((l) => l.includes('"why":"origin"')).length).toBe(refusalsBefore + 1);
      } finally {
        foreign.close();
      }
      await context.close();
    } finally {
      await app.stop();
      removeProfile(app.profileDir);
    }
  });
});
