/**
 * Raw RFC 822 bytes → `ParsedMail`, within hard limits. Order: size (no scan needed) → structure
 * scan with depth / part / header limits (structure.ts) → each leaf decoded on its own (leaf.ts:
 * common text parts directly, everything else by postal-mime: transfer encoding, charset, RFC
 * 2047/2231 names) → text, the first HTML part, attachments.
 *
 * postal-mime never sees the whole message: it joins every HTML part of a message into one
 * `html` string, which is exactly what EFAIL needs, and it would build the tree of a message
 * before any limit of ours could stop it. Here it gets one leaf at a time with nesting depth 0,
 * so it cannot build a tree of its own even if it read a Content-Type differently from us.
 */
import { decodeHeaderText, headerBlockEnd, summariseHeaders } from './headers.ts';
import { decodeLeaf, type Leaf } from './leaf.ts';
import { formatBytes, scanMime, type MimeEntity } from './structure.ts';
import { DEFAULT_MIME_LIMITS, type MailAttachment, type MailHeaderSummary, type MimeLimits, type ParseResult, type ParsedMail } from './types.ts';

/** Summarise a header block: a header-only fetch (BODY.PEEK[HEADER.FIELDS (...)]) or the start of a whole message. Never throws. */
export function parseHeaderSummary(headerBlock: Uint8Array): MailHeaderSummary {
  return summariseHeaders(headerBlock);
}

/** Parse a raw message within `limits` (DEFAULT_MIME_LIMITS for what is not given). Never throws. */
export async function parseMail(raw: Uint8Array, limits?: Partial<MimeLimits>): Promise<ParseResult> {
  const l: MimeLimits = { ...DEFAULT_MIME_LIMITS, ...limits };
  // Only the header block is read for the summary; a huge message is never copied or scanned.
  const headers = (): MailHeaderSummary => summariseHeaders(raw.subarray(0, headerBlockEnd(raw, 0, Math.min(raw.length, l.maxHeaderBytes))));
  if (raw.byteLength > l.maxBytes) {
    return { ok: false, reason: `This message is ${formatBytes(raw.byteLength)}; Switchboard shows messages up to ${formatBytes(l.maxBytes)}.`, headers: headers() };
  }
  try {
    const scan = scanMime(raw, l);
    if (!scan.ok) return { ok: false, reason: scan.reason, headers: headers() };
    return { ok: true, mail: await assemble(raw, scan.root, l) };
  } catch (e) {
    return { ok: false, reason: `Switchboard could not read this message (${e instanceof Error ? e.message : String(e)}).`, headers: headers() };
  }
}

async function assemble(raw: Uint8Array, root: MimeEntity, limits: MimeLimits): Promise<ParsedMail> {
  const summary = summariseHeaders(raw.subarray(root.start, root.bodyStart));
  const isReport = root.type === 'multipart/report';
  const base = { ...summary, isReport, reportType: isReport ? (root.params['report-type'] ?? '').toLowerCase() || null : null, contentType: root.type };
  const pgpEncrypted = await topLevelPgp(raw, root, limits);
  if (pgpEncrypted !== null) return { ...base, text: null, html: null, attachments: [], pgpEncrypted };

  const texts: string[] = [];
  let html: string | null = null;
  const attachments: MailAttachment[] = [];
  const attach = (part: Extract<Leaf, { kind: 'attachment' }>['part']): void => {
    const id = String(attachments.length + 1);
    attachments.push({ ...part, id, filename: safeFilename(part.filename, id, part.mimeType) });
  };
  const asAttachment = (value: string, mimeType: string): void => {
    const content = new TextEncoder().encode(value);
    attach({ filename: null, mimeType, size: content.length, content, contentId: null, inline: false });
  };

  // `sealed`: below a multipart/encrypted that is not the top-level PGP/MIME message. Its parts
  // are attachments whatever they claim to be, so nothing encrypted is ever shown inline.
  const walk = async (e: MimeEntity, sealed: boolean): Promise<void> => {
    if (e.type.startsWith('multipart/')) {
      if (e.children.length === 0 && !sealed) {
        // A multipart whose boundary is missing or never used: show its body as text rather than nothing.
        const body = decodeHeaderText(raw.subarray(e.bodyStart, e.end)).replace(/\r\n/g, '\n');
        if (body.trim()) texts.push(body);
      }
      for (const child of e.children) await walk(child, sealed || e.type === 'multipart/encrypted');
      return;
    }
    const leaf = await decodeLeaf(raw, e, limits);
    switch (leaf.kind) {
      case 'text':
        if (sealed) asAttachment(leaf.value, 'text/plain');
        else texts.push(leaf.value);
        return;
      case 'html':
        // EFAIL: the first HTML part is the body; any later one is a file of its own, never appended.
        if (sealed || html !== null) asAttachment(leaf.value, 'text/html');
        else html = leaf.value;
        return;
      case 'attachment':
        attach(leaf.part);
        return;
      case 'empty':
        return;
    }
  };
  await walk(root, root.type === 'multipart/encrypted');
  return { ...base, text: texts.length > 0 ? texts.join('\n') : null, html, attachments, pgpEncrypted: null };
}

/** The armored payload of a top-level PGP/MIME message (RFC 3156 §4), or null when this is not one. */
async function topLevelPgp(raw: Uint8Array, root: MimeEntity, limits: MimeLimits): Promise<string | null> {
  if (root.type !== 'multipart/encrypted' || (root.params.protocol ?? '').trim().toLowerCase() !== 'application/pgp-encrypted') return null;
  const payload = root.children[1];
  if (!payload || payload.type.startsWith('multipart/')) return null;
  const leaf = await decodeLeaf(raw, payload, limits);
  const text = leaf.kind === 'attachment' ? new TextDecoder().decode(leaf.part.content) : leaf.kind === 'empty' ? '' : leaf.value;
  return text.includes('-----BEGIN PGP MESSAGE-----') ? text : null;
}

const EXTENSIONS: Record<string, string> = {
  'text/plain': 'txt', 'text/html': 'html', 'text/calendar': 'ics', 'message/rfc822': 'eml', 'message/global': 'eml',
  'message/delivery-status': 'txt', 'message/disposition-notification': 'txt', 'text/rfc822-headers': 'txt',
  'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'application/pdf': 'pdf',
  'application/zip': 'zip', 'application/pgp-encrypted': 'asc', 'application/pgp-signature': 'asc', 'application/pgp-keys': 'asc',
};

/** A name safe to save under: the last path component, no control or reserved characters, not hidden; a default when nothing is left. */
export function safeFilename(name: string | null, id: string, mimeType: string): string {
  let n = (name ?? '').split(/[/\\]/).pop() ?? '';
  n = n.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^[\s.]+|[\s.]+$/g, '');
  if (n.length > 200) {
    const dot = n.lastIndexOf('.');
    const ext = dot > 0 && n.length - dot <= 16 ? n.slice(dot) : '';
    n = n.slice(0, 200 - ext.length) + ext;
  }
  return n || `attachment-${id}.${EXTENSIONS[mimeType] ?? 'bin'}`;
}
