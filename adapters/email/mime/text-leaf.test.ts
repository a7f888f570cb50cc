/**
 * The direct decoding of text leaves (text-leaf.ts) held against postal-mime (leaf.ts
 * `decodeLeafWithPostal`, the path every leaf took before): on hand-written hard cases and on a
 * seeded random corpus, both must give the same leaf.
 */
import { describe, expect, it } from 'vitest';
import { decodeLeaf, decodeLeafWithPostal, type Leaf } from './leaf.ts';
import { scanMime, type MimeEntity } from './structure.ts';
import { decodeTextLeaf } from './text-leaf.ts';
import { DEFAULT_MIME_LIMITS } from './types.ts';

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

const HEAD = 'From: ann@example.com\r\nTo: bob@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n';

function leaves(raw: Uint8Array): MimeEntity[] {
  const scan = scanMime(raw, DEFAULT_MIME_LIMITS);
  if (!scan.ok) throw new Error(scan.reason);
  const out: MimeEntity[] = [];
  const walk = (e: MimeEntity): void => {
    if (e.type.startsWith('multipart/')) e.children.forEach(walk);
    else out.push(e);
  };
  walk(scan.root);
  return out;
}

/** Comparable form: attachment bytes as hex. */
function plain(l: Leaf): unknown {
  return l.kind === 'attachment' ? { ...l, part: { ...l.part, content: Buffer.from(l.part.content).toString('hex') } } : l;
}

/** Every leaf of `raw` decodes the same both ways; returns how many took the direct path. */
async function agree(raw: Uint8Array): Promise<number> {
  let direct = 0;
  for (const e of leaves(raw)) {
    if (decodeTextLeaf(raw, e)) direct++;
    const ours = await decodeLeaf(raw, e, DEFAULT_MIME_LIMITS);
    const theirs = await decodeLeafWithPostal(raw, e, DEFAULT_MIME_LIMITS);
    expect(plain(ours), Buffer.from(raw).toString('latin1')).toEqual(plain(theirs));
  }
  return direct;
}

/** A single-part message with these content headers and body bytes. */
const single = (headers: string, body: Uint8Array): Uint8Array => concat(latin1(`${HEAD}${headers}\r\n`), body);

/** The same body as the first part of a multipart/alternative (a leaf ending before a delimiter), with an HTML sibling. */
const inAlternative = (headers: string, body: Uint8Array): Uint8Array =>
  concat(
    latin1(`${HEAD}Content-Type: multipart/alternative; boundary="=_b"\r\n\r\npreamble\r\n--=_b\r\n${headers}\r\n`),
    body,
    latin1('\r\n--=_b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n--=_b--\r\n'),
  );

