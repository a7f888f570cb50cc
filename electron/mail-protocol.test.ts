import { describe, expect, it, vi } from 'vitest';
import { mailDocument } from '../core/content/mail-html.ts';
import type { Core } from '../core/index.ts';
import { isMailViewUrl, MAIL_SCHEME_PRIVILEGES, MAIL_VIEW_SCHEME, mailProtocolHandler } from './mail-protocol.ts';

/** A core that knows one message with HTML, `m1`; remote content allowed as the test says. */
function fakeCore(allowRemote = false): Pick<Core, 'mailView'> & { mailView: ReturnType<typeof vi.fn> } {
  return {
    mailView: vi.fn((id: string) =>
      id === 'm1' ? mailDocument('<p>Hello</p><img src="https://t.example/p.png"><script>x()</script>', { allowRemote }) : null,
    ),
  };
}

const get = (url: string, method = 'GET') => new Request(url, { method });

describe('mailProtocolHandler', () => {
  it('serves a message\'s sanitized HTML with its own sandboxing policy and headers', async () => {
    const core = fakeCore();
    const res = mailProtocolHandler(core)(get('switchboard-mail://view/m1?r=1'));
    expect(res.status).toBe(200);
    expect(core.mailView).toHaveBeenCalledWith('m1');
    const body = await res.text();
    expect(body).toContain('<p>Hello</p>');
    expect(body).not.toMatch(/script|t\.example/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'/);
    expect(csp).toContain('img-src data:;');
    expect(csp).toContain('sandbox allow-popups allow-popups-to-escape-sandbox');
    expect(csp).not.toMatch(/allow-scripts|allow-same-origin/);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('lets images through the policy once remote content is allowed', async () => {
    const res = mailProtocolHandler(fakeCore(true))(get('switchboard-mail://view/m1'));
    expect(res.headers.get('content-security-policy')).toContain('img-src data: https: http:');
    expect(await res.text()).toContain('https://t.example/p.png');
  });

  it('decodes the message id from the path', () => {
    const core = fakeCore();
    mailProtocolHandler(core)(get('switchboard-mail://view/a%20b'));
    expect(core.mailView).toHaveBeenCalledWith('a b');
  });

  it('answers HEAD without a body', async () => {
    const res = mailProtocolHandler(fakeCore())(get('switchboard-mail://view/m1', 'HEAD'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['switchboard-mail://view/unknown', 404],
    ['switchboard-mail://view/', 404],
    ['switchboard-mail://view/a/b', 404],
    ['switchboard-mail://other/m1', 404],
    ['switchboard-mail://view/%E0%A4%A', 400],
  ])('refuses %s with %i, asking core nothing it should not', (url, status) => {
    const core = fakeCore();
    const res = mailProtocolHandler(core)(get(url));
    expect(res.status).toBe(status);
    expect(res.headers.get('content-security-policy')).toBeNull();
    if (status === 404 && url.endsWith('unknown')) expect(core.mailView).toHaveBeenCalledWith('unknown');
    else expect(core.mailView).not.toHaveBeenCalled();
  });

  it('refuses methods other than GET and HEAD', () => {
    expect(mailProtocolHandler(fakeCore())(get('switchboard-mail://view/m1', 'POST')).status).toBe(405);
  });
});

describe('the scheme', () => {
  it('is a standard scheme (an origin the app CSP can name) that is not secure, fetchable, CORS-enabled or exempt from CSP', () => {
    expect(MAIL_VIEW_SCHEME).toBe('switchboard-mail');
    expect(MAIL_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: false, bypassCSP: false, supportFetchAPI: false, corsEnabled: false });
  });

  it('tells the view\'s pages from anything else', () => {
    expect(isMailViewUrl('switchboard-mail://view/m1')).toBe(true);
    expect(isMailViewUrl('switchboard-mail://viewer/m1')).toBe(false);
    expect(isMailViewUrl('file:///opt/Switchboard/index.html')).toBe(false);
    expect(isMailViewUrl(null)).toBe(false);
  });
});
