/**
 * A message request: someone the user has not accepted wrote first. Nothing tells them their
 * messages were read until the user accepts; Delete removes the conversation (after asking).
 */
import { useState } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';
import { Dialog } from './Dialog.tsx';

interface RequestBarProps {
  conversation: ConversationSummary;
  onAccepted: (conversation: ConversationSummary) => void;
  onDeleted: () => void;
}

export function RequestBar({ conversation, onAccepted, onDeleted }: RequestBarProps) {
  const bridge = useBridge();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const name = conversation.title;

  const accept = () => {
    setBusy(true);
    bridge.call('conversations.acceptRequest', { conversationId: conversation.id }).then(
      (accepted) => {
        setBusy(false);
        onAccepted(accepted);
      },
      (error: unknown) => {
        setBusy(false);
        notify(`Couldn't accept the request: ${describeError(error)}`);
      },
    );
  };

  const remove = () => {
    setConfirming(false);
    setBusy(true);
    bridge.call('conversations.delete', { conversationId: conversation.id }).then(onDeleted, (error: unknown) => {
      setBusy(false);
      notify(`Couldn't delete the request: ${describeError(error)}`);
    });
  };

  return (
    <section className="request-bar" aria-label="Message request">
      <p className="request-text">
        <strong>{name}</strong> wants to message you. They can't see that you've read their messages until you accept.
      </p>
      <div className="request-actions">
        <button type="button" className="button button-danger" disabled={busy} onClick={() => setConfirming(true)}>
          Delete
        </button>
        <button type="button" className="button button-primary" disabled={busy} onClick={accept}>
          Accept
        </button>
      </div>
      {confirming && (
        <Dialog label="Delete request" onClose={() => setConfirming(false)}>
          <h2 className="dialog-title">Delete this request?</h2>
          <p className="dialog-text">The conversation with {name} and its messages will be deleted from Switchboard.</p>
          <div className="dialog-actions">
            <button type="button" className="button" data-autofocus onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" className="button button-danger" onClick={remove}>
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