const CASES: { name: string; headers: string; body: Uint8Array }[] = [
  { name: 'no content headers, CRLF', headers: '', body: latin1('Hello\r\nworld\r\n') },
  { name: 'no final newline', headers: 'Content-Type: text/plain\r\n', body: latin1('Hello\r\nworld') },
  { name: 'LF only', headers: 'Content-Type: text/plain; charset=utf-8\r\n', body: utf8('Grüße\nzusammen\n') },
  { name: 'mixed endings and bare CRs', headers: 'Content-Type: text/plain; charset=utf-8\r\n', body: latin1('a\r\r\nb\rc\r\n\r\n\rd\r') },
  { name: 'only CRs', headers: 'Content-Type: text/plain\r\n', body: latin1('\r\r\r') },
  { name: 'empty body', headers: 'Content-Type: text/plain\r\n', body: latin1('') },
  { name: 'one empty line', headers: 'Content-Type: text/html\r\n', body: latin1('\r\n') },
  { name: 'utf-8 BOM', headers: 'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n', body: utf8('\ufeffBOM first\r\n') },
  { name: 'invalid utf-8', headers: 'Content-Type: text/plain; charset=utf-8\r\n', body: concat(latin1('ok '), Uint8Array.from([0xc3, 0x28, 0xe2, 0x82, 0x0d, 0x0a, 0xff, 0xf0, 0x9f, 0x98])) },
  { name: 'latin-1 8bit', headers: 'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n', body: latin1('Caf\xe9 cr\xe8me \x80\x9f\r\n') },
  { name: 'windows-1252', headers: 'Content-Type: text/plain; charset="windows-1252"\r\n', body: latin1('\x80 euro \x93quoted\x94 \x85\r\n') },
  { name: 'koi8-r', headers: 'Content-Type: text/plain; charset=KOI8-R\r\n', body: latin1('\xf0\xd2\xc9\xd7\xc5\xd4\r\n') },
  {
    name: 'QP soft breaks, escapes in both cases, utf-8 split across lines',
    headers: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n',
    body: latin1('Gr=C3=\r\n=BC=c3=9fe and a very long line that is broken=\r\n here =E2=82=\r\n=AC\r\n'),
  },
  {
    name: 'QP broken escapes',
    headers: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: Quoted-Printable\r\n',
    body: latin1('=4 x\r\n=G1 =4g ==41 =\r\n= \r\na=\r\n=\r\n=3D=3d\r\n=4\r\n=41=\r\ntrailing space =20 \r\nend=0'),
  },
  {
    name: 'QP with LF endings and bare CR before a soft break',
    headers: 'Content-Type: text/plain; charset=iso-8859-15\r\nContent-Transfer-Encoding: quoted-printable\r\n',
    body: latin1('caf=E9 =A4=\r\r\nnext\n=\nlast=\r'),
  },
  {
    name: 'QP 8-bit bytes left in',
    headers: 'Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n',
    body: latin1('raw \xe9 and =E9 and =80\r\n'),
  },
  {
    name: 'base64 with garbage and padding per line',
    headers: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n',
    body: latin1(`${Buffer.from('Grüße, ').toString('base64')}\r\n  ${Buffer.from('wörld').toString('base64')} !!\r\n\xff\xfe*${Buffer.from('€').toString('base64')}\r\n`),
  },
  {
    name: 'base64 truncated groups and lone characters',
    headers: 'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: BASE64\r\n',
    body: latin1('PGI+aGk8L2I+\r\nQ\r\n=\r\nQUJD\r\nQUI=QQ==QUJ\r\nQ'),
  },
  {
    name: 'base64 utf-8 split across lines',
    headers: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n',
    body: latin1(Buffer.from('日本語のテキスト — ünïcödé 🎉'.repeat(5)).toString('base64').replace(/(.{13})/g, '$1\r\n')),
  },
  {
    name: 'format=flowed with delsp',
    headers: 'Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n',
    body: latin1('> quoted line that is  \r\n> wrapped here\r\nplain text that  \r\ncontinues\r\n-- \r\nsig\r\n'),
  },
  {
    name: 'format=flowed in QP',
    headers: 'Content-Type: text/plain; format="flowed"; charset="iso-8859-1"\r\nContent-Transfer-Encoding: quoted-printable\r\n',
    body: latin1('caf=E9 soft =\r\nand flowed \r\nline\r\n'),
  },
  { name: 'flowed with an odd charset label', headers: 'Content-Type: text/plain; format=flowed; charset=" latin1 "\r\n', body: latin1('a \r\nb\xe9\r\n') },
  { name: 'html 7bit', headers: 'Content-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n', body: latin1('<p>Hello</p>\r\n') },
  { name: 'folded Content-Type, space before the colon', headers: 'Content-Type :  text/plain;\r\n\tcharset=iso-8859-2 ;\r\n format=fixed\r\n', body: latin1('\xb1\xe6\r\n') },
  { name: 'duplicate fields: the first wins', headers: 'content-transfer-encoding: base64\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html\r\n', body: latin1('aGVsbG8=\r\n') },
  { name: 'inline disposition with a filename', headers: 'Content-Type: text/plain\r\nContent-Disposition: inline; filename="a;b.txt"\r\n', body: latin1('inline text\r\n') },
  { name: 'parameters with quotes, separators inside', headers: 'Content-Type: text/plain; name="x; charset=koi8-r"; charset=utf-8;\r\n', body: utf8('ä\r\n') },
  { name: 'decodes to nothing', headers: 'Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n', body: latin1('====\r\n!!\r\n') },
  { name: 'binary', headers: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: binary\r\n', body: utf8('bin\x00ary\r\n') },
];

describe('text leaves decoded directly agree with postal-mime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      expect(await agree(single(c.headers, c.body))).toBe(1);
      // In a multipart the leaf ends before the delimiter line; its sibling is HTML.
      expect(await agree(inAlternative(c.headers, c.body))).toBe(2);
    });
  }

  it('leaves to postal-mime what it is not sure about, with the same result', async () => {
    const unsure = [
      'Content-Type: text/plain; charset=x-unknown\r\n',
      'Content-Type: text/plain; charset=utf-16le\r\n',
      'Content-Type: text/plain; charset=shift_jis\r\n',
      'Content-Type: text/plain; charset*=utf-8\'\'iso-8859-1\r\n',
      'Content-Type: text/plain (comment); charset=utf-8\r\n',
      'Content-Type: text/plain; charset="utf\\-8"\r\n',
      'Content-Type: text/plain; flowed\r\n',
      'Content-Type: text/plain foo; charset=utf-8\r\n',
      'Content-Type: text/plain\r\nContent-Disposition: attachment\r\n',
      'Content-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n',
      'Content-Type: text/plain\r\nContent-Disposition: inline (comment)\r\n',
      'Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n',
      'Content-Type: text/plain\r\nContent-Transfer-Encoding: base64 (yes)\r\n',
      'Content-Type: text/html; format=flowed\r\n',
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\rjunk\r\n',
      'Content-Type: text/csv\r\n',
      'Content-Type\r\n : text/plain\r\n',
    ];
    for (const h of unsure) {
      const raw = single(h, latin1('Zm9v =41 caf\xe9\r\nline 2\r\n'));
      expect(await agree(raw), h).toBe(0);
    }
    // A header block that starts with a continuation line, read differently by the two parsers.
    const odd = concat(latin1(`${HEAD}Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n Content-Type: text/html\r\n\r\nx\r\n--q--\r\n`));
    expect(await agree(odd)).toBe(0);
  });

  it('agree on a seeded random corpus of encodings, charsets, line endings and damage', async () => {
    const r = rng(0x5eed);
    const charsets = ['utf-8', 'UTF-8', 'us-ascii', 'iso-8859-1', 'latin1', 'windows-1252', 'cp1252', 'iso-8859-2', 'iso-8859-15', 'windows-1251', 'koi8-r', 'iso-8859-7', ''];
    const encodings = ['', '7bit', '8bit', 'binary', 'quoted-printable', 'base64', 'Quoted-Printable', 'BASE64'];
    let direct = 0;
    for (let n = 0; n < 400; n++) {
      const charset = charsets[Math.floor(r() * charsets.length)] ?? '';
      const encoding = encodings[Math.floor(r() * encodings.length)] ?? '';
      const flowed = r() < 0.2;
      const type = !flowed && r() < 0.3 ? 'text/html' : 'text/plain';
      const content = randomContent(r, charset);
      let body = encode(content, encoding.toLowerCase(), r);
      body = withEndings(body, r);
      if (r() < 0.3) body = damage(body, r);
      const params = `${charset ? `; charset=${r() < 0.5 ? `"${charset}"` : charset}` : ''}${flowed ? `; format=flowed${r() < 0.5 ? '; delsp=yes' : ''}` : ''}`;
      const headers = `Content-Type: ${type}${params}\r\n${encoding ? `Content-Transfer-Encoding: ${encoding}\r\n` : ''}`;
      direct += await agree(r() < 0.5 ? single(headers, body) : inAlternative(headers, body));
    }
    // The corpus is all eligible except where damage hit nothing: nearly every leaf took the direct path.
    expect(direct).toBeGreaterThan(400);
  });
});

