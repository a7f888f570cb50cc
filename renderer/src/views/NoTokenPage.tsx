/** Web mode without an access token: explain where the link comes from. */
import { LockGlyph } from '../components/icons.tsx';

export function NoTokenPage() {
  return (
    <main className="no-token" aria-labelledby="no-token-title">
      <div className="welcome-card">
        <div className="welcome-locks" aria-hidden="true">
          <LockGlyph colour="grey" className="padlock-grey" />
        </div>
        <h1 id="no-token-title">Switchboard needs its access link</h1>
        <p className="welcome-text">
          Open the link printed by <code>npm run web</code> (it carries the access token).
        </p>
      </div>
    </main>
  );
}
