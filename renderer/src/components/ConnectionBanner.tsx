/** Says so when the link to core is down; the bridge keeps retrying with backoff. */
import { useConnectionStatus } from '../state/bridgeContext.ts';

/** After this many failed attempts, the host has probably restarted with a new token. */
const HINT_AFTER = 4;

export function ConnectionBanner() {
  const status = useConnectionStatus();
  const down = status.state === 'reconnecting';
  // The live region stays mounted so screen readers announce the text when it appears.
  return (
    <div className={down ? 'banner' : 'banner-idle'} role="status">
      {down && (
        <>
          <span className="banner-spinner" aria-hidden="true" />
          <span>Reconnecting…</span>
          {status.failedAttempts >= HINT_AFTER && (
            <span className="banner-hint">
              If you restarted <code>npm run web</code>, open the new link it printed.
            </span>
          )}
        </>
      )}
    </div>
  );
}
