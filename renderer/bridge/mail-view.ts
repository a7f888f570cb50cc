/**
 * Where the isolated HTML mail view of a message lives, per transport. The view is served with a
 * sandboxing policy of its own (core/content/mail-html.ts); the UI only ever frames this URL.
 */
import { MAIL_VIEW_KEY_LABEL, MAIL_VIEW_ORIGIN, MAIL_VIEW_PATH } from './wire-constants.ts';

/** Electron: the app's own scheme. `revision` changes the URL so the frame reloads (after allowing remote content). */
export function electronMailViewUrl(messageId: string, revision: number): string {
  return `${MAIL_VIEW_ORIGIN}/${encodeURIComponent(messageId)}?r=${revision}`;
}

function base64url(bytes: ArrayBuffer): string {
  let binary = '';
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The key that opens one message's view: HMAC-SHA256(token, label + id), as core/host/mail-view.ts checks it. */
async function mailViewKey(token: string, messageId: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(token), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64url(await crypto.subtle.sign('HMAC', key, encoder.encode(MAIL_VIEW_KEY_LABEL + messageId)));
}

/** Web mode: the host's `/mail-view/<id>?key=…` next to the api socket `apiUrl` (ws(s)://host/api). */
export async function webMailViewUrl(apiUrl: string, token: string, messageId: string, revision: number): Promise<string> {
  const api = new URL(apiUrl);
  const origin = `${api.protocol === 'wss:' ? 'https:' : 'http:'}//${api.host}`;
  return `${origin}${MAIL_VIEW_PATH}${encodeURIComponent(messageId)}?key=${await mailViewKey(token, messageId)}&r=${revision}`;
}
