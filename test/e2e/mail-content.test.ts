/**
 * Mail content in the browser, against the test double's email account: subjects above the text
 * when a thread starts or changes, attachments saved through a real download, a bubble for a
 * message that cannot be displayed, and the full message with its HTML in the isolated view —
 * where a real local HTTP server proves no remote image is requested until the user allows it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** A 1×1 PNG. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n% Switchboard test attachment\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
const ADA = { address: 'ada@example.com', displayName: 'Ada Lovelace' };

let browser: Browser;
let app: App;
/** The stand-in for a tracker's server: every path it was asked for. */
let remote: Server;
const remoteHits: string[] = [];
let remoteBase = '';

function reportHtml(): string {
  return `<style>h1 { font: 600 22px Georgia, serif; color: #1d3b6a } td { padding: 6px 10px; border-bottom: 1px solid #dde }</style>
    <h1 onclick="alert(1)">Q3 report</h1>
    <p>Dear team, the numbers for the third quarter are in. <a href="https://example.org/q3">Read online</a>.</p>
    <img src="${remoteBase}/pixel.png" alt="Revenue chart" width="160" height="80">
    <table><tr><td>Revenue</td><td>€ 1.2 M</td></tr><tr><td>Costs</td><td>€ 0.8 M</td></tr></table>
    <script>new Image().src = '${remoteBase}/script.png';</script>
    <p>— Ada</p>`;
}

beforeAll(async () => {
  remote = createServer((req, res) => {
    remoteHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(PIXEL);
  });
  await new Promise<void>((ok) => remote.listen(0, '127.0.0.1', ok));
  remoteBase = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;

  browser = await launchBrowser();
  app = await startApp();
  await app.core.call('settings.set', { securityDialogs: false });
  const email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org', displayName: 'Me' });
  const t = Date.now() - 3_600_000;
  const report = app.net.receive(email.id, ADA, 'Here is the report for Q3. The numbers look good.', {
    sentAt: t,
    content: {
      subject: 'Quarterly report',
      originalText: 'Here is the report for Q3. The numbers look good.\n\nOn Monday, Grace wrote:\n> Could you send the Q3 figures?\n\n-- \nAda Lovelace\nAnalytical Engines Ltd.',
      html: reportHtml(),
      attachments: [{ id: '2', filename: 'q3-report.pdf', mimeType: 'application/pdf', size: PDF.length }],
    },
  });
  app.net.attachments.set(`${report}/2`, { filename: 'q3-report.pdf', mimeType: 'application/pdf', bytes: new Uint8Array(PDF) });
  app.net.receive(email.id, ADA, 'One more thing: the appendix has the regional split.', {
    sentAt: t + 60_000,
    content: { subject: 'Re: Quarterly report' },
  });
  app.net.receive(email.id, ADA, 'Shall we have lunch on Friday? The menu is attached.', {
    sentAt: t + 120_000,
    content: {
      subject: 'Lunch on Friday?',
      attachments: [
        { id: '2', filename: 'menu-autumn-special-edition.pdf', mimeType: 'application/pdf', size: 1_480_000 },
        { id: '3', filename: 'map.png', mimeType: 'image/png', size: 84_200 },
      ],
    },
  });
  // Sent from another mail client of the user's: the blue side, in the same thread.
  app.net.adapter(email.id).emitRaw({
    type: 'message',
    accountId: email.id,
    remoteId: 'sent-elsewhere-1',
    conversation: { kind: 'direct', peer: ADA },
    sender: 'self',
    text: 'Friday works. I booked the small room.',
    sentAt: t + 150_000,
    content: { subject: 'Re: Lunch on Friday?', attachments: [{ id: '1', filename: 'booking.ics', mimeType: 'text/calendar', size: 912 }] },
  });
  app.net.receive(email.id, ADA, 'Could not display this message.', {
    sentAt: t + 180_000,
    content: { subject: 'Holiday photos', problem: 'It is larger than 25 MB, the most Switchboard downloads for one message.' },
  });
  await app.core.ingest.idle();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
  await new Promise<void>((ok) => (remote ? remote.close(() => ok()) : ok()));
});

async function openConversation(scheme: 'light' | 'dark'): Promise<Page> {
  const page = await openApp(browser, app, scheme);
  await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: /Ada Lovelace/ }).click();
  await pw(page.getByRole('log', { name: 'Messages' })).toContainText('Could not display this message');
  return page;
}

const bubble = (page: Page, text: string) => page.locator('.message', { hasText: text });

