/**
 * What one Matrix timeline event means to Switchboard, read defensively: a message (text, notice,
 * emote, or a file we show by name), an edit of an earlier message (`m.replace`), a deletion
 * (redaction), a message that could not be decrypted, or something to skip with the reason why.
 * Content is untrusted JSON from any room member: every field is checked for type and size.
 */
import type { MatrixEvent } from 'matrix-js-sdk';

/** Longest text kept from one event; a longer body is cut and says so. */
export const MAX_TEXT = 64 * 1024;

export type Decoded =
  | { kind: 'message'; text: string; problem?: string | undefined }
  | { kind: 'edit'; target: string; text: string }
  | { kind: 'redaction'; target: string }
  | { kind: 'undecryptable'; reason: string }
  /** State, receipts, reactions, calls...: not a chat line. `reason` only when the event was bad. */
  | { kind: 'skip'; reason?: string | undefined };

const ID = /^\$[\x21-\x7e]{1,254}$/;

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function cut(body: string): { text: string; problem?: string } {
  if (body.length <= MAX_TEXT) return { text: body };
  return { text: body.slice(0, MAX_TEXT), problem: `This message was ${Math.round(body.length / 1024)} KB long; only the first 64 KB are shown.` };
}

/** The chat text of `m.room.message` content, or why it has none. */
function messageText(content: Record<string, unknown>): { text: string; problem?: string } | { reason: string } | { quiet: true } {
  const msgtype = text(content['msgtype']);
  const body = text(content['body']);
  if (msgtype === null || body === null) return { reason: 'a message without a msgtype or body' };
  // An emoji verification starts with this message in the room; the verification dialog shows it.
  if (msgtype === 'm.key.verification.request') return { quiet: true };
  switch (msgtype) {
    case 'm.text':
    case 'm.notice':
      return cut(body);
    case 'm.emote':
      return cut(`* ${body}`);
    case 'm.image':
    case 'm.file':
    case 'm.video':
    case 'm.audio':
      // Files are not fetched yet: the line says what was sent.
      return { text: `[${msgtype.slice(2)}: ${body.slice(0, 200)}]`, problem: 'Switchboard does not download Matrix files yet.' };
    default:
      return body.length > 0 ? cut(body) : { reason: `a message of unknown type ${msgtype.slice(0, 40)}` };
  }
}

/** Reads a timeline event after any decryption was attempted. */
export function decodeEvent(ev: MatrixEvent): Decoded {
  if (ev.isDecryptionFailure()) {
    return { kind: 'undecryptable', reason: ev.decryptionFailureReason ?? 'unknown' };
  }
  const type = ev.getType();
  if (type === 'm.room.redaction') {
    const target = ev.getAssociatedId() ?? text(ev.getContent()['redacts']);
    return target && ID.test(target) ? { kind: 'redaction', target } : { kind: 'skip', reason: 'a redaction without a valid event id' };
  }
  if (type === 'm.room.encrypted') return { kind: 'undecryptable', reason: 'not decrypted' };
  if (type !== 'm.room.message') return { kind: 'skip' };
  if (ev.isRedacted()) return { kind: 'skip' };
  const content = ev.getOriginalContent<unknown>();
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return { kind: 'skip', reason: 'content is not an object' };
  const c = content as Record<string, unknown>;
  const relation = ev.getWireContent()['m.relates_to'] ?? c['m.relates_to'];
  if (relation && typeof relation === 'object' && (relation as Record<string, unknown>)['rel_type'] === 'm.replace') {
    const target = text((relation as Record<string, unknown>)['event_id']);
    const replacement = c['m.new_content'];
    if (!target || !ID.test(target) || !replacement || typeof replacement !== 'object' || Array.isArray(replacement)) {
      return { kind: 'skip', reason: 'an edit without a valid target or new content' };
    }
    const read = messageText(replacement as Record<string, unknown>);
    if ('quiet' in read) return { kind: 'skip' };
    return 'reason' in read ? { kind: 'skip', reason: `an edit with ${read.reason}` } : { kind: 'edit', target, text: read.text };
  }
  const read = messageText(c);
  if ('quiet' in read) return { kind: 'skip' };
  return 'reason' in read ? { kind: 'skip', reason: read.reason } : { kind: 'message', text: read.text, problem: read.problem };
}