/** mulberry32. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['hello', 'Grüße', 'naïve', 'café', '日本語', 'Привет', 'Ελληνικά', '🎉', 'a', '=', '==', '=41', 'x=\t', ' ', '  ', '\t', '-- ', '>', 'From ', '€', '\u00a0'];

/** Random text bytes in the charset: UTF-8 text, or random single bytes for the 8-bit charsets. */
function randomContent(r: () => number, charset: string): Uint8Array {
  const lines: Uint8Array[] = [];
  const count = Math.floor(r() * 12);
  for (let i = 0; i < count; i++) {
    if (/utf|^$/i.test(charset)) {
      const words: string[] = [];
      const w = Math.floor(r() * 15);
      for (let k = 0; k < w; k++) words.push(WORDS[Math.floor(r() * WORDS.length)] ?? '');
      lines.push(utf8(`${words.join(r() < 0.8 ? ' ' : '')}${r() < 0.2 ? ' ' : ''}\n`));
    } else {
      const len = Math.floor(r() * 90);
      const bytes = new Uint8Array(len + 1);
      for (let k = 0; k < len; k++) bytes[k] = r() < 0.7 ? 0x20 + Math.floor(r() * 0x5f) : 0x80 + Math.floor(r() * 0x80);
      bytes[len] = 0x0a;
      lines.push(bytes);
    }
  }
  return concat(...lines);
}

