/**
 * The `Switchboard-Invite` header: a Switchboard invite link carried machine-readably beside the
 * chat text, so another Switchboard finds it even when the text was rewritten or quoted away.
 *
 *     Switchboard-Invite: v=1;
 *      link*0="switchboard://invite/1/AbC...";
 *      link*1="...";
 *      link*2="..."
 *
 * An invite link is 2–4 KB without a single space, longer than a header line may be (RFC 5322:
 * 998 octets, 78 preferred), so it is cut into RFC 2231 continuation sections, one per folded
 * line. Sections are quoted strings because the link holds ':' and '/' (RFC 2045 tspecials).
 * The link is a capability: it goes in the protected (encrypted) headers whenever the mail is
 * encrypted, and it never reaches a log.
 */
import type { InvitationRef } from '../contract.ts';
import { createEmailLogger } from './log.ts';

const log = createEmailLogger('invitation');

/** The header name as written; parsed header names are lowercased. */
export const INVITE_HEADER = 'Switchboard-Invite';
const INVITE_HEADER_KEY = 'switchboard-invite';
/** The longest link accepted from a mail (real ones are 2–4 KB). */
export const MAX_INVITE_LINK = 10_000;
/** ` link*123="` + 60 + `";` stays under the preferred 78 columns. */
const SECTION_CHARS = 60;
/** An unfolded value longer than this cannot hold a valid link; it is refused before any parsing. */
const MAX_HEADER_VALUE = 2 * MAX_INVITE_LINK;
const LINK_PREFIX = 'switchboard://invite/';
/** base64url plus URL punctuation: nothing that could break a header, a quoted string or a log line. */
const LINK_CHARS = /^[A-Za-z0-9_\-./:~%+=]+$/;

/** Why a link or header was refused, in words without the link itself (safe to log). */
export type InviteCheck = { ok: true; link: string } | { ok: false; reason: string };

/** Whether `link` is a link this adapter sends and accepts: prefix, length, characters. */
export function checkInviteLink(link: string): InviteCheck {
  if (!link.startsWith(LINK_PREFIX)) return { ok: false, reason: 'the link is not a switchboard://invite/ link' };
  if (link.length > MAX_INVITE_LINK) return { ok: false, reason: `the link is ${link.length} characters (at most ${MAX_INVITE_LINK})` };
  if (!LINK_CHARS.test(link)) return { ok: false, reason: 'the link holds characters an invite link never has' };
  return { ok: true, link };
}

/** The folded header value (without `Switchboard-Invite: `) for `link`; throws for a link `checkInviteLink` refuses. */
export function formatInvitationHeader(link: string): string {
  const checked = checkInviteLink(link);
  if (!checked.ok) throw new Error(`Cannot put this invite in a mail header: ${checked.reason}.`);
  const parts = ['v=1'];
  for (let i = 0; i * SECTION_CHARS < link.length; i++) parts.push(`link*${i}="${link.slice(i * SECTION_CHARS, (i + 1) * SECTION_CHARS)}"`);
  return parts.join(';\r\n ');
}

/**
 * Reads one unfolded header value. Strict where it matters: `v` must be 1; the link is one `link`
 * or sections `link*0`..`link*N` without gaps or repeats (RFC 2231 encoded sections `link*N*` are
 * refused: a valid link never needs them); unknown parameters are ignored for later versions.
 */
export function parseInvitationHeader(value: string): InviteCheck {
  if (value.length > MAX_HEADER_VALUE) return { ok: false, reason: `the header is ${value.length} characters long` };
  const params = splitParams(value);
  if (!params) return { ok: false, reason: 'the header is not a list of parameters' };
  let version: string | null = null;
  let whole: string | null = null;
  const sections = new Map<number, string>();
  for (const { name, value: v } of params) {
    if (name === 'v') {
      if (version !== null) return { ok: false, reason: 'the header names its version twice' };
      version = v;
      continue;
    }
    if (name === 'link') {
      if (whole !== null) return { ok: false, reason: 'the header holds two links' };
      whole = v;
      continue;
    }
    if (!name.startsWith('link*')) continue;
    const nr = /^link\*(0|[1-9]\d{0,3})$/.exec(name)?.[1];
    if (nr === undefined) return { ok: false, reason: 'the header has a link section it cannot read' };
    if (sections.has(Number(nr))) return { ok: false, reason: 'the header repeats a link section' };
    sections.set(Number(nr), v);
  }
  if (version !== '1') return { ok: false, reason: version === null ? 'the header has no version' : 'the header is of a version this Switchboard does not read' };
  if (whole !== null && sections.size > 0) return { ok: false, reason: 'the header holds the link both whole and in sections' };
  let link = whole;
  if (link === null) {
    if (sections.size === 0) return { ok: false, reason: 'the header holds no link' };
    const ordered: string[] = [];
    for (let i = 0; i < sections.size; i++) {
      const s = sections.get(i);
      if (s === undefined) return { ok: false, reason: 'the header misses a link section' };
      ordered.push(s);
    }
    link = ordered.join('');
  }
  return checkInviteLink(link);
}

/**
 * `name=value` pairs of a `;`-separated list: names lowercased, values a token or a quoted string
 * (escapes resolved). Null when the value is not such a list (unclosed quote, a piece without '=').
 */
function splitParams(input: string): { name: string; value: string }[] | null {
  const out: { name: string; value: string }[] = [];
  // One piece: separators, a name, '=', a quoted string or a token, whitespace, then ';' or the end.
  const piece = /[\s;]*([A-Za-z0-9_-]+(?:\*[0-9]*)*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))\s*(?:;|$)/y;
  const rest = /[\s;]*$/y;
  let pos = 0;
  while (pos < input.length) {
    rest.lastIndex = pos;
    if (rest.test(input)) break;
    piece.lastIndex = pos;
    const m = piece.exec(input);
    if (!m) return null;
    out.push({ name: (m[1] ?? '').toLowerCase(), value: m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '') });
    pos = piece.lastIndex;
  }
  return out;
}

/** Where a mail was found, for log lines (ids only). */
export interface MailWhere {
  mailbox: string;
  uid: number;
}

/**
 * The invitation a mail's headers carry, or undefined. `headers`: the top-level fields of the
 * plain mail, or the protected fields of a decrypted one. A malformed or repeated header is
 * ignored with a log line (the reason, never the link); the mail itself is unaffected.
 */
export function invitationIn(headers: readonly { name: string; value: string }[], where: MailWhere): InvitationRef | undefined {
  const values = headers.filter((h) => h.name === INVITE_HEADER_KEY).map((h) => h.value);
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    // Two invites in one mail: no way to tell which one the sender meant.
    log.warn('Ignored Switchboard-Invite headers: the mail has several', { ...where, count: values.length });
    return undefined;
  }
  const parsed = parseInvitationHeader(values[0] ?? '');
  if (!parsed.ok) {
    log.warn('Ignored a malformed Switchboard-Invite header', { ...where, reason: parsed.reason });
    return undefined;
  }
  return { link: parsed.link };
}

/** True when the header list has a `Switchboard-Invite` field (to notice one outside an encrypted mail). */
export function hasInvitationHeader(headers: readonly { name: string }[]): boolean {
  return headers.some((h) => h.name === INVITE_HEADER_KEY);
}

/** Logs that an encrypted mail's outer invite header was ignored: only the protected headers count. */
export function ignoredOuterInvitation(where: MailWhere): void {
  log.info('Ignored a Switchboard-Invite header outside the encryption', { ...where });
}
