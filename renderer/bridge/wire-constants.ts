/**
 * Runtime constants of core/api, copied because the renderer imports core/api as types only.
 * Each copy is typed as the original's literal type, so tsc fails if the two drift apart.
 */
import type * as Commands from '../../core/api/commands.ts';
import type * as CommandNames from '../../core/api/command-names.ts';
import type * as Wire from '../../core/api/wire.ts';

/** See TOKEN_PROTOCOL_PREFIX in core/api/wire.ts. */
export const TOKEN_PROTOCOL_PREFIX: typeof Wire.TOKEN_PROTOCOL_PREFIX = 'switchboard.token.';
/** See API_PATH in core/api/wire.ts. */
export const API_PATH: typeof Wire.API_PATH = '/api';
/** See MAIL_VIEW_PATH, MAIL_VIEW_KEY_LABEL and MAIL_VIEW_ORIGIN in core/api/wire.ts. */
export const MAIL_VIEW_PATH: typeof Wire.MAIL_VIEW_PATH = '/mail-view/';
export const MAIL_VIEW_KEY_LABEL: typeof Wire.MAIL_VIEW_KEY_LABEL = 'switchboard mail-view ';
export const MAIL_VIEW_ORIGIN: typeof Wire.MAIL_VIEW_ORIGIN = 'switchboard-mail://view';
/** See CALL_TIMEOUT_MS in core/api/commands.ts. */
export const CALL_TIMEOUT_MS: typeof Commands.CALL_TIMEOUT_MS = 15_000;
/** See SLOW_CALL_TIMEOUT_MS in core/api/commands.ts. */
export const SLOW_CALL_TIMEOUT_MS: typeof Commands.SLOW_CALL_TIMEOUT_MS = 45_000;
/** See SLOW_COMMANDS in core/api/command-names.ts. */
export const SLOW_COMMANDS: typeof CommandNames.SLOW_COMMANDS = [
  'accounts.add',
  'accounts.update',
  'accounts.discover',
  'messages.attachment',
  'conversations.upgrade',
  'invitations.respond',
  'groups.create',
  'groups.join',
  'groups.setNickname',
];

/** How long the renderer waits for a command's answer: longer for those that wait for a remote server. */
export function callTimeoutFor(command: string): number {
  return (SLOW_COMMANDS as readonly string[]).includes(command) ? SLOW_CALL_TIMEOUT_MS : CALL_TIMEOUT_MS;
}
