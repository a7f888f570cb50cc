/** Whether the user is looking at this window: focused and visible (read receipts depend on it). */
import { useSyncExternalStore } from 'react';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('focus', onChange);
  window.addEventListener('blur', onChange);
  document.addEventListener('visibilitychange', onChange);
  return () => {
    window.removeEventListener('focus', onChange);
    window.removeEventListener('blur', onChange);
    document.removeEventListener('visibilitychange', onChange);
  };
}

const isFocused = (): boolean => document.visibilityState === 'visible' && document.hasFocus();

export function useWindowFocus(): boolean {
  return useSyncExternalStore(subscribe, isFocused);
}
