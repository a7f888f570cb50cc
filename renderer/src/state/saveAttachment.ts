/**
 * Saving an attachment: core fetches its bytes through the account, and the browser (or Electron's
 * save dialog) stores them through a Blob and an <a download>.
 */
import { useCallback } from 'react';
import type { AttachmentDownload, AttachmentInfo, Message } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useBridge } from './bridgeContext.ts';
import { useNotify } from './notify.tsx';

/** Hands bytes to the browser as a download. Always typed as plain bytes: a file never opens in the app's origin. */
export function downloadFile(file: AttachmentDownload): void {
  const binary = atob(file.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy by then; a minute is plenty for a slow save dialog.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Returns a function that saves one attachment of a message; a failure becomes a notice. */
export function useSaveAttachment(): (message: Pick<Message, 'id'>, attachment: AttachmentInfo) => Promise<void> {
  const bridge = useBridge();
  const notify = useNotify();
  return useCallback(
    async (message, attachment) => {
      try {
        downloadFile(await bridge.call('messages.attachment', { messageId: message.id, attachmentId: attachment.id }));
      } catch (error) {
        notify(`Couldn't save ${attachment.filename}: ${describeError(error)}`);
      }
    },
    [bridge, notify],
  );
}