/** Transfer-encode like a mailer would, with random line lengths. */
function encode(content: Uint8Array, encoding: string, r: () => number): Uint8Array {
  if (encoding === 'base64') {
    const b64 = Buffer.from(content).toString('base64');
    const width = 4 + Math.floor(r() * 80);
    return latin1(`${b64.replace(new RegExp(`(.{${width}})`, 'g'), '$1\n')}\n`);
  }
  if (encoding === 'quoted-printable') {
    const width = 10 + Math.floor(r() * 70);
    let out = '';
    let line = '';
    for (const b of content) {
      if (b === 0x0a) {
        out += `${line}\n`;
        line = '';
        continue;
      }
      const t = b === 0x3d || b >= 0x7f || (b < 0x20 && b !== 0x09) || r() < 0.05 ? `=${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b);
      if (line.length + t.length > width) {
        out += `${line}=\n`;
        line = '';
      }
      line += r() < 0.3 ? t.toLowerCase() : t;
    }
    return latin1(out + line);
  }
  return content;
}

/** LF → CRLF, LF, or a mix with stray CRs. */
function withEndings(body: Uint8Array, r: () => number): Uint8Array {
  const mode = r();
  const s = Buffer.from(body).toString('latin1');
  if (mode < 0.5) return latin1(s.replace(/\n/g, '\r\n'));
  if (mode < 0.8) return body;
  return latin1(s.replace(/\n/g, () => (r() < 0.5 ? '\r\n' : r() < 0.5 ? '\r\r\n' : '\n')));
}

/** Random damage: stray '=', CR, LF, NUL, 8-bit bytes, a cut. */
function damage(body: Uint8Array, r: () => number): Uint8Array {
  const bytes = [...body];
  const hits = 1 + Math.floor(r() * 6);
  for (let i = 0; i < hits; i++) {
    const at = Math.floor(r() * (bytes.length + 1));
    const junk = [0x3d, 0x0d, 0x0a, 0x00, 0xff, 0x20, 0x2d, 0x41][Math.floor(r() * 8)] ?? 0x3d;
    if (r() < 0.7) bytes.splice(at, 0, junk);
    else bytes.length = at;
  }
  return Uint8Array.from(bytes);
}
