/**
 * A message over the download limit is still readable when its text is small (a friend's mail
 * with 30 MB of photos): the sync reads its BODYSTRUCTURE, downloads only the text part, and
 * lists the attachments, whose bytes are fetched part by part when the user saves one.
 */
import type { ImapFlow, MessageStructureObject } from 'imapflow';
import type { AttachmentInfo } from '../../contract.ts';

/** Text parts larger than this are not downloaded for a large message either. */
const MAX_TEXT_PART = 1024 * 1024;
/** Attachment ids of parts fetched from the server directly carry this prefix. */
export const PART_PREFIX = 'part:';

/** What the sync could read of a large message without downloading it whole. */
export interface LargeMessageParts {
  text: string | null;
  html: string | null;
  attachments: AttachmentInfo[];
}

interface Walk {
  text: MessageStructureObject | null;
  html: MessageStructureObject | null;
  attachments: MessageStructureObject[];
  encrypted: boolean;
}

function walk(node: MessageStructureObject, out: Walk, depth = 0): void {
  if (depth > 20) return;
  const type = node.type.toLowerCase();
  if (type === 'multipart/encrypted') out.encrypted = true;
  if (node.childNodes && node.childNodes.length > 0) {
    for (const c of node.childNodes.slice(0, 500)) walk(c, out, depth + 1);
    return;
  }
  const isAttachment = node.disposition?.toLowerCase() === 'attachment';
  if (!isAttachment && type === 'text/plain' && !out.text) out.text = node;
  else if (!isAttachment && type === 'text/html' && !out.html) out.html = node;
  else if (node.part) out.attachments.push(node);
}

/** Reads the text and the attachment list of a large message; null when it cannot (encrypted, no structure). */
export async function readLargeMessage(client: ImapFlow, uid: number): Promise<LargeMessageParts | null> {
  const m = await client.fetchOne(String(uid), { uid: true, bodyStructure: true }, { uid: true });
  if (!m || !m.bodyStructure) return null;
  const w: Walk = { text: null, html: null, attachments: [], encrypted: false };
  walk(m.bodyStructure, w);
  // Encrypted mail has to be downloaded whole to be decrypted.
  if (w.encrypted) return null;
  const text = await downloadText(client, uid, w.text);
  const html = text === null ? await downloadText(client, uid, w.html) : null;
  // Nothing readable and nothing to save (one huge text part): the caller says it is too large.
  if (text === null && html === null && w.attachments.length === 0) return null;
  return {
    text,
    html,
    attachments: w.attachments.map((a, i) => ({
      id: `${PART_PREFIX}${a.part ?? ''}`,
      filename: safeName(a.dispositionParameters?.filename ?? a.parameters?.name ?? `attachment-${i + 1}`),
      mimeType: a.type.toLowerCase(),
      size: a.size ?? 0,
    })),
  };
}

async function downloadText(client: ImapFlow, uid: number, node: MessageStructureObject | null): Promise<string | null> {
  if (!node || (node.size ?? 0) > MAX_TEXT_PART) return null;
  // A single-part message has no part number: its body is part "1".
  const got = await downloadPart(client, uid, node.part ?? '1', MAX_TEXT_PART * 2);
  return got ? Buffer.from(got.bytes).toString('utf8') : null;
}

/** One part's decoded bytes (imapflow undoes the transfer encoding and converts text to UTF-8), up to a cap. */
export async function downloadPart(client: ImapFlow, uid: number, part: string, maxBytes: number): Promise<{ bytes: Uint8Array; filename: string | null; mimeType: string | null } | null> {
  const d = await client.download(String(uid), part, { uid: true });
  if (!('content' in d) || !d.content) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of d.content as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      d.content.destroy();
      throw new Error(`the part is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`);
    }
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), filename: d.meta.filename ?? null, mimeType: d.meta.contentType ?? null };
}

function safeName(name: string): string {
  const base = name.replace(/[/\\]/g, '_').replace(/[\u0000-\u001f]/g, '').trim();
  return base.slice(0, 200) || 'attachment';
}
