/**
 * What the preload exposes as `window.switchboard`, built over an injected ipcRenderer so it is
 * tested without Electron. Bundled into the sandboxed preload, so it imports nothing that needs
 * Node: only the command-name list and type declarations.
 */
import { isCommandName } from '../core/api/command-names.ts';
import type { ApiEvent } from '../core/api/events.ts';
import type { PreloadApi } from '../core/api/wire.ts';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.ts';

const log = {
  error: (...args: unknown[]) => console.error('[electron/preload]', ...args),
};

type Reply = Awaited<ReturnType<PreloadApi['invoke']>>;
type IpcListener = (event: unknown, ...args: unknown[]) => void;

/** The slice of Electron's `ipcRenderer` the api uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: IpcListener): unknown;
}

function isReply(value: unknown): value is Reply {
  if (typeof value !== 'object' || value === null) return false;
  const ok: unknown = (value as { ok?: unknown }).ok;
  if (ok === true) return 'result' in value;
  if (ok !== false) return false;
  const error: unknown = (value as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

function isApiEvent(value: unknown): value is ApiEvent {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Builds the frozen `{ invoke, on }` object. Unknown command names are answered here, before IPC;
 * the Electron event object and ipcRenderer itself never reach the page.
 */
export function createPreloadApi(ipcRenderer: IpcRendererLike): PreloadApi {
  const listeners = new Set<(event: ApiEvent) => void>();

  // One IPC subscription for the page's lifetime, fanned out here: no listener-count warnings,
  // and unsubscribing never touches ipcRenderer.
  ipcRenderer.on(EVENT_CHANNEL, (_ipcEvent, payload) => {
    if (!isApiEvent(payload)) return;
    for (const listener of [...listeners]) {
      try {
        listener(payload);
      } catch (err) {
        // One failing listener must not starve the others. The event is not logged: it may hold a body.
        log.error(`a listener threw on ${payload.type}:`, err);
      }
    }
  });

  const api: PreloadApi = {
    async invoke(command, params) {
      // The page may pass anything, whatever the declared type says.
      const name: unknown = command;
      if (!isCommandName(name)) {
        const shown = typeof name === 'string' ? name.slice(0, 100) : typeof name;
        return { ok: false, error: { code: 'bad-request', message: `Unknown command: ${shown}` } };
      }
      try {
        const reply = await ipcRenderer.invoke(INVOKE_CHANNEL, name, params);
        if (isReply(reply)) return reply;
        return { ok: false, error: { code: 'internal', message: 'Malformed reply from the main process.' } };
      } catch {
        // Reached only when IPC itself fails (no handler, uncloneable params); api errors come as replies.
        return { ok: false, error: { code: 'internal', message: 'The call could not reach the main process.' } };
      }
    },
    on(listener) {
      if (typeof listener !== 'function') throw new TypeError('switchboard.on needs a function');
      // Wrapped so the same function subscribed twice gets two independent subscriptions.
      const entry = (event: ApiEvent) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
  return Object.freeze(api);
}
