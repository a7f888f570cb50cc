/**
 * The web-mode transport: one WebSocket to core/host carrying call, reply and event frames
 * (core/api/wire.ts). The token travels as a subprotocol so it never appears in a URL or a log.
 * The socket reconnects with backoff; calls made meanwhile wait (up to the call timeout).
 */
import type { CallFrame } from '../../core/api/wire.ts';
import { parseServerFrame } from './frames.ts';
import { webMailViewUrl } from './mail-view.ts';
import {
  ApiCallError,
  type ApiEvent,
  type Bridge,
  type CommandName,
  type CommandParams,
  type CommandResults,
  type ConnectionStatus,
} from './types.ts';
import { API_PATH, callTimeoutFor, TOKEN_PROTOCOL_PREFIX } from './wire-constants.ts';

interface PendingCall {
  frame: CallFrame;
  sent: boolean;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_BACKOFF_MS = 15_000;

/** `ws(s)://<host>/api` for the page's own origin. */
export function apiSocketUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API_PATH}`;
}

export function createWebSocketBridge(url: string, token: string): Bridge {
  const eventListeners = new Set<(event: ApiEvent) => void>();
  const statusListeners = new Set<() => void>();
  const pending = new Map<number, PendingCall>();
  let socket: WebSocket | null = null;
  let nextId = 1;
  let opens = 0;
  let status: ConnectionStatus = { state: 'connecting', failedAttempts: 0, reconnects: 0 };
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function setStatus(next: ConnectionStatus): void {
    status = next;
    for (const listener of statusListeners) listener();
  }

  function transmit(call: PendingCall): void {
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify(call.frame));
    call.sent = true;
  }

  function settle(id: number): PendingCall | undefined {
    const call = pending.get(id);
    if (call) {
      clearTimeout(call.timer);
      pending.delete(id);
    }
    return call;
  }

  function onMessage(text: string): void {
    const frame = parseServerFrame(text);
    if (!frame) {
      console.error('switchboard bridge: ignored a malformed frame from core');
      return;
    }
    if (frame.kind === 'event') {
      for (const listener of eventListeners) {
        try {
          listener(frame.event);
        } catch (error) {
          // One broken view must not starve the others of events.
          console.error('switchboard bridge: event listener failed', error);
        }
      }
      return;
    }
    const call = settle(frame.id);
    if (!call) return;
    if (frame.ok) call.resolve(frame.result);
    else call.reject(new ApiCallError(frame.error.code, frame.error.message));
  }

  function connect(): void {
    retryTimer = undefined;
    const ws = new WebSocket(url, [TOKEN_PROTOCOL_PREFIX + token]);
    socket = ws;
    ws.addEventListener('open', () => {
      opens += 1;
      setStatus({ state: 'open', failedAttempts: 0, reconnects: Math.max(0, opens - 1) });
      for (const call of pending.values()) if (!call.sent) transmit(call);
    });
    ws.addEventListener('message', (message) => {
      if (typeof message.data === 'string') onMessage(message.data);
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      // A call already on the wire may or may not have run; say so rather than guess.
      for (const [id, call] of pending) {
        if (!call.sent) continue;
        settle(id);
        call.reject(new ApiCallError('disconnected', 'The connection to Switchboard dropped'));
      }
      const failedAttempts = status.state === 'open' ? 0 : status.failedAttempts + 1;
      setStatus({ state: 'reconnecting', failedAttempts, reconnects: status.reconnects });
      scheduleReconnect(failedAttempts);
    });
  }

  function scheduleReconnect(failedAttempts: number): void {
    const base = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failedAttempts, 6));
    // Jitter, so many tabs do not hammer a restarted host in step.
    retryTimer = setTimeout(connect, base * (0.75 + Math.random() * 0.5));
  }

  // Coming back online or to the tab is a good moment to try at once.
  const retryNow = (): void => {
    if (retryTimer === undefined) return;
    clearTimeout(retryTimer);
    connect();
  };
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') retryNow();
  });

  connect();

  return {
    call<C extends CommandName>(command: C, params: CommandParams[C]): Promise<CommandResults[C]> {
      return new Promise<CommandResults[C]>((resolve, reject) => {
        const id = nextId++;
        const timeoutMs = callTimeoutFor(command);
        const call: PendingCall = {
          frame: { kind: 'call', id, command, params },
          sent: false,
          // Core validated and produced this result for exactly this command.
          resolve: (result) => resolve(result as CommandResults[C]),
          reject,
          timer: setTimeout(() => {
            settle(id);
            reject(new ApiCallError('timeout', `${command} got no answer within ${timeoutMs / 1000} s`));
          }, timeoutMs),
        };
        pending.set(id, call);
        transmit(call);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnectionChange(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    connectionStatus: () => status,
    mailViewUrl: (messageId, revision) => webMailViewUrl(url, token, messageId, revision),
  };
}
