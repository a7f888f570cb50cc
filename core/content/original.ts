/**
 * The full message behind a chat bubble: what `messages.original` shows, who may load remote
 * content (the message, or always its sender), and the isolated HTML view's document.
 */
import { ApiError } from '../api/commands.ts';
import type { MessageOriginal, RemoteContentState } from '../api/types.ts';
import type { Db } from '../store/open.ts';
import type { MessageRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import { mailDocument, sanitizeMailHtml, type MailDocument } from './mail-html.ts';
import { contentOf, parseAttachments, type ContentRow } from './store.ts';

/** A message and what is stored beside it. */
interface Loaded {
  row: MessageRow;
  content: ContentRow | undefined;
  /** The sender's address (incoming), or the account's own (outgoing); null when unknown. */
  address: string | null;
}

function load(db: Db, messageId: string): Loaded {
  const row = stmt(db, 'SELECT * FROM messages WHERE id = ?').get(messageId) as MessageRow | undefined;
  if (!row) throw new ApiError('not-found', 'That message does not exist.');
  const address =
    row.direction === 'in'
      ? ((pluck(db, 'SELECT address FROM identities WHERE id = ?').get(row.identity_id) as string | undefined) ?? null)
      : ((pluck(db, 'SELECT address FROM accounts WHERE id = ?').get(row.account_id) as string | undefined) ?? null);
  return { row, content: contentOf(db, row.seq), address };
}

/** Whether the user allowed remote content for this message, or for its sender on its account. */
function remoteAllowed(db: Db, m: Loaded): boolean {
  if (m.content?.remote_allowed === 1) return true;
  if (m.row.direction !== 'in' || m.address === null) return false;
  return !!stmt(db, 'SELECT 1 FROM remote_content_senders WHERE account_id = ? AND address = ?').get(m.row.account_id, m.address);
}

/** The full-message view of a message (`messages.original`). Counting remote content sanitizes the HTML once. */
export function messageOriginal(db: Db, messageId: string): MessageOriginal {
  const m = load(db, messageId);
  const html = m.content?.html ?? null;
  const allowed = html !== null && remoteAllowed(db, m);
  const remoteCount = html === null ? 0 : sanitizeMailHtml(html, allowed).remoteCount;
  const remoteContent: RemoteContentState = remoteCount === 0 ? 'none' : allowed ? 'allowed' : 'blocked';
  return {
    messageId: m.row.id,
    subject: m.content?.subject ?? null,
    from: { name: m.row.sender_name, address: m.address },
    date: m.row.sent_at,
    text: m.content?.original_text ?? m.row.body,
    hasHtml: html !== null,
    remoteContent,
    remoteCount,
    canAllowSender: m.row.direction === 'in' && m.address !== null,
    attachments: parseAttachments(m.content?.attachments ?? null),
  };
}

/** Lets a message's HTML load remote content, for this message or always for its sender; returns the view afresh. */
export function allowRemoteContent(db: Db, messageId: string, scope: 'message' | 'sender', now: number): MessageOriginal {
  const m = load(db, messageId);
  if (!m.content?.html) throw new ApiError('conflict', 'This message has no formatted (HTML) version.');
  if (scope === 'message') {
    stmt(db, 'UPDATE message_content SET remote_allowed = 1 WHERE message_seq = ?').run(m.row.seq);
  } else {
    if (m.row.direction !== 'in' || m.address === null) {
      throw new ApiError('conflict', 'Remote content can be allowed for a sender only on a message they sent.');
    }
    stmt(db, 'INSERT INTO remote_content_senders (account_id, address, allowed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(
      m.row.account_id,
      m.address,
      now,
    );
  }
  return messageOriginal(db, messageId);
}

/** The isolated view's document for a message's HTML, or null when it has none (or no longer exists). */
export function mailView(db: Db, messageId: string, frameAncestors?: string): MailDocument | null {
  let m: Loaded;
  try {
    m = load(db, messageId);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'not-found') return null;
    throw e;
  }
  const html = m.content?.html;
  if (!html) return null;
  return mailDocument(html, {
    allowRemote: remoteAllowed(db, m),
    truncated: m.content?.html_truncated === 1,
    ...(frameAncestors ? { frameAncestors } : {}),
  });
}

/** The stored row of a message and its content, for the attachment download. */
export function messageWithContent(db: Db, messageId: string): { row: MessageRow; content: ContentRow | undefined } {
  const { row, content } = load(db, messageId);
  return { row, content };
}
