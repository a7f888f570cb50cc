import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  externalUrlToOpen,
  isAllowedExternalUrl,
  isAllowedPermission,
  isAllowedResourceRequest,
  isTrustedSender,
  windowOptions,
} from './policy.ts';

describe('windowOptions', () => {
  const prefs = windowOptions('/app/dist/electron/preload.cjs').webPreferences;

  it('sandboxes the renderer and keeps Node out of it', () => {
    expect(prefs).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
    });
  });

  it('does not open the window before it is ready to show', () => {
    expect(windowOptions('/p').show).toBe(false);
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name = '', ...sources] = d.trim().split(/\s+/);
      return [name, sources.join(' ')] as const;
    }),
  );

  it('refuses everything by default', () => {
    expect(directives.get('default-src')).toBe("'none'");
  });

  it('allows only bundled scripts and styles, never eval or inline code', () => {
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('style-src')).toBe("'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('keeps the renderer off the network', () => {
    expect(directives.get('connect-src')).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*/);
  });

  it('allows bundled and data: images, bundled fonts', () => {
    expect(directives.get('img-src')).toBe("'self' data:");
    expect(directives.get('font-src')).toBe("'self'");
  });

  it('frames nothing but the isolated mail view\'s own scheme', () => {
    expect(directives.get('frame-src')).toBe('switchboard-mail://view');
  });

  it('closes base, form and framing loopholes', () => {
    expect(directives.get('base-uri')).toBe("'none'");
    expect(directives.get('form-action')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
  });
});

describe('external links', () => {
  it.each([
    ['https://example.org/path?q=1#top', 'https://example.org/path?q=1#top'],
    ['http://example.org', 'http://example.org/'],
    ['HTTPS://EXAMPLE.org/A', 'https://example.org/A'],
    ['mailto:ada@example.org', 'mailto:ada@example.org'],
    ['mailto:ada@example.org?subject=Hi&body=Hello&cc=b@example.org', 'mailto:ada@example.org?subject=Hi&body=Hello&cc=b@example.org'],
  ])('opens %s', (raw, normalized) => {
    expect(isAllowedExternalUrl(raw)).toBe(true);
    expect(externalUrlToOpen(raw)).toBe(normalized);
  });

  it.each([
    ['javascript:alert(1)', 'script'],
    ['JaVaScRiPt:alert(1)', 'script, mixed case'],
    ['java\nscript:alert(1)', 'script, split by a newline the URL parser drops'],
    ['file:///etc/passwd', 'local file'],
    ['data:text/html,<script>alert(1)</script>', 'data URL'],
    ['vbscript:msgbox', 'script'],
    ['smb://host/share', 'network share'],
    ['ms-msdt:/id PCWDiagnostic', 'custom scheme handler'],
    ['steam://run/1', 'custom scheme handler'],
    ['ftp://example.org/file', 'not http(s)'],
    ['https://user:pass@example.org/', 'credentials'],
    ['https://bank.example@evil.example/', 'user part that looks like a host'],
    ['mailto:ada@example.org?attach=/home/ada/.ssh/id_ed25519', 'mailto attachment'],
    ['mailto:ada@example.org?Attachment=~/secret', 'mailto attachment, other spelling'],
    ['not a url', 'malformed'],
    ['//example.org', 'relative'],
    ['https://', 'no host'],
    ['', 'empty'],
    [`https://example.org/${'a'.repeat(5000)}`, 'too long'],
  ])('refuses %s (%s)', (raw) => {
    expect(isAllowedExternalUrl(raw)).toBe(false);
    expect(externalUrlToOpen(raw)).toBeNull();
  });

  it('refuses values that are not strings', () => {
    expect(isAllowedExternalUrl(undefined)).toBe(false);
    expect(isAllowedExternalUrl({ href: 'https://example.org' })).toBe(false);
  });
});

