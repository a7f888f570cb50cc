/** Threads from Message-ID / In-Reply-To / References (RFC 5322 §3.6.4), and reply subjects. */
import { createHash } from 'node:crypto';
import type { MailHeaderSummary } from './mime/types.ts';
import type { MailState } from './mail-state.ts';

/** How many ids a References header we send carries: the root and the latest ones. */
const MAX_REFERENCES = 10;

/**
 * The root of the thread a message belongs to: the root recorded for any message it refers to
 * (so a reply that only names its parent still joins the thread), else the first id of its
 * References, else its parent, else itself.
 */
export function threadRoot(state: MailState, messageId: string, inReplyTo: string | null, references: readonly string[]): string {
  const known = state.rootOf(messageId);
  if (known) return known;
  for (const id of [inReplyTo, ...[...references].reverse()]) {
    if (!id) continue;
    const r = state.rootOf(id);
    if (r) return r;
  }
  return references[0] ?? inReplyTo ?? messageId;
}

/** The References to send in a reply to this message: its own chain plus its id, bounded. */
export function referencesFor(references: readonly string[], inReplyTo: string | null, messageId: string): string[] {
  const chain = [...references];
  if (inReplyTo && !chain.includes(inReplyTo)) chain.push(inReplyTo);
  if (!chain.includes(messageId)) chain.push(messageId);
  if (chain.length <= MAX_REFERENCES) return chain;
  return [chain[0]!, ...chain.slice(chain.length - (MAX_REFERENCES - 1))];
}

/** A subject without its reply and forward prefixes ("Re: Fwd: AW: hello" → "hello"). */
export function normaliseSubject(subject: string): string {
  return subject.replace(/^(\s*(re|fwd?|aw|wg|sv|vs|antw|réf|tr)(\[\d+\])?\s*:\s*)+/i, '').trim();
}

/** The subject of a reply. */
export function replySubject(subject: string): string {
  const base = normaliseSubject(subject);
  return base ? `Re: ${base}` : '';
}

/** The subject of the first mail to someone: the start of the text, like a chat preview. */
export function firstSubject(text: string): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  const t = line.trim();
  return t.length > 60 ? `${t.slice(0, 57).trimEnd()}…` : t || 'Message';
}

/** A stable id for mail without a Message-ID, so a re-sync finds the same message. */
export function syntheticMessageId(h: MailHeaderSummary, internalDate: number, size: number): string {
  const basis = JSON.stringify([h.from?.address ?? '', h.to.map((a) => a.address), h.subject, h.date ?? internalDate, size]);
  return `no-message-id.${createHash('sha256').update(basis).digest('hex').slice(0, 32)}@switchboard.invalid`;
}

/** Longer ids than this are kept as a hash (core keys messages by them, and caps their length). */
const MAX_ID_CHARS = 900;

/** A Message-ID as it is used as a key: itself, or a stable hash of it when it is absurdly long. */
export function safeId(id: string): string {
  return id.length <= MAX_ID_CHARS ? id : `long-id.${createHash('sha256').update(id).digest('hex').slice(0, 32)}@switchboard.invalid`;
}

/** The longest address or name taken from a header; hostile mail has megabyte-long ones. */
const MAX_ADDRESS_CHARS = 320;
const MAX_NAME_CHARS = 200;

/** A header summary whose ids, addresses and names fit what core stores (one bad field must not cost the message). */
export function boundedSummary<T extends MailHeaderSummary>(h: T): T {
  const person = (a: { address: string; name: string }) => ({ address: a.address, name: a.name.slice(0, MAX_NAME_CHARS) });
  const list = (xs: readonly { address: string; name: string }[]) => xs.filter((a) => a.address.length <= MAX_ADDRESS_CHARS).slice(0, 200).map(person);
  return {
    ...h,
    messageId: h.messageId === null ? null : safeId(h.messageId),
    inReplyTo: h.inReplyTo === null ? null : safeId(h.inReplyTo),
    references: h.references.slice(-50).map(safeId),
    from: h.from && h.from.address.length <= MAX_ADDRESS_CHARS ? person(h.from) : null,
    to: list(h.to),
    cc: list(h.cc),
    replyTo: list(h.replyTo),
    subject: h.subject.slice(0, 2000),
  };
}
