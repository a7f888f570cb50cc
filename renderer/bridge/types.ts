/** The one interface the UI talks through; `ipc.ts` and `websocket.ts` implement it. */
import type {
  ApiErrorShape,
  CommandName,
  CommandParams,
  CommandResults,
} from '../../core/api/commands.ts';
import type { ApiEvent } from '../../core/api/events.ts';

export type { ApiEvent, CommandName, CommandParams, CommandResults };

/** Where the link to core stands. */
export interface ConnectionStatus {
  state: 'connecting' | 'open' | 'reconnecting';
  /** Failed attempts since the link was last open. */
  failedAttempts: number;
  /** How many times the link came back after a drop; views reload their data when it grows. */
  reconnects: number;
}

export interface Bridge {
  call<C extends CommandName>(command: C, params: CommandParams[C]): Promise<CommandResults[C]>;
  /** Subscribes to every api event; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  onConnectionChange: (listener: () => void) => () => void;
  /** The current status; the same object until it changes (for useSyncExternalStore). */
  connectionStatus: () => ConnectionStatus;
  /**
   * The URL of a message's isolated HTML view, to put in a sandboxed <iframe>. A new `revision`
   * gives a new URL, so the frame loads again (after the user allowed remote content).
   */
  mailViewUrl: (messageId: string, revision: number) => Promise<string>;
}

/** Api codes plus `disconnected`: the link dropped after the call was sent, its outcome is unknown. */
export type ApiCallErrorCode = ApiErrorShape['code'] | 'disconnected';

/** A failed call, with core's error code and message. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly code: ApiCallErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Rejects with a `timeout` ApiCallError if `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, command: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ApiCallError('timeout', `${command} got no answer within ${ms / 1000} s`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
