/**
 * Web mode's isolated HTML mail view: `GET /mail-view/<messageId>?key=<key>` answers with the
 * message's sanitized HTML under its own Content-Security-Policy (core/content/mail-html.ts). The
 * key is derived from the access token per message, so the token itself never sits in a URL.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAIL_VIEW_KEY_LABEL, MAIL_VIEW_PATH } from '../api/wire.ts';
import { mailViewHeaders } from '../content/mail-html.ts';
import type { Core } from '../index.ts';

/** The key that opens one message's view: HMAC-SHA256(token, label + id), base64url. */
export function mailViewKey(token: string, messageId: string): string {
  return createHmac('sha256', token).update(MAIL_VIEW_KEY_LABEL + messageId).digest('base64url');
}

/** Whether a request is for the mail view (the caller has checked Host and method). */
export function isMailViewRequest(url: string | undefined): boolean {
  return (url ?? '').startsWith(MAIL_VIEW_PATH);
}

const PLAIN = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

/** Answers a mail view request: 401 without the right key, 404 for a message without HTML. */
export function serveMailView(req: IncomingMessage, res: ServerResponse, core: Pick<Core, 'mailView'>, token: string, port: number): void {
  let url: URL;
  let messageId: string;
  try {
    url = new URL(req.url ?? '/', 'http://127.0.0.1');
    messageId = decodeURIComponent(url.pathname.slice(MAIL_VIEW_PATH.length));
  } catch {
    res.writeHead(400, PLAIN).end('Bad path.');
    return;
  }
  if (messageId === '' || messageId.length > 200 || messageId.includes('/')) {
    res.writeHead(404, PLAIN).end('No such message.');
    return;
  }
  const expected = Buffer.from(mailViewKey(token, messageId));
  const offered = Buffer.from(url.searchParams.get('key') ?? '');
  if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
    res.writeHead(401, PLAIN).end('Not allowed.');
    return;
  }
  // Only the app's own page may frame the view.
  const doc = core.mailView(messageId, `http://127.0.0.1:${port} http://localhost:${port}`);
  if (!doc) {
    res.writeHead(404, PLAIN).end('This message has no HTML to show.');
    return;
  }
  res.writeHead(200, mailViewHeaders(doc));
  res.end(req.method === 'HEAD' ? undefined : doc.html);
}
