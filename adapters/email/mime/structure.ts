/**
 * The MIME structure of a raw message in one linear pass over its bytes, checked against hard
 * limits as it goes: header block sizes, multipart depth, part count. Nothing is decoded or copied.
 *
 * The line and boundary rules are postal-mime 4.0.0's (lines end at LF, trailing CRs dropped; a
 * delimiter is "--" + boundary, optionally "--", then only SP/HT; the innermost open boundary is
 * tried first), so the tree is the one postal-mime would build. It is also the tree `parseMail`
 * uses: postal-mime only ever decodes single leaves cut out by this scan, so no message reaches it
 * whole and the limits here cannot be bypassed by a header that two parsers read differently.
 */
import { parseStructured } from './params.ts';
import type { MimeLimits } from './types.ts';

/** One MIME entity: byte ranges into the raw message and what its Content-Type says. */
export interface MimeEntity {
  /** First byte of the header block. */
  start: number;
  /** First byte of the body (just past the empty line); `end` when the header never ended. */
  bodyStart: number;
  /** One past the last byte (the start of the delimiter line that closed it, or the end of the message). */
  end: number;
  /** 0 for the top level; each multipart level adds one. */
  depth: number;
  /** Lowercased MIME type: the declared one, or the default the parent implies (RFC 2046 §5.1). */
  type: string;
  params: Record<string, string>;
  /** Whether `type` came from a usable Content-Type header. */
  declared: boolean;
  children: MimeEntity[];
  parent: MimeEntity | null;
  state: 'header' | 'body' | 'done';
  /** The boundary's bytes while this multipart is open. */
  boundary: Uint8Array | null;
}

/** The scanned tree, or a sentence for the user saying which limit the message breaks. */
export type ScanResult = { ok: true; root: MimeEntity; parts: number } | { ok: false; reason: string };

