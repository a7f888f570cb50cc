/** First start: no accounts yet. */
import { AddAccountForm } from '../components/AddAccountForm.tsx';
import { LockGlyph } from '../components/icons.tsx';

export function WelcomeView() {
  return (
    <main className="welcome" aria-labelledby="welcome-title">
      <div className="welcome-card">
        <div className="welcome-locks" aria-hidden="true">
          <LockGlyph colour="green" className="padlock-green" />
          <LockGlyph colour="grey" className="padlock-grey" />
          <LockGlyph colour="red" className="padlock-red" />
        </div>
        <h1 id="welcome-title">Welcome to Switchboard — add an account to start</h1>
        <p className="welcome-text">
          One inbox for Email, XMPP, Matrix and Switchboard’s own encrypted chat. Every conversation shows an honest padlock:
          green when only you and the people you write to can read it, grey when it is end-to-end encrypted but with weaker protection, red when a server can read it.
        </p>
        <AddAccountForm />
      </div>
    </main>
  );
}
