/**
 * The IPC bridge in the main process: one invoke channel for commands, one event channel for
 * core's events. Electron objects come in as parameters, so the logic is tested with fakes.
 */
import type { IpcMain } from 'electron';
import type { Core } from '../core/index.ts';
import { ApiError, type ApiErrorShape } from '../core/api/commands.ts';
import { isCommandName, type CommandName } from '../core/api/command-names.ts';
import type { ApiEvent } from '../core/api/events.ts';
import type { PreloadApi } from '../core/api/wire.ts';
import { createLogger } from '../core/log/logger.ts';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.ts';
import { isTrustedSender } from './policy.ts';

const log = createLogger('electron/ipc');

/** The reply envelope `window.switchboard.invoke` resolves to. */
export type InvokeReply = Awaited<ReturnType<PreloadApi['invoke']>>;

/** The parts of an `IpcMainInvokeEvent` the sender check reads. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The slice of `Core` the invoke handler needs; the result type does not matter to IPC. */
export interface CommandRunner {
  call(command: CommandName, params: unknown): Promise<unknown>;
}

/** Decides whether an invoke event comes from our own renderer. */
export type SenderCheck = (event: InvokeEventLike) => boolean;

const fail = (code: ApiErrorShape['code'], message: string): InvokeReply => ({ ok: false, error: { code, message } });

/** Names an unknown thrown value for the log without printing its contents (it may hold user data). */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `non-Error thrown (${typeof err})`;
}

/**
 * The sender check for the main window: the event must come from that window's webContents, from
 * its top frame (a subframe such as a mail view never gets the api), showing our index page.
 */
export function trustedSenderCheck(mainContentsId: () => number | undefined, indexUrl: string): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    return (
      event.sender.id === mainContentsId() &&
      frame !== null &&
      frame.parent === null &&
      isTrustedSender(frame.url, indexUrl)
    );
  };
}

/**
 * The `switchboard:invoke` handler: checks the sender and the command name, runs the command, and
 * always resolves to an envelope so the ApiError code survives IPC (which flattens thrown errors).
 */
export function makeInvokeHandler(core: CommandRunner, isTrusted: SenderCheck) {
  return async (event: InvokeEventLike, command: unknown, params: unknown): Promise<InvokeReply> => {
    if (!isTrusted(event)) {
      log.warn('refused a call from an untrusted sender', { url: event.senderFrame?.url ?? null, contentsId: event.sender.id });
      return fail('unauthorized', 'This page may not call Switchboard.');
    }
    if (!isCommandName(command)) {
      return fail('bad-request', `Unknown command: ${typeof command === 'string' ? command.slice(0, 100) : typeof command}`);
    }
    try {
      const result = await core.call(command, params);
      return { ok: true, result };
    } catch (err) {
      if (err instanceof ApiError) return fail(err.code, err.message);
      // Params are never logged: they may carry a message being sent.
      log.error('command failed', { command, error: describeError(err) });
      return fail('internal', 'Something went wrong inside Switchboard. The details are in the log.');
    }
  };
}

/** Registers the invoke handler; returns a function that removes it. */
export function registerInvokeHandler(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  core: CommandRunner,
  isTrusted: SenderCheck,
): () => void {
  ipcMain.handle(INVOKE_CHANNEL, makeInvokeHandler(core, isTrusted));
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}

/** Where events go: the main window's webContents, while it exists. */
export interface EventSink {
  isDestroyed(): boolean;
  send(channel: string, event: ApiEvent): void;
}

/** Forwards every core event to the current window; returns the unsubscribe. */
export function forwardEvents(core: Pick<Core, 'onEvent'>, target: () => EventSink | null): () => void {
  return core.onEvent((event) => {
    const contents = target();
    if (contents === null || contents.isDestroyed()) return;
    try {
      contents.send(EVENT_CHANNEL, event);
    } catch (err) {
      // Only the type: the event itself may hold a message body.
      log.error('could not forward an event', { type: event.type, error: describeError(err) });
    }
  });
}
