/** The message field: Enter sends, Shift+Enter adds a line; the padlock shows the next route. */
import { useRef, useState, type Dispatch, type FormEvent, type KeyboardEvent, type SetStateAction } from 'react';
import type { Rating } from '../../../core/api/types.ts';
import { SendIcon } from './icons.tsx';
import { PadlockButton } from './Padlock.tsx';

interface ComposerProps {
  /** The rating of the route the next message takes (the conversation's). */
  rating: Rating;
  placeholder: string;
  /** Sends; resolves false when the text should come back (failed or cancelled). */
  onSend: (text: string) => Promise<boolean>;
  draft: string;
  onDraftChange: Dispatch<SetStateAction<string>>;
  /** Why the user cannot write here yet (a message request not accepted); null when they can. */
  disabledReason?: string | null;
}

export function Composer({ rating, placeholder, onSend, draft, onDraftChange, disabledReason = null }: ComposerProps) {
  const [sending, setSending] = useState(false);
  const fieldRef = useRef<HTMLTextAreaElement>(null);
  const canSend = draft.trim().length > 0 && !sending && disabledReason === null;

  const send = async () => {
    if (!canSend) return;
    const text = draft;
    setSending(true);
    // Clear at once so typing the next message never waits for core.
    onDraftChange('');
    const done = await onSend(text);
    setSending(false);
    // Bring the text back, unless the user has started another message meanwhile.
    if (!done) onDraftChange((current) => current || text);
    fieldRef.current?.focus();
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <div className="composer-padlock">
        <PadlockButton rating={rating} />
      </div>
      <textarea
        ref={fieldRef}
        className="composer-field"
        aria-label="Message"
        placeholder={disabledReason ?? placeholder}
        disabled={disabledReason !== null}
        rows={1}
        value={draft}
        onChange={(e) => onDraftChange(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="send-button" aria-label="Send" title="Send (Enter)" disabled={!canSend}>
        <SendIcon />
      </button>
    </form>
  );
}
