/** The commands of the full-message view: the original, remote content, attachments. */
import type { CoreContext } from '../context.ts';
import { downloadAttachment } from '../content/attachment.ts';
import { allowRemoteContent, messageOriginal } from '../content/original.ts';
import type { Handlers } from './handlers.ts';

type ContentCommands = 'messages.original' | 'messages.allowRemoteContent' | 'messages.attachment';

/** Handlers for `messages.original`, `messages.allowRemoteContent` and `messages.attachment`. */
export function contentHandlers(ctx: CoreContext): Pick<Handlers, ContentCommands> {
  return {
    'messages.original': (p) => messageOriginal(ctx.db, p.messageId),
    'messages.allowRemoteContent': (p) => allowRemoteContent(ctx.db, p.messageId, p.scope, ctx.now()),
    'messages.attachment': (p) => downloadAttachment(ctx, p.messageId, p.attachmentId),
  };
}
