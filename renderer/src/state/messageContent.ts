/** What a message bubble can do with mail content, provided by the conversation that shows it. */
import { createContext, useContext } from 'react';
import type { AttachmentInfo, Message } from '../../../core/api/types.ts';

export interface MessageContentActions {
  /** Opens the full message (original text or HTML) in a dialog. */
  openOriginal(message: Message): void;
  /** Fetches an attachment and hands it to the browser as a download. */
  saveAttachment(message: Message, attachment: AttachmentInfo): Promise<void>;
}

/** Outside a conversation (nothing provided) the actions do nothing. */
export const MessageContentContext = createContext<MessageContentActions>({
  openOriginal: () => undefined,
  saveAttachment: async () => undefined,
});

export function useMessageContentActions(): MessageContentActions {
  return useContext(MessageContentContext);
}