describe('mail content in the conversation', () => {
  it('shows subjects when a thread starts or changes, attachments, and a distinct bubble for what cannot be displayed', async () => {
    const page = await openConversation('light');
    await pw(bubble(page, 'Here is the report').locator('.message-subject')).toContainText('Quarterly report');
    // A reply in the same thread: no subject line again.
    await pw(bubble(page, 'One more thing').locator('.message-subject')).toHaveCount(0);
    await pw(bubble(page, 'Shall we have lunch').locator('.message-subject')).toContainText('Lunch on Friday?');

    const files = bubble(page, 'Shall we have lunch').getByRole('list', { name: '2 attachments' });
    await pw(files.getByRole('listitem')).toHaveCount(2);
    await pw(files).toContainText('menu-autumn-special-edition.pdf');
    await pw(files).toContainText('1.5 MB');
    await pw(files).toContainText('84 KB');
    await pw(files.getByRole('button', { name: 'Save map.png' })).toBeVisible();
    const mine = bubble(page, 'Friday works');
    await pw(mine.locator('.message-subject')).toHaveCount(0);
    await pw(mine.getByRole('list', { name: 'Attachment' })).toContainText('booking.ics');

    const problem = bubble(page, 'Could not display this message');
    await pw(problem.locator('.bubble-problem')).toHaveCount(1);
    await pw(problem.getByRole('note')).toContainText('It is larger than 25 MB');
    await pw(problem.locator('.message-subject')).toContainText('Holiday photos');
    // Only the message with an original offers it.
    await pw(page.getByRole('button', { name: 'Show full message' })).toHaveCount(1);
    await shot(page, 'mail-bubbles-light');
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('saves an attachment through a real download with the right bytes', async () => {
    const page = await openConversation('light');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      bubble(page, 'Here is the report').getByRole('button', { name: 'Save q3-report.pdf' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('q3-report.pdf');
    expect(readFileSync(await download.path())).toEqual(PDF);
    expect(app.net.attachmentFetches.at(-1)).toMatchObject({ attachmentId: '2' });
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('says why an attachment cannot be saved', async () => {
    const page = await openConversation('light');
    await bubble(page, 'Shall we have lunch').getByRole('button', { name: 'Save map.png' }).click();
    await pw(page.getByText("Couldn't save map.png: The server no longer has this attachment.")).toBeVisible();
    await page.context().close();
  });
});

describe('the full message', () => {
  it('shows the HTML isolated, requests nothing remote until allowed, then loads the image', async () => {
    const page = await openConversation('light');
    await bubble(page, 'Here is the report').getByRole('button', { name: 'Show full message' }).click();
    const dialog = page.getByRole('dialog', { name: 'Full message' });
    await pw(dialog.getByRole('heading', { name: 'Quarterly report' })).toBeVisible();
    await pw(dialog).toContainText('Ada Lovelace <ada@example.com>');
    const frame = dialog.locator('iframe[title="Message content"]');
    expect(await frame.getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    expect(await frame.getAttribute('src')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mail-view\/[^?]+\?key=[\w-]{43}&r=0$/);
    const content = page.frameLocator('iframe[title="Message content"]');
    await pw(content.getByRole('heading', { name: 'Q3 report' })).toBeVisible();
    await pw(content.getByRole('link', { name: 'Read online' })).toBeVisible();
    expect(await content.getByRole('link', { name: 'Read online' }).getAttribute('target')).toBe('_blank');
    await pw(dialog.getByRole('group', { name: 'Remote images' })).toContainText('Remote images are blocked to protect your privacy.');
    await pw(dialog.getByRole('button', { name: 'Always for ada@example.com' })).toBeVisible();
    // Give a request every chance to arrive: none does, neither the image nor the script's.
    await page.waitForTimeout(750);
    expect(remoteHits).toEqual([]);
    await shot(page, 'mail-full-blocked-light');

    await dialog.getByRole('button', { name: 'Load for this message' }).click();
    await pw(dialog.getByRole('group', { name: 'Remote images' })).toBeHidden();
    const until = Date.now() + 10_000;
    while (!remoteHits.includes('/pixel.png') && Date.now() < until) await page.waitForTimeout(50);
    // The check could see a request all along: now it arrives, and still nothing a script would send.
    expect(remoteHits).toContain('/pixel.png');
    expect(remoteHits).not.toContain('/script.png');
    await pw(content.getByRole('img', { name: 'Revenue chart' })).toBeVisible();
    await shot(page, 'mail-full-allowed-light');

    // The original text instead of the HTML, then Esc closes and focus returns.
    await dialog.getByRole('button', { name: 'Show plain text' }).click();
    await pw(dialog.getByRole('region', { name: 'Message text' })).toContainText('> Could you send the Q3 figures?');
    await page.keyboard.press('Escape');
    await pw(dialog).toBeHidden();
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('looks right in the dark theme, keyboard only', async () => {
    const page = await openConversation('dark');
    await shot(page, 'mail-bubbles-dark');
    await bubble(page, 'Here is the report').getByRole('button', { name: 'Show full message' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Full message' });
    await pw(page.frameLocator('iframe[title="Message content"]').getByRole('heading', { name: 'Q3 report' })).toBeVisible();
    // Allowed for this message earlier: no bar now.
    await pw(dialog.getByRole('group', { name: 'Remote images' })).toHaveCount(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Close');
    await shot(page, 'mail-full-dark');
    await page.keyboard.press('Enter');
    await pw(dialog).toBeHidden();
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });
});
