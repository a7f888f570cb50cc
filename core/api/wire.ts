/** Frames on the WebSocket transport (web mode). IPC carries the same shapes. */
import type { ApiErrorShape, CommandName } from './commands.ts';
import type { ApiEvent } from './events.ts';

export interface CallFrame {
  kind: 'call';
  id: number;
  command: CommandName;
  params: unknown;
}

export type ReplyFrame =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: ApiErrorShape };

export interface EventFrame {
  kind: 'event';
  event: ApiEvent;
}

export type ServerFrame = ReplyFrame | EventFrame;

/** The WebSocket subprotocol prefix carrying the token (never in a URL, so never in a log). */
export const TOKEN_PROTOCOL_PREFIX = 'switchboard.token.';
export const API_PATH = '/api';

/**
 * Web mode serves a message's HTML at `MAIL_VIEW_PATH + <messageId>?key=<key>`, in a frame of its
 * own origin-less sandbox. The key is HMAC-SHA256(token, MAIL_VIEW_KEY_LABEL + messageId) in
 * base64url: it proves the token without putting it in a URL, and opens that one message only.
 */
export const MAIL_VIEW_PATH = '/mail-view/';
export const MAIL_VIEW_KEY_LABEL = 'switchboard mail-view ';
/** Electron serves it from a scheme of its own: `MAIL_VIEW_ORIGIN/<messageId>`. */
export const MAIL_VIEW_SCHEME = 'switchboard-mail';
export const MAIL_VIEW_ORIGIN = 'switchboard-mail://view';

/**
 * What the Electron preload puts on `window.switchboard`. `invoke` resolves to a reply envelope
 * (never rejects for api errors) so error codes survive IPC, which flattens thrown errors.
 */
export interface PreloadApi {
  invoke(command: CommandName, params: unknown): Promise<
    { ok: true; result: unknown } | { ok: false; error: ApiErrorShape }
  >;
  on(listener: (event: ApiEvent) => void): () => void;
}
