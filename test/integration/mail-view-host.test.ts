/**
 * Web mode's isolated HTML mail view: served from its own URL with its own policy, only with the
 * message's key, and framed only by the app (whose own policy allows exactly that frame).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailViewKey } from '../../core/host/mail-view.ts';
import { startHost, type Host } from '../../core/host/server.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let host: Host;
let withHtml: string;
let withoutHtml: string;
const staticDir = mkdtempSync(join(tmpdir(), 'switchboard-static-'));

beforeAll(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Switchboard</title>');
  h = await makeHarness();
  host = await startHost({ core: h.core, staticDir });
  const email = await h.addAccount('email', 'me@example.org');
  const ada = { address: 'ada@example.com', displayName: 'Ada' };
  h.net.receive(email.id, ada, 'html', { sentAt: 1_000, content: { html: '<p>Hello <img src="http://127.0.0.1:9/p.png"></p><script>x()</script>' } });
  h.net.receive(email.id, ada, 'plain', { sentAt: 2_000, content: { subject: 'No HTML' } });
  await h.core.ingest.idle();
  const conversationId = (await h.core.call('conversations.list', {})).items[0]!.id;
  [withHtml, withoutHtml] = (await h.core.call('messages.page', { conversationId })).items.map((m) => m.id) as [string, string];
});
afterAll(async () => {
  await host.close();
  await h.cleanup();
  rmSync(staticDir, { recursive: true, force: true });
});

const viewUrl = (id: string, key = mailViewKey(host.token, id)) => `http://127.0.0.1:${host.port}/mail-view/${encodeURIComponent(id)}?key=${key}`;

describe('web mode mail view', () => {
  it('serves the sanitized document with its own sandboxing policy and headers', async () => {
    const res = await fetch(viewUrl(withHtml));
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('Hello');
    expect(body).not.toMatch(/script|127\.0\.0\.1:9/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/img-src data:;/);
    expect(csp).toMatch(/sandbox allow-popups allow-popups-to-escape-sandbox/);
    expect(csp).toContain(`frame-ancestors http://127.0.0.1:${host.port} http://localhost:${host.port}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBeNull();
  });

  it('loads remote images once the user allowed them', async () => {
    await h.core.call('messages.allowRemoteContent', { messageId: withHtml, scope: 'message' });
    const res = await fetch(viewUrl(withHtml));
    expect(res.headers.get('content-security-policy')).toMatch(/img-src data: https: http:;/);
    expect(await res.text()).toContain('http://127.0.0.1:9/p.png');
  });

  it('refuses a missing or wrong key, and another message\'s key', async () => {
    expect((await fetch(`http://127.0.0.1:${host.port}/mail-view/${withHtml}`)).status).toBe(401);
    expect((await fetch(viewUrl(withHtml, 'x'.repeat(43)))).status).toBe(401);
    expect((await fetch(viewUrl(withHtml, mailViewKey(host.token, withoutHtml)))).status).toBe(401);
    expect((await fetch(viewUrl(withHtml, mailViewKey('another-token', withHtml)))).status).toBe(401);
  });

  it('answers 404 for a message without HTML or none at all, and a bad path clearly', async () => {
    expect((await fetch(viewUrl(withoutHtml))).status).toBe(404);
    expect((await fetch(viewUrl('no-such-message'))).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${host.port}/mail-view/%E0%A4%A?key=x`)).status).toBe(400);
  });

  it('answers HEAD without a body, refuses other methods and foreign hosts', async () => {
    const head = await fetch(viewUrl(withHtml), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(viewUrl(withHtml), { method: 'POST' })).status).toBe(405);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(viewUrl(withHtml), { headers: { host: `evil.example:${host.port}` } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('lets the app frame exactly the mail view', async () => {
    const csp = (await fetch(`http://127.0.0.1:${host.port}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-src http://127.0.0.1:${host.port}/mail-view/ http://localhost:${host.port}/mail-view/`);
  });
});
