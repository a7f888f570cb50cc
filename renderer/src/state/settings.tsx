/** The user's settings, loaded once, kept current by `settings.changed`, shared by context. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Settings } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { useNotify } from './notify.tsx';

interface SettingsState {
  /** null until loaded. */
  settings: Settings | null;
  update: (patch: Partial<Settings>) => void;
}

const SettingsContext = createContext<SettingsState>({ settings: null, update: () => undefined });

export function useSettings(): SettingsState {
  return useContext(SettingsContext);
}

/** The padlock style, `explain` until settings load (the default). */
export function usePadlockStyle(): Settings['padlockStyle'] {
  return useSettings().settings?.padlockStyle ?? 'explain';
}

export function SettingsProvider({ children }: { children: ReactNode }) {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const notify = useNotify();
  const [settings, setSettings] = useState<Settings | null>(null);

  useEffect(() => {
    let live = true;
    bridge.call('settings.get', {}).then(
      (loaded) => live && setSettings(loaded),
      (error: unknown) => live && notify(`Couldn't load settings: ${describeError(error)}`),
    );
    return () => {
      live = false;
    };
  }, [bridge, epoch, notify]);

  useApiEvent((event) => {
    if (event.type === 'settings.changed') setSettings(event.settings);
  });

  const update = useCallback(
    (patch: Partial<Settings>) => {
      // Optimistic: a toggle should answer at once; core's reply (or event) settles it.
      setSettings((current) => (current ? { ...current, ...patch } : current));
      bridge.call('settings.set', patch).then(setSettings, (error: unknown) => {
        notify(`Couldn't save settings: ${describeError(error)}`);
        bridge.call('settings.get', {}).then(setSettings, () => undefined);
      });
    },
    [bridge, notify],
  );

  const value = useMemo(() => ({ settings, update }), [settings, update]);
  return <SettingsContext value={value}>{children}</SettingsContext>;
}
