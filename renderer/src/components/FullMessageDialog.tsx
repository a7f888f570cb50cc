/**
 * "Show full message": the mail as received — From, Date, Subject, and the original text or the
 * HTML in a sandboxed frame served from its own URL with its own policy (no script, no network
 * until the user allows remote images for this message or its sender), plus its attachments.
 */
import { useEffect, useState } from 'react';
import type { Message, MessageOriginal } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { fullDateTime } from '../format/time.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useNotify } from '../state/notify.tsx';
import { useSaveAttachment } from '../state/saveAttachment.ts';
import { AttachmentList } from './AttachmentList.tsx';
import { Dialog } from './Dialog.tsx';
import { ImageOffIcon } from './mailIcons.tsx';

interface FullMessageDialogProps {
  message: Message;
  onClose: () => void;
}

export function FullMessageDialog({ message, onClose }: FullMessageDialogProps) {
  const bridge = useBridge();
  const notify = useNotify();
  const save = useSaveAttachment();
  const [original, setOriginal] = useState<MessageOriginal | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Bumped after remote content is allowed: a new URL, so the frame loads the view again.
  const [revision, setRevision] = useState(0);
  const [viewUrl, setViewUrl] = useState<string | null>(null);
  const [plain, setPlain] = useState(false);
  const [allowing, setAllowing] = useState(false);

  useEffect(() => {
    let live = true;
    bridge.call('messages.original', { messageId: message.id }).then(
      (o) => live && setOriginal(o),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [bridge, message.id]);

  const hasHtml = original?.hasHtml ?? false;
  useEffect(() => {
    if (!hasHtml) return;
    let live = true;
    bridge.mailViewUrl(message.id, revision).then(
      (url) => live && setViewUrl(url),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [bridge, message.id, revision, hasHtml]);

  const allow = (scope: 'message' | 'sender') => {
    setAllowing(true);
    bridge
      .call('messages.allowRemoteContent', { messageId: message.id, scope })
      .then(
        (o) => {
          setOriginal(o);
          setRevision((r) => r + 1);
        },
        (e: unknown) => notify(`Couldn't load remote images: ${describeError(e)}`),
      )
      .finally(() => setAllowing(false));
  };

  const subject = original?.subject ?? message.subject;
  const from = original?.from ?? { name: message.senderName, address: null };
  const showHtml = hasHtml && !plain;

  return (
    <Dialog label="Full message" onClose={onClose} dismissible className="full-message">
      <header className="full-message-head">
        <h2 className="full-message-subject">{subject ?? 'No subject'}</h2>
        <dl className="full-message-fields">
          <dt>From</dt>
          <dd>
            {from.name}
            {from.address !== null && from.address !== from.name && <span className="full-message-address"> &lt;{from.address}&gt;</span>}
          </dd>
          <dt>Date</dt>
          <dd>
            <time dateTime={new Date(message.sentAt).toISOString()}>{fullDateTime(message.sentAt)}</time>
          </dd>
        </dl>
      </header>
      {error !== null && (
        <p className="full-message-note" role="alert">
          Couldn't load the full message: {error}
        </p>
      )}
      {original === null && error === null && (
        <p className="full-message-note" role="status">
          Loading the full message…
        </p>
      )}
      {original !== null && (
        <>
          {showHtml && original.remoteContent === 'blocked' && (
            <div className="remote-bar" role="group" aria-label="Remote images">
              <ImageOffIcon className="remote-bar-icon" />
              <p className="remote-bar-text">Remote images are blocked to protect your privacy.</p>
              <div className="remote-bar-actions">
                <button type="button" className="button button-small" disabled={allowing} onClick={() => allow('message')}>
                  Load for this message
                </button>
                {original.canAllowSender && original.from.address !== null && (
                  <button type="button" className="button button-small" disabled={allowing} onClick={() => allow('sender')}>
                    Always for {original.from.address}
                  </button>
                )}
              </div>
            </div>
          )}
          <div className="full-message-content">
            {showHtml ? (
              viewUrl !== null && (
                <iframe
                  className="full-message-frame"
                  title="Message content"
                  src={viewUrl}
                  sandbox="allow-popups allow-popups-to-escape-sandbox"
                  referrerPolicy="no-referrer"
                />
              )
            ) : (
              <div className="full-message-text" role="region" aria-label="Message text" tabIndex={0}>
                {original.text}
              </div>
            )}
          </div>
          {original.attachments.length > 0 && (
            <AttachmentList attachments={original.attachments} onSave={(a) => save(message, a)} />
          )}
          {hasHtml && (
            <div className="full-message-foot">
              <button type="button" className="text-button" onClick={() => setPlain((p) => !p)}>
                {plain ? 'Show formatted version' : 'Show plain text'}
              </button>
            </div>
          )}
        </>
      )}
    </Dialog>
  );
}
