/**
 * The common leaf without postal-mime: a text/plain or text/html body in 7bit, 8bit, binary,
 * quoted-printable or base64 and a charset TextDecoder knows, decoded straight from the raw bytes.
 *
 * Why: postal-mime's decoders keep every body line as a chunk of its own and join them through
 * `new Blob(chunks).arrayBuffer()`, about 4.5 µs a line on Node 20 (≈ 430 µs for an ordinary text
 * part), which was a quarter of the email adapter's sync time. This file reproduces postal-mime
 * 4.0.0's result for such a leaf exactly (same line rules, same tolerance of broken
 * quoted-printable escapes and base64 garbage, same TextDecoder label); text-leaf.test.ts compares
 * the two on a corpus. Whenever it is not sure how postal-mime would read the leaf's header (a
 * comment, a quoted escape, RFC 2231, an attachment disposition, an encoding or charset outside
 * the lists below) it returns null and the leaf goes to postal-mime as before.
 */
import type { MimeEntity } from './structure.ts';

/** A text leaf decoded: its text, or nothing when it decodes to the empty string (as postal-mime reports it). */
export type TextLeaf = { kind: 'text'; value: string } | { kind: 'html'; value: string } | { kind: 'empty' };

/** The content fields of a leaf's header that decide how its body is read (first occurrence each, unfolded, trimmed). */
interface ContentFields {
  type?: string;
  encoding?: string;
  disposition?: string;
}

/**
 * Charset labels decoded here: the ASCII-compatible ones mail mostly uses. Each is a label of the
 * WHATWG Encoding Standard, so postal-mime's getDecoder takes it as written, and the same
 * `new TextDecoder(label)` gives the same text. Anything else goes to postal-mime (its aliases).
 */
const CHARSETS = new Set(
  [
    'utf-8 utf8 unicode-1-1-utf-8',
    'us-ascii ascii ansi_x3.4-1968 iso-8859-1 iso8859-1 iso88591 iso_8859-1 latin1 l1 cp819 windows-1252 cp1252 x-cp1252',
    'iso-8859-2 iso8859-2 iso_8859-2 latin2 iso-8859-3 iso-8859-4 iso-8859-5 iso-8859-6 iso-8859-7 iso-8859-8 iso-8859-8-i',
    'iso-8859-9 iso8859-9 latin5 iso-8859-10 iso-8859-11 iso-8859-13 iso-8859-14 iso-8859-15 iso8859-15 iso_8859-15 l9',
    'windows-1250 cp1250 windows-1251 cp1251 windows-1253 cp1253 windows-1254 cp1254 windows-1255 cp1255',
    'windows-1256 cp1256 windows-1257 cp1257 windows-1258 cp1258 windows-874 koi8-r koi8-u',
  ]
    .join(' ')
    .split(' '),
);

/** One shared decoder per label (never used with `stream`, so sharing is safe); null when this runtime lacks it. */
const decoders = new Map<string, TextDecoder | null>();

function decoderFor(charset: string | undefined): TextDecoder | null {
  // postal-mime's getDecoder: a missing or empty charset is UTF-8; the label is trimmed and lowercased.
  const label = (charset || 'utf8').trim().toLowerCase();
  if (!CHARSETS.has(label)) return null;
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label);
    } catch {
      d = null;
    }
    decoders.set(label, d);
  }
  return d;
}

const WSP = (c: number | undefined): boolean => c === 0x20 || c === 0x09;
const trimWsp = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * The three content fields of the header block [start, end), read the way postal-mime reads them:
 * lines split at LF with trailing CRs dropped, continuation lines (SP / HT) unfolded onto their
 * field, the name being what precedes the first ':' (WSP-trimmed, any case), the first occurrence
 * winning. Null when the block is one postal-mime might read differently: it starts with a
 * continuation line, or a content field holds a bare CR.
 */
