/**
 * HTML mail, made safe to show: sanitized (defence in depth) and wrapped in a document that is
 * served from its own URL with its own Content-Security-Policy — no scripts, no same-origin, no
 * forms, no network unless the user allowed remote content. The CSP is the lock; the sanitizer
 * is the second one, and also what keeps blocked images from even being requested (a CSP refusal
 * would still show in the console and tell nothing to the user).
 */
import sanitizeHtml from 'sanitize-html';
import { cssWithoutRemote, DANGLING, urlKind } from './mail-css.ts';

/** A sanitized body, with how many remote resources (images, backgrounds) it refers to. */
export interface SanitizedMail {
  html: string;
  /** Remote resources the HTML refers to, loaded or not. */
  remoteCount: number;
  /** Of those, the ones left out because remote content is not allowed. */
  blocked: number;
}

/** A complete document for the isolated view, and the policy to serve it with. */
export interface MailDocument extends SanitizedMail {
  csp: string;
}

/** Options for one rendering. */
export interface MailRenderOptions {
  /** The user allowed remote content for this message or its sender. */
  allowRemote: boolean;
  /** The stored HTML was cut at core's size limit: the view says so below it. */
  truncated?: boolean;
  /** Who may frame the view (CSP source list); absent: not restricted (Electron's own scheme). */
  frameAncestors?: string;
}

/** Tags a mail may keep: text, structure, tables, images, inline styles. Scripts, frames, forms, media and SVG are dropped. */
const ALLOWED_TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  'img',
  'style',
  'font',
  'center',
  'span',
  'big',
  'small',
  'strike',
  'u',
  'details',
  'summary',
  'picture',
];
const ALLOWED_TAG_SET = new Set(ALLOWED_TAGS);

/** Layout attributes old mail clients and newsletters rely on, on any tag. */
const LAYOUT_ATTRIBUTES = [
  'style', 'class', 'id', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'face', 'size',
  'border', 'cellpadding', 'cellspacing', 'colspan', 'rowspan', 'nowrap', 'span', 'start', 'type', 'reversed', 'abbr', 'scope',
];
const BACKGROUND_TAGS = ['table', 'tr', 'td', 'th', 'div'];

/** A link target worth keeping: absolute http(s) or mailto, or a fragment inside the mail. */
function linkKind(raw: string): 'external' | 'fragment' | 'drop' {
  const href = raw.trim();
  if (href.startsWith('#') && !DANGLING.test(href)) return 'fragment';
  if (DANGLING.test(href)) return 'drop';
  return /^(https?:\/\/|mailto:)/i.test(href) ? 'external' : 'drop';
}

/** Sanitizes a mail's HTML body; remote images and backgrounds stay only when `allowRemote`. */
export function sanitizeMailHtml(input: string, allowRemote: boolean): SanitizedMail {
  const counts = { remote: 0, blocked: 0 };
  const css = (text: string): string => {
    const r = cssWithoutRemote(text, allowRemote);
    counts.remote += r.remote;
    if (!allowRemote) counts.blocked += r.remote;
    return r.css;
  };
  const html = sanitizeHtml(input, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      '*': LAYOUT_ATTRIBUTES,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'data-sb-blocked'],
      ...Object.fromEntries(BACKGROUND_TAGS.map((t) => [t, ['background']])),
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['data', 'http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'background', 'cite'],
    allowProtocolRelative: false,
    // <style> is "vulnerable" to sanitize-html because CSS can fetch; its text is rewritten below
    // and the view's CSP allows no remote style, script or font.
    allowVulnerableTags: true,
    // Text of these never shows, even when the tag itself is dropped.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'template', 'xmp', 'noembed', 'noframes'],
    transformTags: {
      // A mail's <body> carries its background and text colour: keep them on a div.
      body: (_name, attribs) => ({ tagName: 'div', attribs }),
      '*': (name, attribs) => {
        if (!ALLOWED_TAG_SET.has(name)) return { tagName: name, attribs };
        const out = { ...attribs };
        if (out.style !== undefined) out.style = css(out.style);
        if (out.background !== undefined) {
          const kind = urlKind(out.background);
          if (kind === 'remote') {
            counts.remote++;
            if (!allowRemote) counts.blocked++;
          }
          if (kind !== 'data-image' && !(kind === 'remote' && allowRemote)) delete out.background;
        }
        if (name === 'img') imageSource(out, allowRemote, counts);
        if (name === 'a') linkTarget(out);
        return { tagName: name, attribs: out };
      },
    },
  });
  return { html: rewriteStyleElements(html, css), remoteCount: counts.remote, blocked: counts.blocked };
}

