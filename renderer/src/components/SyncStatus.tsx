/** Under the search box while an account syncs ("Syncing ada@example.org: 1,200 of 10,000"), so a first sync shows its progress. */
import { useAccounts } from '../state/accounts.tsx';

export function SyncStatus() {
  const { accounts } = useAccounts();
  const syncing = (accounts ?? []).filter((a) => a.sync && a.sync.total > 0);
  // The live region stays mounted so screen readers announce the text when it appears.
  return (
    <div className={syncing.length > 0 ? 'sync-status' : 'banner-idle'} role="status" aria-label="Sync progress">
      {syncing.map((a) => (
        <div key={a.id} className="sync-status-line">
          <span>
            Syncing {a.address}: {a.sync!.done.toLocaleString()} of {a.sync!.total.toLocaleString()}
          </span>
          <progress max={a.sync!.total} value={a.sync!.done} aria-label={`Sync progress of ${a.address}`} />
        </div>
      ))}
    </div>
  );
}