describe('isTrustedSender', () => {
  const index = pathToFileURL('/opt/Switchboard/resources/app.asar/dist/renderer/index.html').href;

  it('trusts our index page, with any query or hash route', () => {
    expect(isTrustedSender(index, index)).toBe(true);
    expect(isTrustedSender(`${index}#/conversations/c1`, index)).toBe(true);
    expect(isTrustedSender(`${index}?debug=1`, index)).toBe(true);
  });

  it.each([
    ['file:///opt/Switchboard/resources/app.asar/dist/renderer/other.html', 'another local page'],
    ['file:///tmp/evil/index.html', 'a page elsewhere on disk'],
    ['file:///opt/Switchboard/resources/app.asar/dist/renderer/../renderer-evil/index.html', 'a dot-dot escape'],
    ['file://remote-host/opt/Switchboard/resources/app.asar/dist/renderer/index.html', 'a file URL on another host'],
    ['https://evil.example/index.html', 'a web page'],
    ['about:blank', 'a blank frame'],
    ['', 'no URL'],
    ['::::', 'malformed'],
  ])('refuses %s (%s)', (url) => {
    expect(isTrustedSender(url, index)).toBe(false);
  });

  it('refuses everything when the expected URL is not a file URL', () => {
    expect(isTrustedSender('https://example.org/', 'https://example.org/')).toBe(false);
  });

  it('ignores the case of a Windows drive path, not of a POSIX one', () => {
    expect(isTrustedSender('file:///c:/Program%20Files/Switchboard/index.html', 'file:///C:/Program%20Files/Switchboard/index.html')).toBe(true);
    expect(isTrustedSender('file:///opt/switchboard/index.html', 'file:///opt/Switchboard/index.html')).toBe(false);
  });
});

describe('isAllowedResourceRequest', () => {
  const rendererDir = join('/opt', 'Switchboard', 'dist', 'renderer');
  const inside = (p: string) => pathToFileURL(join(rendererDir, p)).href;

  it('allows files inside the renderer folder', () => {
    expect(isAllowedResourceRequest(inside('index.html'), rendererDir)).toBe(true);
    expect(isAllowedResourceRequest(inside('assets/index-abc.js'), rendererDir)).toBe(true);
  });

  it.each([
    ['file:///etc/passwd', 'a file elsewhere'],
    ['file:///opt/Switchboard/dist/renderer/../electron/main.cjs', 'a dot-dot escape'],
    ['file:///opt/Switchboard/dist/renderer/%2e%2e/electron/main.cjs', 'an encoded dot-dot escape'],
    ['file:///opt/Switchboard/dist/renderer%2f..%2fsecret', 'an encoded slash'],
    ['file:///opt/Switchboard/dist/renderer-evil/index.html', 'a sibling folder sharing the prefix'],
    ['file://evil-host/opt/Switchboard/dist/renderer/index.html', 'a remote file host'],
    ['https://example.org/tracker.png', 'the network'],
    ['http://127.0.0.1:8080/', 'a local server'],
    ['wss://example.org/socket', 'a web socket'],
    ['not a url', 'malformed'],
  ])('refuses %s (%s)', (url) => {
    expect(isAllowedResourceRequest(url, rendererDir)).toBe(false);
  });

  it('lets a mail view (only) ask for http(s) images: its own CSP decides whether the user allowed them', () => {
    const mail = { resourceType: 'image', frameUrl: 'switchboard-mail://view/m1' };
    expect(isAllowedResourceRequest('https://cdn.example/a.png', rendererDir, mail)).toBe(true);
    expect(isAllowedResourceRequest('http://cdn.example/a.png', rendererDir, mail)).toBe(true);
    expect(isAllowedResourceRequest('https://cdn.example/a.css', rendererDir, { ...mail, resourceType: 'stylesheet' })).toBe(false);
    expect(isAllowedResourceRequest('https://cdn.example/', rendererDir, { ...mail, resourceType: 'subFrame' })).toBe(false);
    expect(isAllowedResourceRequest('wss://cdn.example/', rendererDir, mail)).toBe(false);
    expect(isAllowedResourceRequest('https://cdn.example/a.png', rendererDir, { resourceType: 'image', frameUrl: inside('index.html') })).toBe(false);
    expect(isAllowedResourceRequest('https://cdn.example/a.png', rendererDir, { resourceType: 'image', frameUrl: 'switchboard-mail://viewer/m1' })).toBe(false);
    expect(isAllowedResourceRequest('https://cdn.example/a.png', rendererDir, { resourceType: 'image', frameUrl: null })).toBe(false);
  });

  it('lets the mail view\'s own pages load', () => {
    expect(isAllowedResourceRequest('switchboard-mail://view/m1', rendererDir, { resourceType: 'subFrame', frameUrl: inside('index.html') })).toBe(true);
  });

  it('leaves devtools and in-page URLs to the CSP', () => {
    expect(isAllowedResourceRequest('devtools://devtools/bundled/devtools_app.html', rendererDir)).toBe(true);
    expect(isAllowedResourceRequest('data:image/png;base64,AAAA', rendererDir)).toBe(true);
  });
});

describe('isAllowedPermission', () => {
  it('grants notifications and clipboard writes only', () => {
    expect(isAllowedPermission('notifications')).toBe(true);
    expect(isAllowedPermission('clipboard-sanitized-write')).toBe(true);
    for (const p of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'hid', 'usb', 'serial', 'display-capture', 'fullscreen', 'unknown']) {
      expect(isAllowedPermission(p)).toBe(false);
    }
  });
});
