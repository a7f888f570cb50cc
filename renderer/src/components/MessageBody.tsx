/**
 * The inside of a bubble: the subject (when it starts or changes a thread), the text — or why the
 * message cannot be displayed — its attachments, and the way to the full message.
 */
import type { Message } from '../../../core/api/types.ts';
import { useMessageContentActions } from '../state/messageContent.ts';
import { AttachmentList } from './AttachmentList.tsx';
import { ExpandIcon, WarningIcon } from './mailIcons.tsx';

interface MessageBodyProps {
  message: Message;
  showSubject: boolean;
}

export function MessageBody({ message: m, showSubject }: MessageBodyProps) {
  const actions = useMessageContentActions();
  return (
    <>
      {showSubject && m.subject && <div className="message-subject">{m.subject}</div>}
      {m.problem !== null ? (
        <div className="message-problem" role="note">
          <WarningIcon className="message-problem-icon" />
          <div>
            <div className="message-problem-title">Could not display this message</div>
            <div className="message-problem-reason">{m.problem}</div>
          </div>
        </div>
      ) : (
        <div className="message-text">{m.text}</div>
      )}
      <AttachmentList attachments={m.attachments} onSave={(a) => actions.saveAttachment(m, a)} />
      {m.hasOriginal && (
        <button type="button" className="message-original-link" onClick={() => actions.openOriginal(m)}>
          <ExpandIcon />
          Show full message
        </button>
      )}
    </>
  );
}