const MIME_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/** "128 KB", "20 MB", "57.3 MB". */
export function formatBytes(n: number): string {
  const unit = n >= 1024 * 1024 ? ['MB', 1024 * 1024] as const : n >= 1024 ? ['KB', 1024] as const : ['bytes', 1] as const;
  const v = n / unit[1];
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit[0]}`;
}

/** "100 000": digit groups without a locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

function entity(start: number, parent: MimeEntity | null): MimeEntity {
  // RFC 2046 §5.1.5: parts of a multipart/digest default to message/rfc822.
  const type = parent?.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  return { start, bodyStart: start, end: start, depth: parent ? parent.depth + 1 : 0, type, params: {}, declared: false, children: [], parent, state: 'header', boundary: null };
}

const CONTENT_TYPE = 'content-type';

/**
 * The offset just past the next LF at or after `pos` (or `end`). A plain loop: most MIME lines are
 * short, and a native indexOf call per line costs more than scanning the bytes.
 */
function nextLine(raw: Uint8Array, pos: number, end: number): number {
  while (pos < end) if (raw[pos++] === 0x0a) return pos;
  return end;
}

/** Whether the line at `pos` is a Content-Type field (name compared case-insensitively, WSP allowed before ':'). */
function isContentTypeLine(raw: Uint8Array, pos: number, end: number): boolean {
  if (end - pos < CONTENT_TYPE.length + 1) return false;
  for (let k = 0; k < CONTENT_TYPE.length; k++) {
    const c = raw[pos + k] ?? 0;
    const want = CONTENT_TYPE.charCodeAt(k);
    if (c !== want && !(want >= 0x61 && c === want - 0x20)) return false;
  }
  let i = pos + CONTENT_TYPE.length;
  while (i < end && (raw[i] === 0x20 || raw[i] === 0x09)) i++;
  return raw[i] === 0x3a;
}

/**
 * The first Content-Type value of the header block [start, end), unfolded, as Latin-1 text; null
 * when there is none. Found on the bytes, because the scan reads every part's header and only
 * this one field matters for the structure.
 */
function contentTypeValue(raw: Uint8Array, start: number, end: number): string | null {
  let pos = start;
  while (pos < end) {
    let next = nextLine(raw, pos, end);
    if (isContentTypeLine(raw, pos, next)) {
      // Continuation lines start with SP or HT (RFC 5322 §2.2.3).
      while (next < end && (raw[next] === 0x20 || raw[next] === 0x09)) next = nextLine(raw, next, end);
      const field = Buffer.from(raw.buffer, raw.byteOffset + pos, next - pos).toString('latin1');
      return field.slice(field.indexOf(':') + 1).replace(/[\r\n]+/g, '').trim();
    }
    pos = next;
  }
  return null;
}

/** Read the Content-Type of a finished header block; a multipart with a boundary gets its boundary bytes. */
function readHeader(raw: Uint8Array, e: MimeEntity, headerEnd: number, bodyStart: number): void {
  e.bodyStart = bodyStart;
  e.state = 'body';
  const value = contentTypeValue(raw, e.start, headerEnd);
  if (value === null) return;
  const parsed = parseStructured(value);
  if (!MIME_TYPE.test(parsed.value)) return;
  e.type = parsed.value;
  e.params = parsed.params;
  e.declared = true;
  const boundary = parsed.params.boundary;
  if (e.type.startsWith('multipart/') && boundary) e.boundary = Buffer.from(boundary, 'latin1');
}

/** Which open boundary (innermost first) the line [pos, end) delimits, and whether it is the closing one. */
function delimiter(raw: Uint8Array, pos: number, end: number, open: readonly MimeEntity[]): { index: number; closing: boolean } | null {
  for (let i = open.length - 1; i >= 0; i--) {
    const b = open[i]?.boundary;
    if (!b || end - pos < b.length + 2) continue;
    let k = 0;
    while (k < b.length && raw[pos + 2 + k] === b[k]) k++;
    if (k < b.length) continue;
    let after = pos + 2 + b.length;
    const closing = end - after >= 2 && raw[after] === 0x2d && raw[after + 1] === 0x2d;
    if (closing) after += 2;
    while (after < end && (raw[after] === 0x20 || raw[after] === 0x09)) after++;
    if (after === end) return { index: i, closing };
  }
  return null;
}

/** Scan `raw` into a MIME tree, or say which limit it breaks. Size is the caller's check (it needs no scan). */
export function scanMime(raw: Uint8Array, limits: MimeLimits): ScanResult {
  const root = entity(0, null);
  const open: MimeEntity[] = [];
  let current = root;
  let headerBytes = 0;
  let parts = 0;
  // Past maxParts the message is rejected anyway; the rest of the scan only counts delimiters of
  // the boundaries already open (no more header parsing), so its cost stays a few ns per byte
  // however the parts are dressed up. Boundaries declared after that point are not discovered,
  // hence "at least" in the reason.
  let counting = false;
  const finishHeader = (e: MimeEntity, headerEnd: number, bodyStart: number): void => {
    if (counting) {
      e.bodyStart = bodyStart;
      e.state = 'body';
    } else {
      readHeader(raw, e, headerEnd, bodyStart);
    }
  };
  const close = (e: MimeEntity, at: number): void => {
    if (e.state === 'header') finishHeader(e, at, at);
    if (e.state !== 'done') e.end = at;
    e.state = 'done';
  };
  const headerTooBig = (): ScanResult => ({
    ok: false,
    reason: `${current === root ? 'The header of this message' : 'A part header in this message'} is larger than ${formatBytes(limits.maxHeaderBytes)}; Switchboard reads at most ${formatBytes(limits.maxHeaderBytes)} per header.`,
  });

  let pos = 0;
  while (pos < raw.length) {
    const next = nextLine(raw, pos, raw.length);
    let end = raw[next - 1] === 0x0a ? next - 1 : next;
    while (end > pos && raw[end - 1] === 0x0d) end--;
    const hit = open.length > 0 && end - pos > 2 && raw[pos] === 0x2d && raw[pos + 1] === 0x2d ? delimiter(raw, pos, end, open) : null;
    if (hit) {
      const owner = open[hit.index] as MimeEntity;
      // Everything open inside the owner ends here, its inner boundaries with it.
      for (let e: MimeEntity | null = current; e && e !== owner; e = e.parent) close(e, pos);
      open.length = hit.index + (hit.closing ? 0 : 1);
      if (hit.closing) {
        close(owner, next);
        // Like postal-mime: the epilogue goes to the owner's parent, which is a multipart in its body (ignored).
        current = owner.parent ?? owner;
      } else {
        parts++;
        const child = entity(next, owner);
        if (child.depth > limits.maxDepth) {
          return { ok: false, reason: `This message nests its parts more than ${limits.maxDepth} levels deep; Switchboard shows at most ${limits.maxDepth}.` };
        }
        if (parts <= limits.maxParts) owner.children.push(child);
        else counting = true;
        current = child;
        headerBytes = 0;
      }
    } else if (current.state === 'header') {
      if (end === pos) {
        finishHeader(current, pos, next);
        if (current.boundary) open.push(current);
      } else {
        headerBytes += next - pos;
        if (headerBytes > limits.maxHeaderBytes) return headerTooBig();
      }
    }
    pos = next;
  }
  for (let e: MimeEntity | null = current; e; e = e.parent) close(e, raw.length);
  if (parts > limits.maxParts) {
    return { ok: false, reason: `This message has at least ${formatCount(parts)} parts; Switchboard shows at most ${formatCount(limits.maxParts)}.` };
  }
  return { ok: true, root, parts };
}
