/**
 * The web-mode access token: `npm run web` prints a link with `#token=…`. We keep it in
 * sessionStorage so a reload works, and strip the fragment so it is not shown or bookmarked.
 */
const STORAGE_KEY = 'switchboard.token';

export function takeAccessToken(): string | null {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    try {
      sessionStorage.setItem(STORAGE_KEY, fromHash);
    } catch {
      // Storage can be disabled; the token still works for this page load.
    }
    history.replaceState(history.state, '', location.pathname + location.search);
    return fromHash;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
