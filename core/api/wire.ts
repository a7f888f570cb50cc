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
 * What the Electron preload puts on `window.switchboard`. `invoke` resolves to a reply envelope
 * (never rejects for api errors) so error codes survive IPC, which flattens thrown errors.
 */
export interface PreloadApi {
  invoke(command: CommandName, params: unknown): Promise<
    { ok: true; result: unknown } | { ok: false; error: ApiErrorShape }
  >;
  on(listener: (event: ApiEvent) => void): () => void;
}
