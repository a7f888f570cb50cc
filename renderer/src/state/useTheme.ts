/**
 * Applies the theme setting. `system` leaves the root without `data-theme`, and CSS follows
 * prefers-color-scheme by itself; `light`/`dark` pin it.
 */
import { useEffect } from 'react';
import type { Settings } from '../../../core/api/types.ts';

export function useTheme(theme: Settings['theme'] | undefined): void {
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
    else delete root.dataset.theme;
  }, [theme]);
}
