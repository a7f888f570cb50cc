/** Picks the transport: the Electron preload when present, else the web-mode WebSocket. */
import type { PreloadApi } from '../../core/api/wire.ts';
import { createIpcBridge } from './ipc.ts';
import { takeAccessToken } from './token.ts';
import type { Bridge } from './types.ts';
import { apiSocketUrl, createWebSocketBridge } from './websocket.ts';

export { ApiCallError } from './types.ts';
export type { ApiEvent, Bridge, ConnectionStatus } from './types.ts';

export type BridgeChoice = { kind: 'ready'; bridge: Bridge } | { kind: 'no-token' };

export function chooseBridge(): BridgeChoice {
  // The preload object is the one global we read: contextBridge can hand it over no other way.
  const preload = (window as Window & { switchboard?: PreloadApi }).switchboard;
  if (preload) return { kind: 'ready', bridge: createIpcBridge(preload) };
  const token = takeAccessToken();
  if (!token) return { kind: 'no-token' };
  return { kind: 'ready', bridge: createWebSocketBridge(apiSocketUrl(location), token) };
}