function contentFields(raw: Uint8Array, start: number, end: number): ContentFields | null {
  const fields: ContentFields = {};
  if (WSP(raw[start])) return null;
  let pos = start;
  while (pos < end) {
    // A field: its first line and the continuation lines after it.
    let fieldEnd = pos;
    do {
      while (fieldEnd < end && raw[fieldEnd] !== 0x0a) fieldEnd++;
      if (fieldEnd < end) fieldEnd++;
    } while (fieldEnd < end && WSP(raw[fieldEnd]));
    const c = raw[pos];
    // Only fields whose name starts with 'c' can matter; the rest are skipped unread.
    if (c === 0x43 || c === 0x63) {
      const text = unfold(raw, pos, fieldEnd);
      const colon = text.indexOf(':');
      const name = trimWsp(colon < 0 ? text : text.slice(0, colon)).toLowerCase();
      const key = name === 'content-type' ? 'type' : name === 'content-transfer-encoding' ? 'encoding' : name === 'content-disposition' ? 'disposition' : null;
      if (key !== null && fields[key] === undefined) {
        const value = colon < 0 ? '' : text.slice(colon + 1);
        if (value.includes('\r')) return null;
        fields[key] = trimWsp(value);
      }
    }
    pos = fieldEnd;
  }
  return fields;
}

/** The lines of [start, end) without their LFs and trailing CRs, joined, as Latin-1 (only ASCII values are used). */
function unfold(raw: Uint8Array, start: number, end: number): string {
  let out = '';
  let pos = start;
  while (pos < end) {
    let lf = pos;
    while (lf < end && raw[lf] !== 0x0a) lf++;
    let e = lf;
    while (e > pos && raw[e - 1] === 0x0d) e--;
    out += Buffer.from(raw.buffer, raw.byteOffset + pos, e - pos).toString('latin1');
    pos = lf + 1;
  }
  return out;
}

/**
 * A Content-Type simple enough that postal-mime's parser, ours (params.ts) and this one agree on it:
 * ASCII, a type/subtype token, `; name=value` parameters with token or plain quoted values (no
 * backslash), no comments, no RFC 2231 names. Anything else: null.
 */
const SIMPLE_CONTENT_TYPE =
  /^([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)[ \t]*((?:;[ \t]*[a-z0-9_.-]+[ \t]*=[ \t]*(?:"[^"\\\r\n]*"|[^\s;"()\\]+)[ \t]*)*);?[ \t]*$/i;
const PARAM = /;[ \t]*([a-z0-9_.-]+)[ \t]*=[ \t]*(?:"([^"]*)"|([^\s;"]+))/gi;

function simpleContentType(value: string): { type: string; params: Record<string, string> } | null {
  const m = SIMPLE_CONTENT_TYPE.exec(value);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(PARAM)) {
    const key = (p[1] ?? '').toLowerCase();
    if (!Object.prototype.hasOwnProperty.call(params, key)) params[key] = p[2] ?? p[3] ?? '';
  }
  return { type: (m[1] ?? '').toLowerCase(), params };
}

type Encoding = 'plain' | 'quoted-printable' | 'base64';

function encodingOf(value: string | undefined): Encoding | null {
  if (value === undefined) return 'plain';
  switch (value.toLowerCase()) {
    case '7bit':
    case '8bit':
    case 'binary':
      return 'plain';
    case 'quoted-printable':
      return 'quoted-printable';
    case 'base64':
      return 'base64';
    default:
      return null;
  }
}

/** parse.ts sends flowed text to postal-mime under this charset (overrideType) and unflows it itself. */
const OVERRIDE_CHARSET = /^[A-Za-z0-9._:+-]{1,40}$/;
const FLOWED = /^flowed$/i;

/**
 * The leaf's text as postal-mime would give it for `raw.subarray(e.start, e.end)` (with parse.ts's
 * Content-Type override for flowed text); `flowed` tells the caller to unflow it. Null when this
 * leaf is not one the fast path is sure about.
 */
export function decodeTextLeaf(raw: Uint8Array, e: MimeEntity): { leaf: TextLeaf; flowed: boolean } | null {
  if (e.type !== 'text/plain' && e.type !== 'text/html') return null;
  const fields = contentFields(raw, e.start, e.bodyStart);
  if (!fields) return null;
  if ((fields.type !== undefined) !== e.declared) return null;
  const ct = fields.type === undefined ? { type: 'text/plain', params: {} as Record<string, string> } : simpleContentType(fields.type);
  if (!ct || ct.type !== e.type) return null;
  if (fields.disposition !== undefined && !/^inline[ \t]*(;[^()]*)?$/i.test(fields.disposition)) return null;
  const encoding = encodingOf(fields.encoding);
  if (encoding === null) return null;
  // parse.ts decides flowed from the scan's parameters; postal-mime would decide from its own
  // (and unflow text/html too): they must agree here.
  const flowed = e.type === 'text/plain' && FLOWED.test(e.params.format ?? '');
  if (FLOWED.test(ct.params.format ?? '') !== flowed) return null;
  let charset = ct.params.charset;
  if (flowed) charset = OVERRIDE_CHARSET.test(e.params.charset ?? '') ? e.params.charset : undefined;
  const decoder = decoderFor(charset);
  if (!decoder) return null;

  const body = raw.subarray(e.bodyStart, e.end);
  const bytes = encoding === 'base64' ? decodeBase64(body) : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : joinLines(body);
  const text = decoder.decode(bytes);
  if (text === '') return { leaf: { kind: 'empty' }, flowed };
  return { leaf: { kind: e.type === 'text/html' ? 'html' : 'text', value: text }, flowed };
}

