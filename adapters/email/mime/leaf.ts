/**
 * One leaf of the scanned tree → its text, HTML or attachment. Text leaves in the common
 * encodings and charsets are decoded directly (text-leaf.ts); everything else (attachments,
 * unusual charsets, encoded filenames, odd headers) by postal-mime, one leaf at a time with
 * nesting depth 0, so it cannot build a tree of its own even if it read a Content-Type
 * differently from the scan.
 */
import PostalMime from 'postal-mime';
import type { Attachment as PostalAttachment } from 'postal-mime';
import { decodeFlowed } from './flowed.ts';
import type { MimeEntity } from './structure.ts';
import { decodeTextLeaf, type TextLeaf } from './text-leaf.ts';
import type { MailAttachment, MimeLimits } from './types.ts';

/** A leaf decoded: text, HTML, an attachment (its filename not yet made safe), or nothing. */
export type Leaf = TextLeaf | { kind: 'attachment'; part: Omit<MailAttachment, 'id' | 'filename'> & { filename: string | null } };

const textEncoder = new TextEncoder();

/** Decode a leaf: the direct path when it applies, else postal-mime. Never throws. */
export async function decodeLeaf(raw: Uint8Array, e: MimeEntity, limits: MimeLimits): Promise<Leaf> {
  const fast = decodeTextLeaf(raw, e);
  if (fast) return fast.flowed && fast.leaf.kind === 'text' ? { kind: 'text', value: decodeFlowed(fast.leaf.value, delSp(e)) } : fast.leaf;
  return decodeLeafWithPostal(raw, e, limits);
}

const delSp = (e: MimeEntity): boolean => /^yes$/i.test(e.params.delsp ?? '');

/**
 * A Content-Type line put in front of a leaf when our reading must win (postal-mime takes the
 * first Content-Type): digest parts default to message/rfc822, which postal-mime cannot know for
 * a lone leaf; flowed text is passed through unflowed, because we decode RFC 3676 ourselves.
 */
function overrideType(e: MimeEntity): string | null {
  if (!e.declared && e.type === 'message/rfc822') return 'message/rfc822';
  if (e.type === 'text/plain' && /^flowed$/i.test(e.params.format ?? '')) {
    const charset = e.params.charset ?? '';
    return /^[A-Za-z0-9._:+-]{1,40}$/.test(charset) ? `text/plain; charset="${charset}"` : 'text/plain';
  }
  return null;
}

/** A leaf as postal-mime decodes it (exported so tests can hold the direct path against it). */
export async function decodeLeafWithPostal(raw: Uint8Array, e: MimeEntity, limits: MimeLimits): Promise<Leaf> {
  let input = raw.subarray(e.start, e.end);
  const override = overrideType(e);
  if (override) {
    const line = textEncoder.encode(`Content-Type: ${override}\r\n`);
    const joined = new Uint8Array(line.length + input.length);
    joined.set(line);
    joined.set(input, line.length);
    input = joined;
  }
  try {
    const mail = await PostalMime.parse(input, {
      attachmentEncoding: 'arraybuffer',
      forceRfc822Attachments: true,
      maxNestingDepth: 0,
      maxHeadersSize: limits.maxHeaderBytes + 1024,
    });
    if (mail.html !== undefined) return { kind: 'html', value: mail.html };
    if (mail.text !== undefined) {
      const flowed = override !== null && e.type === 'text/plain';
      return { kind: 'text', value: flowed ? decodeFlowed(mail.text, delSp(e)) : mail.text };
    }
    const att = mail.attachments[0];
    return att ? { kind: 'attachment', part: fromPostal(att) } : { kind: 'empty' };
  } catch {
    // Undecodable (or read as a multipart by postal-mime after all): keep the raw body as a file.
    const content = raw.slice(e.bodyStart, e.end);
    const mimeType = e.type.startsWith('text/') ? 'application/octet-stream' : e.type;
    return { kind: 'attachment', part: { filename: null, mimeType, size: content.length, content, contentId: null, inline: false } };
  }
}

function fromPostal(att: PostalAttachment): Extract<Leaf, { kind: 'attachment' }>['part'] {
  const content = typeof att.content === 'string' ? textEncoder.encode(att.content) : att.content instanceof ArrayBuffer ? new Uint8Array(att.content) : new Uint8Array(att.content.buffer, att.content.byteOffset, att.content.byteLength);
  const contentId = (att.contentId ?? '').trim().replace(/^<|>$/g, '').trim() || null;
  const disposition = (att.disposition ?? '').toLowerCase();
  const mimeType = (att.mimeType || '').toLowerCase();
  return {
    filename: att.filename,
    mimeType: /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mimeType) ? mimeType : 'application/octet-stream',
    size: content.length,
    content,
    contentId,
    // Shown inside the HTML body: declared inline, or referenced by Content-ID without a disposition.
    inline: disposition === 'inline' || (disposition === '' && contentId !== null),
  };
}
