/**
 * Accepts of the user's invites that came in too fast (a link posted somewhere public): held for
 * review, re-read on `quarantine.changed`.
 */
import { useCallback, useEffect, useState } from 'react';
import type { QuarantineEntry } from '../../../core/api/types.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';

export interface QuarantineState {
  entries: QuarantineEntry[];
  /** Accepts or rejects exactly these entries (never ones that arrived after the user looked). */
  decide: (entries: readonly QuarantineEntry[], accept: boolean) => Promise<void>;
}

export function useQuarantine(): QuarantineState {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [entries, setEntries] = useState<QuarantineEntry[]>([]);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    bridge.call('quarantine.list', {}).then(
      (list) => live && setEntries([...list].sort((a, b) => a.arrivedAt - b.arrivedAt)),
      // Nothing to show is the safe reading: held accepts stay held until reviewed.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [bridge, epoch, version]);

  useApiEvent((event) => {
    if (event.type === 'quarantine.changed') setVersion((v) => v + 1);
  });

  const decide = useCallback(
    async (chosen: readonly QuarantineEntry[], accept: boolean) => {
      const byAccount = new Map<string, string[]>();
      for (const entry of chosen) byAccount.set(entry.accountId, [...(byAccount.get(entry.accountId) ?? []), entry.id]);
      for (const [accountId, ids] of byAccount) await bridge.call('quarantine.decide', { accountId, ids, accept });
      const done = new Set(chosen.map((e) => e.id));
      setEntries((list) => list.filter((e) => !done.has(e.id)));
    },
    [bridge],
  );

  return { entries, decide };
}