/**
 * postal-mime's pass-through: every line (split at LF, trailing CRs dropped) followed by one LF;
 * a last line without LF gets one too. The bytes themselves when that changes nothing.
 */
export function joinLines(body: Uint8Array): Uint8Array {
  const n = body.length;
  if (n === 0 || (body[n - 1] === 0x0a && body.indexOf(0x0d) < 0)) return body;
  const out = new Uint8Array(n + 1);
  let o = 0;
  let lineOut = 0;
  for (let i = 0; i < n; i++) {
    const c = body[i] as number;
    if (c === 0x0a) {
      while (o > lineOut && out[o - 1] === 0x0d) o--;
      out[o++] = 0x0a;
      lineOut = o;
    } else {
      out[o++] = c;
    }
  }
  if (body[n - 1] !== 0x0a) {
    while (o > lineOut && out[o - 1] === 0x0d) o--;
    out[o++] = 0x0a;
  }
  return out.subarray(0, o);
}

function hexNibble(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Quoted-printable as postal-mime decodes it, line by line (split at LF, trailing CRs dropped): a
 * final '=' is a soft line break (no LF), "=XX" with two hex digits (either case) is that byte, an
 * '=' without them stays as it is; every other line ends with an LF. Trailing whitespace is kept.
 */
export function decodeQuotedPrintable(body: Uint8Array): Uint8Array {
  const n = body.length;
  const out = new Uint8Array(n + 1);
  let o = 0;
  let pos = 0;
  while (pos < n) {
    let lf = body.indexOf(0x0a, pos);
    if (lf < 0) lf = n;
    let end = lf;
    while (end > pos && body[end - 1] === 0x0d) end--;
    const soft = end > pos && body[end - 1] === 0x3d;
    const len = soft ? end - 1 : end;
    for (let i = pos; i < len; i++) {
      const c = body[i] as number;
      if (c === 0x3d && i + 2 < len) {
        const hi = hexNibble(body[i + 1]);
        const lo = hexNibble(body[i + 2]);
        if (hi >= 0 && lo >= 0) {
          out[o++] = (hi << 4) | lo;
          i += 2;
          continue;
        }
      }
      out[o++] = c;
    }
    if (!soft) out[o++] = 0x0a;
    pos = lf + 1;
  }
  return out.subarray(0, o);
}

/** Base64 alphabet → value; -2 for '=', -1 for everything else (skipped). */
const B64 = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
B64[0x3d] = -2;

/**
 * Base64 as postal-mime decodes it: every byte outside the alphabet is skipped (whitespace,
 * garbage, 8-bit bytes); a run of '=' ends a unit, and each unit decodes on its own, a trailing
 * group of 2 or 3 characters giving 1 or 2 bytes and a lone character none.
 */
export function decodeBase64(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((body.length * 3) / 4) + 3);
  let o = 0;
  let acc = 0;
  let k = 0;
  for (let i = 0; i < body.length; i++) {
    const v = B64[body[i] as number] as number;
    if (v >= 0) {
      acc = (acc << 6) | v;
      if (++k === 4) {
        out[o++] = acc >> 16;
        out[o++] = (acc >> 8) & 0xff;
        out[o++] = acc & 0xff;
        acc = 0;
        k = 0;
      }
    } else if (v === -2 && k > 0) {
      o = flushGroup(out, o, acc, k);
      acc = 0;
      k = 0;
    }
  }
  if (k > 0) o = flushGroup(out, o, acc, k);
  return out.subarray(0, o);
}

/** The bytes of an incomplete group of `k` characters (1 to 3) holding `acc`. */
function flushGroup(out: Uint8Array, o: number, acc: number, k: number): number {
  if (k === 2) {
    out[o++] = (acc >> 4) & 0xff;
  } else if (k === 3) {
    out[o++] = (acc >> 10) & 0xff;
    out[o++] = (acc >> 2) & 0xff;
  }
  return o;
}
