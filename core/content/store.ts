/**
 * Message content beyond the chat text (subject, original, HTML, attachments, problem): written by
 * ingest in the message's own transaction, read by the message views and the full-message view.
 * Rows go with their message by cascade (migration 005).
 */
import type { AttachmentInfo, MessageContent } from '../../adapters/contract.ts';
import type { Db } from '../store/open.ts';
import { stmt } from '../store/statements.ts';

/** The longest HTML body kept, in characters; a longer one is cut and the view says so. */
export const MAX_HTML_CHARS = 2_000_000;
/** The longest original text kept, in characters; a longer one is cut with a note at its end. */
export const MAX_ORIGINAL_CHARS = 1_000_000;
/** Appended to an original text that was cut. */
export const ORIGINAL_CUT_NOTE = '\n\n[Switchboard kept only the first part of this message; the rest was too long to store.]';

/** The content columns a message bubble needs (never the original or the HTML themselves). */
export interface ContentSummaryRow {
  subject: string | null;
  problem: string | null;
  attachments: string | null;
  has_original: number;
}

/**
 * SQL selecting `ContentSummaryRow` from `message_content` aliased `mc`. `typeof()` reads only the
 * record header, never a long value's overflow pages: 0.01 ms a row against 0.4 ms for `IS NOT
 * NULL` with 1 MB bodies (measured with a 2 MB page cache).
 */
export const CONTENT_SUMMARY_COLUMNS = `mc.subject AS subject, mc.problem AS problem, mc.attachments AS attachments,
  (typeof(mc.original_text) = 'text' OR typeof(mc.html) = 'text') AS has_original`;

/** A message's full stored content (the full-message view). */
export interface ContentRow extends ContentSummaryRow {
  original_text: string | null;
  html: string | null;
  remote_allowed: number;
  html_truncated: number;
}

/** Cuts a string to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cutAt(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** Stores a message's content, bounded; nothing when it holds nothing. Call inside the message's transaction. */
export function storeContent(db: Db, messageSeq: number, content: MessageContent | undefined): void {
  if (!content) return;
  const subject = content.subject?.trim() || null;
  const problem = content.problem?.trim() || null;
  const attachments = content.attachments && content.attachments.length > 0 ? JSON.stringify(content.attachments) : null;
  let original = content.originalText || null;
  if (original !== null && original.length > MAX_ORIGINAL_CHARS) original = cutAt(original, MAX_ORIGINAL_CHARS) + ORIGINAL_CUT_NOTE;
  let html = content.html?.trim() ? content.html : null;
  const htmlCut = html !== null && html.length > MAX_HTML_CHARS;
  if (html !== null && htmlCut) html = cutAt(html, MAX_HTML_CHARS);
  if (subject === null && problem === null && attachments === null && original === null && html === null) return;
  stmt(
    db,
    `INSERT INTO message_content (message_seq, subject, problem, attachments, html_truncated, original_text, html)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(messageSeq, subject, problem, attachments, htmlCut ? 1 : 0, original, html);
}

/** The bubble's content columns of one message, or undefined when it has none. */
export function contentSummary(db: Db, messageSeq: number): ContentSummaryRow | undefined {
  return stmt(db, `SELECT ${CONTENT_SUMMARY_COLUMNS} FROM message_content mc WHERE mc.message_seq = ?`).get(messageSeq) as
    | ContentSummaryRow
    | undefined;
}

/** Everything stored for one message, or undefined when it has no content row. */
export function contentOf(db: Db, messageSeq: number): ContentRow | undefined {
  return stmt(
    db,
    `SELECT ${CONTENT_SUMMARY_COLUMNS}, mc.original_text, mc.html, mc.remote_allowed, mc.html_truncated
     FROM message_content mc WHERE mc.message_seq = ?`,
  ).get(messageSeq) as ContentRow | undefined;
}

/** The stored attachment list; a damaged one reads as none rather than breaking the message. */
export function parseAttachments(json: string | null): AttachmentInfo[] {
  if (json === null) return [];
  try {
    const list = JSON.parse(json) as unknown;
    if (!Array.isArray(list)) return [];
    return list.filter(isAttachment).map((a) => ({ id: a.id, filename: a.filename, mimeType: a.mimeType, size: a.size }));
  } catch {
    return [];
  }
}

function isAttachment(a: unknown): a is AttachmentInfo {
  const x = a as Partial<AttachmentInfo> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.id === 'string' &&
    typeof x.filename === 'string' &&
    typeof x.mimeType === 'string' &&
    typeof x.size === 'number'
  );
}
