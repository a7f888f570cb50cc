/** The calm placeholder when no conversation is open. */
import { ChatIcon } from '../components/icons.tsx';

export function NoConversationView() {
  return (
    <main className="placeholder" aria-label="No conversation selected">
      <ChatIcon className="placeholder-icon" />
      <h1 className="placeholder-title">No conversation selected</h1>
      <p className="placeholder-text">Pick a conversation on the left, or search with Ctrl+K.</p>
    </main>
  );
}
