/**
 * URLs in a mail's HTML and CSS: what each points at, and CSS with its remote URLs counted and,
 * unless the user allowed remote content, taken out. A second lock behind the view's CSP: a
 * blocked image is never requested at all, and the count tells the user what was held back.
 */

/** Characters no honest URL holds raw; a dangling, unclosed attribute (EFAIL) swallows them. */
export const DANGLING = /[\s<>"'`]/;

/** What a URL in an image or a background points at. */
export type UrlKind = 'data-image' | 'remote' | 'inline' | 'other';

/** Classifies an image or background URL. Only absolute http(s) counts as remote; relative ones are dropped. */
export function urlKind(raw: string): UrlKind {
  const url = raw.trim();
  if (/^data:image\//i.test(url)) return /[<>"'`]/.test(url) ? 'other' : 'data-image';
  if (/^cid:/i.test(url)) return 'inline';
  if (/^https?:\/\//i.test(url) && !DANGLING.test(url)) return 'remote';
  return 'other';
}

/**
 * Decodes CSS escapes, so `\75 rl(` reads as the `url(` a browser would see. Escapes that made a
 * quote part of a string may now end it early: that breaks one declaration, never the sandbox.
 */
function decodeCssEscapes(css: string): string {
  return css.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\r\n|[\n\r\f])|([\s\S]))/g, (_m, hex?: string, _newline?: string, ch?: string) => {
    if (hex !== undefined) {
      const code = parseInt(hex, 16);
      return code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? '\ufffd' : String.fromCodePoint(code);
    }
    return ch ?? '';
  });
}

/** CSS with remote URLs counted; unless `allowRemote`, each is replaced by `none`. `@import` never stays. */
export function cssWithoutRemote(input: string, allowRemote: boolean): { css: string; remote: number } {
  let remote = 0;
  let css = input.includes('\\') ? decodeCssEscapes(input) : input;
  // A remote stylesheet is never allowed (the view's CSP has no remote style-src either).
  css = css.replace(/@import\b[^;]*;?/gi, () => {
    remote++;
    return '';
  });
  // image-set() takes plain strings as URLs, besides url().
  css = css.replace(/image-set\(([^)]*)\)/gi, (m, inner: string) => {
    if (!/["']\s*(?:https?:)?\/\//i.test(inner)) return m;
    remote++;
    return allowRemote ? m : 'none';
  });
  css = css.replace(/url\(\s*(?:(["'])([\s\S]*?)\1|([^)]*?))\s*\)/gi, (m, _quote: string | undefined, quoted?: string, bare?: string) => {
    const kind = urlKind(quoted ?? bare ?? '');
    if (kind === 'data-image') return m;
    if (kind === 'remote') {
      remote++;
      if (allowRemote) return m;
    }
    return 'none';
  });
  return { css, remote };
}
