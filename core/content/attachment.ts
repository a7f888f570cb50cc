/**
 * Downloading an attachment: its bytes come from the message's account, through the adapter that
 * reported it, and travel to the renderer as base64 (both transports carry JSON).
 */
import { ApiError } from '../api/commands.ts';
import type { AttachmentDownload } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { attemptAsync } from '../handlers/adapter-errors.ts';
import { messageWithContent } from './original.ts';
import { parseAttachments } from './store.ts';

/** The largest attachment Switchboard downloads; a bigger one stays on the server. */
export const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;
const TOO_LARGE = `This attachment is larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB; Switchboard does not download files that big.`;

/** A file name safe to offer for saving: no folders, no control characters, not empty. */
export function safeFilename(name: string): string {
  const base = name.replace(/[\u0000-\u001f\u007f]/g, '').split(/[/\\]/).pop()?.trim() ?? '';
  const cleaned = base.replace(/^\.+/, '').slice(0, 200);
  return cleaned || 'attachment';
}

/** A media type as `type/subtype`, or the neutral one: the renderer makes a Blob with it. */
export function safeMimeType(type: string): string {
  const t = type.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : 'application/octet-stream';
}

/** Fetches one listed attachment of a message through its account's adapter. */
export async function downloadAttachment(ctx: CoreContext, messageId: string, attachmentId: string): Promise<AttachmentDownload> {
  const { row, content } = messageWithContent(ctx.db, messageId);
  // Only attachments core was told about: the renderer cannot make an adapter fetch arbitrary parts.
  const info = parseAttachments(content?.attachments ?? null).find((a) => a.id === attachmentId);
  if (!info) throw new ApiError('not-found', 'That attachment does not exist.');
  if (info.size > MAX_ATTACHMENT_BYTES) throw new ApiError('conflict', TOO_LARGE);
  if (row.remote_id === null) throw new ApiError('unavailable', 'This message has no copy on the server to download the attachment from.');
  const adapter = ctx.accounts.adapter(row.account_id);
  if (!adapter || !ctx.accounts.isAvailable(row.account_id)) {
    throw new ApiError('unavailable', 'The account this message came through is offline; the attachment can be downloaded once it is connected.');
  }
  const fetch = adapter.fetchAttachment?.bind(adapter);
  if (!fetch) throw new ApiError('unavailable', 'This account cannot download attachments.');
  const remoteId = row.remote_id;
  const data = await attemptAsync(() => fetch(remoteId, info.id));
  if (data.bytes.byteLength > MAX_ATTACHMENT_BYTES) throw new ApiError('conflict', TOO_LARGE);
  return {
    filename: safeFilename(data.filename || info.filename),
    mimeType: safeMimeType(data.mimeType || info.mimeType),
    base64: Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength).toString('base64'),
  };
}
