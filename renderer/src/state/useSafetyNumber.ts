/** One identity's safety number, re-read when its contact changes (a new key, a verification). */
import { useCallback, useEffect, useState } from 'react';
import type { SafetyNumberView } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';

export type SafetyNumberState =
  | { kind: 'loading' }
  | { kind: 'failed'; reason: string }
  | { kind: 'ready'; view: SafetyNumberView };

export interface SafetyNumber {
  state: SafetyNumberState;
  setVerified: (verified: boolean) => Promise<void>;
  acknowledgeChange: () => Promise<void>;
}

export function useSafetyNumber(identityId: string, contactId: string): SafetyNumber {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [state, setState] = useState<SafetyNumberState>({ kind: 'loading' });
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    bridge.call('safety.get', { identityId }).then(
      (view) => live && setState({ kind: 'ready', view }),
      (error: unknown) => live && setState({ kind: 'failed', reason: describeError(error) }),
    );
    return () => {
      live = false;
    };
  }, [bridge, identityId, epoch, version]);

  useApiEvent((event) => {
    if (event.type === 'contact.updated' && event.contactId === contactId) setVersion((v) => v + 1);
  });

  const setVerified = useCallback(
    async (verified: boolean) => {
      const view = await bridge.call('safety.setVerified', { identityId, verified });
      setState({ kind: 'ready', view });
    },
    [bridge, identityId],
  );

  const acknowledgeChange = useCallback(async () => {
    const view = await bridge.call('safety.acknowledgeChange', { identityId });
    setState({ kind: 'ready', view });
  }, [bridge, identityId]);

  return { state, setVerified, acknowledgeChange };
}
