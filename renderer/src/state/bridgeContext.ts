/** Hands the bridge down the tree, so no view reaches for a global. */
import { createContext, useContext, useEffect, useEffectEvent, useSyncExternalStore } from 'react';
import type { ApiEvent, Bridge, ConnectionStatus } from '../../bridge/index.ts';

export const BridgeContext = createContext<Bridge | null>(null);

export function useBridge(): Bridge {
  const bridge = useContext(BridgeContext);
  if (!bridge) throw new Error('useBridge outside <BridgeContext>');
  return bridge;
}

/** Calls `handler` for every api event while the component is mounted. */
export function useApiEvent(handler: (event: ApiEvent) => void): void {
  const bridge = useBridge();
  const onEvent = useEffectEvent(handler);
  useEffect(() => bridge.onEvent((event) => onEvent(event)), [bridge]);
}

export function useConnectionStatus(): ConnectionStatus {
  const bridge = useBridge();
  return useSyncExternalStore(bridge.onConnectionChange, bridge.connectionStatus);
}

/**
 * Grows each time the link comes back after a drop. Loaders list it as an effect dependency:
 * events sent while we were away are lost, so they reload.
 */
export function useResyncEpoch(): number {
  return useConnectionStatus().reconnects;
}
