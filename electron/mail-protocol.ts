/**
 * The desktop app's isolated HTML mail view: the `switchboard-mail:` scheme answers
 * `switchboard-mail://view/<messageId>` with the message's sanitized HTML and the headers core
 * makes for it (its own sandboxing CSP, no sniffing, no referrer, no caching). Its own scheme gives
 * the view its own policy; a srcdoc frame would inherit the app's and could never show an image.
 * Electron objects stay out of this file, so the handler is tested with plain Requests.
 */
import { MAIL_VIEW_ORIGIN, MAIL_VIEW_SCHEME } from '../core/api/wire.ts';
import { mailViewHeaders } from '../core/content/mail-html.ts';
import type { Core } from '../core/index.ts';

export { MAIL_VIEW_SCHEME };

/**
 * How the scheme is registered (before the app is ready): standard, so it has an origin and the
 * app's CSP can name it; not secure, so a mail's allowed http: images are not mixed content; no
 * fetch, CORS, service workers or CSP bypass.
 */
export const MAIL_SCHEME_PRIVILEGES = {
  standard: true,
  secure: false,
  bypassCSP: false,
  allowServiceWorkers: false,
  supportFetchAPI: false,
  corsEnabled: false,
  stream: false,
  codeCache: false,
} as const;

/** Whether a URL is a page of the mail view (its frame, as opposed to what the frame loads). */
export function isMailViewUrl(raw: string | null | undefined): boolean {
  return typeof raw === 'string' && raw.startsWith(`${MAIL_VIEW_ORIGIN}/`);
}

const PLAIN = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
const plain = (status: number, text: string): Response => new Response(text, { status, headers: PLAIN });

/** The request handler for `protocol.handle(MAIL_VIEW_SCHEME, …)`. */
export function mailProtocolHandler(core: Pick<Core, 'mailView'>): (request: Request) => Response {
  return (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Only GET.');
    if (!isMailViewUrl(request.url)) return plain(404, 'Not found.');
    let messageId: string;
    try {
      messageId = decodeURIComponent(new URL(request.url).pathname.slice(1));
    } catch {
      return plain(400, 'Bad path.');
    }
    if (messageId === '' || messageId.length > 200 || messageId.includes('/')) return plain(404, 'No such message.');
    const doc = core.mailView(messageId);
    if (!doc) return plain(404, 'This message has no HTML to show.');
    return new Response(request.method === 'HEAD' ? null : doc.html, { status: 200, headers: mailViewHeaders(doc) });
  };
}