/** Keeps an image's source when it may load; otherwise marks it blocked (the view draws a placeholder). */
function imageSource(attribs: Record<string, string>, allowRemote: boolean, counts: { remote: number; blocked: number }): void {
  const src = attribs.src;
  delete attribs['data-sb-blocked'];
  if (src === undefined) return;
  const kind = urlKind(src);
  if (kind === 'remote') {
    counts.remote++;
    if (allowRemote) return;
    counts.blocked++;
    attribs['data-sb-blocked'] = 'remote';
  } else if (kind === 'inline') {
    // Inline (cid:) images are not resolved from the message's parts yet: shown as blocked.
    attribs['data-sb-blocked'] = 'inline';
  } else if (kind === 'data-image') {
    return;
  }
  delete attribs.src;
}

/** Every external link opens outside the view, telling the site nothing about where it came from. */
function linkTarget(attribs: Record<string, string>): void {
  delete attribs.target;
  delete attribs.rel;
  if (attribs.href === undefined) return;
  const kind = linkKind(attribs.href);
  if (kind === 'drop') {
    delete attribs.href;
    return;
  }
  if (kind === 'external') {
    attribs.target = '_blank';
    attribs.rel = 'noopener noreferrer';
  }
}

/**
 * sanitize-html passes a <style> element's text through as it is: rewrite its URLs here, and
 * escape every `<` in it so no parser can ever read markup out of it. The text cannot hold a
 * literal `</style>` (the parser ended the element there), so the first one closes the element.
 */
function rewriteStyleElements(html: string, css: (text: string) => string): string {
  return html.replace(/<style>([\s\S]*?)<\/style>/g, (_m, body: string) => `<style>${css(body).replace(/</g, '\\3c ')}</style>`);
}

/** The view's Content-Security-Policy: nothing runs, nothing is fetched but data: images (and remote ones when allowed). */
export function mailCsp(opts: Pick<MailRenderOptions, 'allowRemote' | 'frameAncestors'>): string {
  return [
    "default-src 'none'",
    // The mail's own <style> and style="" attributes; no remote stylesheet.
    "style-src 'unsafe-inline'",
    `img-src data:${opts.allowRemote ? ' https: http:' : ''}`,
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    ...(opts.frameAncestors ? [`frame-ancestors ${opts.frameAncestors}`] : []),
    // An opaque origin without scripts or forms; links may open (outside the sandbox) in a browser.
    'sandbox allow-popups allow-popups-to-escape-sandbox',
  ].join('; ');
}

/** Our own styles around the mail: a white page (mail is written for one), images within the width, placeholders. */
const VIEW_STYLE = `
html { background: #ffffff; color: #1b1d22; font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif; }
body { margin: 16px 20px; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; }
img[data-sb-blocked] { display: inline-block; min-width: 24px; min-height: 24px; background: #eef0f3; outline: 1px dashed #b8bec8; outline-offset: -1px; color: #5d6370; font-size: 12px; }
pre { white-space: pre-wrap; }
.sb-cut { margin-top: 24px; padding-top: 10px; border-top: 1px solid #e1e4e9; color: #5d6370; font-size: 12.5px; }
`;

/** The whole document for the isolated view, with the policy it must be served with. */
export function mailDocument(html: string, opts: MailRenderOptions): MailDocument {
  const body = sanitizeMailHtml(html, opts.allowRemote);
  const cut = opts.truncated ? '<p class="sb-cut">This message was too long; Switchboard kept only its first part.</p>' : '';
  const doc = `<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light"><meta name="referrer" content="no-referrer"><style>${VIEW_STYLE}</style></head><body>${body.html}${cut}</body></html>`;
  return { ...body, html: doc, csp: mailCsp(opts) };
}

/** The headers the view is served with, by both hosts (web mode and Electron's own scheme). */
export function mailViewHeaders(doc: Pick<MailDocument, 'csp'>): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': doc.csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}
