/**
 * One header block → a `MailHeaderSummary`. Works on whatever IMAP hands back (a header-only
 * fetch, a whole message, bare LF, 8-bit bytes, broken fields) and never throws for bad input.
 */
import { addressParser, decodeWords } from 'postal-mime';
import type { MailAddress, MailHeaderSummary } from './types.ts';

/** A header buffer larger than this is summarised from its first part only (no real header block is this big). */
const MAX_SUMMARY_BYTES = 1024 * 1024;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const windows1252 = new TextDecoder('windows-1252');

/** One unfolded header field. */
export interface HeaderField {
  /** Lowercased. */
  name: string;
  /** Unfolded, trimmed, not 2047-decoded. */
  value: string;
}

/** The end of the header block: the offset just past the first empty line, or the end of the buffer (bare LF and CRLF alike). */
export function headerBlockEnd(bytes: Uint8Array, from = 0, limit = bytes.length): number {
  let pos = from;
  while (pos < limit) {
    const lf = bytes.indexOf(0x0a, pos);
    // Cut short by `limit`: stop before the incomplete line rather than summarise half a field.
    if (lf < 0 || lf >= limit) return limit < bytes.length ? pos : limit;
    let end = lf;
    while (end > pos && bytes[end - 1] === 0x0d) end--;
    if (end === pos) return lf + 1;
    pos = lf + 1;
  }
  return limit;
}

/**
 * Header bytes as text. RFC 6532 allows raw UTF-8; older mailers put Latin-1 or worse in headers,
 * so each line that is not valid UTF-8 is read as windows-1252 instead of turning into U+FFFD.
 */
export function decodeHeaderText(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    const out: string[] = [];
    let pos = 0;
    while (pos <= bytes.length) {
      const lf = bytes.indexOf(0x0a, pos);
      const end = lf < 0 ? bytes.length : lf;
      const line = bytes.subarray(pos, end);
      try {
        out.push(utf8Strict.decode(line));
      } catch {
        out.push(windows1252.decode(line));
      }
      if (lf < 0) break;
      pos = lf + 1;
    }
    return out.join('\n');
  }
}

/** A field name is printable US-ASCII without ':' (RFC 5322 §2.2); anything else (an mbox "From " line, garbage) is not a field. */
const FIELD_NAME = /^[!-9;-~]+$/;

/** Fields of a header block in order, unfolded; stops at the first empty line. */
export function splitHeaderFields(text: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let name: string | null = null;
  let parts: string[] = [];
  const flush = (): void => {
    if (name !== null) {
      // A bare CR inside a value is not a line break; it must not survive into anything that writes the value out again.
      fields.push({ name, value: parts.join('').replace(/[\r\n]+/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '') });
    }
    name = null;
    parts = [];
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r+$/, '');
    if (line === '') break;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // Unfolding removes the line break only (RFC 5322 §2.2.3); a continuation with no field above it is noise.
      if (name !== null) parts.push(line);
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const candidate = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!FIELD_NAME.test(candidate)) continue;
    name = candidate.toLowerCase();
    parts.push(line.slice(colon + 1));
  }
  flush();
  return fields;
}

/** Summarise a header block (or a whole message: only its header block is read). */
export function summariseHeaders(headerBlock: Uint8Array): MailHeaderSummary {
  const end = headerBlockEnd(headerBlock, 0, Math.min(headerBlock.length, MAX_SUMMARY_BYTES));
  const fields = splitHeaderFields(decodeHeaderText(headerBlock.subarray(0, end)));
  const first = (name: string): string | null => fields.find((f) => f.name === name)?.value ?? null;
  const all = (name: string): string[] => fields.filter((f) => f.name === name).map((f) => f.value);
  const references = dedupe(all('references').flatMap(messageIds));
  return {
    messageId: messageIds(first('message-id') ?? '')[0] ?? null,
    inReplyTo: messageIds(first('in-reply-to') ?? '')[0] ?? null,
    references,
    from: addresses([first('from') ?? ''])[0] ?? null,
    to: addresses(all('to')),
    cc: addresses(all('cc')),
    replyTo: addresses(all('reply-to')),
    subject: safeDecodeWords(first('subject') ?? ''),
    date: parseMailDate(first('date') ?? ''),
    headers: fields,
  };
}

function safeDecodeWords(value: string): string {
  try {
    return decodeWords(value);
  } catch {
    return value;
  }
}

/** Mailboxes with an '@' from address fields; groups are flattened, garbage skipped. */
export function addresses(values: readonly string[]): MailAddress[] {
  const out: MailAddress[] = [];
  for (const value of values) {
    if (!value) continue;
    let parsed: ReturnType<typeof addressParser>;
    try {
      parsed = addressParser(value, { flatten: true });
    } catch {
      continue;
    }
    for (const entry of parsed) {
      const address = (entry.address ?? '').trim().toLowerCase();
      if (!address.includes('@') || /\s/.test(address)) continue;
      out.push({ address, name: (entry.name ?? '').trim() });
    }
  }
  return out;
}

/** Ids from a Message-ID / In-Reply-To / References value, without <>. Falls back to bare tokens for mailers that drop the brackets. */
export function messageIds(value: string): string[] {
  const bracketed = [...value.matchAll(/<([^<>]*)>/g)].map((m) => (m[1] ?? '').replace(/\s+/g, '')).filter(Boolean);
  if (bracketed.length > 0) return bracketed;
  return value
    .replace(/\([^()]*\)/g, ' ')
    .split(/[\s,]+/)
    .map((t) => t.replace(/[<>]/g, ''))
    .filter(Boolean);
}

function dedupe(ids: string[]): string[] {
  return [...new Set(ids)];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** RFC 5322 §4.3 obsolete zones, in minutes east of UTC; other letters mean "unknown", i.e. UTC. */
const ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
const RFC5322_DATE = /^(?:[a-z]{2,9}\.?,?\s*)?(\d{1,2})\s*[-\s]\s*([a-z]{3})[a-z]*\.?\s*[-\s]\s*(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([+-]\d{4}|[a-z]{1,5})?/i;

/**
 * A Date header → ms since the epoch, or null. RFC 5322 syntax (with the obsolete forms) first;
 * JS `Date.parse` only as a fallback for ISO-like dates, because it happily turns "1" into 2001.
 */
export function parseMailDate(value: string): number | null {
  const v = value.replace(/\([^()]*\)/g, ' ').trim();
  if (!v) return null;
  const m = RFC5322_DATE.exec(v);
  if (m) {
    const month = MONTHS.indexOf((m[2] ?? '').toLowerCase());
    let year = Number(m[3]);
    if ((m[3] ?? '').length === 2) year += year < 50 ? 2000 : 1900;
    else if ((m[3] ?? '').length === 3) year += 1900;
    const day = Number(m[1]);
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = Number(m[6] ?? '0');
    if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
    const zone = m[7] ?? '';
    let offset = 0;
    if (/^[+-]\d{4}$/.test(zone)) {
      const sign = zone.startsWith('-') ? -1 : 1;
      offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
    } else {
      offset = ZONES[zone.toLowerCase()] ?? 0;
    }
    const ms = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
    return Number.isFinite(ms) ? ms : null;
  }
  if (/\d{4}/.test(v) && /\d:\d\d/.test(v)) {
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}
