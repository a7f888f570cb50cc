import PostalMime from 'postal-mime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMail } from './parse.ts';
import { scanMime } from './structure.ts';
import { DEFAULT_MIME_LIMITS, type ParseResult } from './types.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const HEAD = 'From: Ann <ann@example.com>\r\nTo: bob@example.org\r\nSubject: limits\r\nMessage-ID: <lim@example.com>\r\n';

function rejected(r: ParseResult): { reason: string; headers: Extract<ParseResult, { ok: false }>['headers'] } {
  if (r.ok) throw new Error('expected the message to be rejected');
  return r;
}

/** A message whose multiparts nest `levels` deep around one text part. */
function nested(levels: number): Uint8Array {
  const open: string[] = [`${HEAD}Content-Type: multipart/mixed; boundary="b0"\r\n\r\n`];
  for (let i = 1; i < levels; i++) open.push(`--b${i - 1}\r\nContent-Type: multipart/mixed; boundary="b${i}"\r\n\r\n`);
  const close: string[] = [];
  for (let i = levels - 1; i >= 0; i--) close.push(`--b${i}--\r\n`);
  return enc(`${open.join('')}--b${levels - 1}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n${close.join('')}`);
}

/** A flat multipart/mixed with `n` tiny text parts, built in memory. */
function manyParts(n: number): Uint8Array {
  const parts = new Array<string>(n).fill('--p\r\nContent-Type: text/plain\r\n\r\nx\r\n');
  return enc(`${HEAD}Content-Type: multipart/mixed; boundary=p\r\n\r\n${parts.join('')}--p--\r\n`);
}

describe('limits before parsing', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('rejects 1 000 nesting levels, naming the depth, without calling postal-mime', async () => {
    const spy = vi.spyOn(PostalMime, 'parse');
    const r = rejected(await parseMail(nested(1000)));
    expect(r.reason).toBe('This message nests its parts more than 20 levels deep; Switchboard shows at most 20.');
    expect(r.headers.from).toEqual({ address: 'ann@example.com', name: 'Ann' });
    expect(r.headers.messageId).toBe('lim@example.com');
    expect(spy).not.toHaveBeenCalled();
  });

  it('accepts nesting up to the limit', async () => {
    // `nested(n)` puts the text part at depth n.
    const r = await parseMail(nested(20));
    expect(r.ok && r.mail.text).toBe('deep\n');
    expect(rejected(await parseMail(nested(21))).reason).toContain('more than 20 levels');
    expect((await parseMail(nested(30), { maxDepth: 40 })).ok).toBe(true);
  });

  it('rejects 100 000 parts, counting them, without calling postal-mime', async () => {
    const spy = vi.spyOn(PostalMime, 'parse');
    const raw = manyParts(100_000);
    const r = rejected(await parseMail(raw));
    expect(r.reason).toBe('This message has at least 100 000 parts; Switchboard shows at most 500.');
    expect(r.headers.subject).toBe('limits');
    expect(spy).not.toHaveBeenCalled();
    // The scan alone, as the adapter's budget sees it (timed in the report, not asserted).
    const scan = scanMime(raw, DEFAULT_MIME_LIMITS);
    expect(scan.ok).toBe(false);
  });

  it('accepts exactly maxParts parts and honours a lower limit', async () => {
    const ok = await parseMail(manyParts(500));
    expect(ok.ok && ok.mail.text?.length).toBe(500 * 2 + 499);
    expect(rejected(await parseMail(manyParts(3), { maxParts: 2 })).reason).toBe('This message has at least 3 parts; Switchboard shows at most 2.');
  });

  it('rejects a 50 MB message by size at once, with its headers summarised', async () => {
    const spy = vi.spyOn(PostalMime, 'parse');
    const raw = new Uint8Array(50 * 1024 * 1024);
    raw.fill(0x41);
    raw.set(enc(`${HEAD}Date: Tue, 2 Jan 2024 08:00:00 +0000\r\nContent-Type: application/octet-stream\r\n\r\n`));
    const r = rejected(await parseMail(raw));
    expect(r.reason).toBe('This message is 50 MB; Switchboard shows messages up to 20 MB.');
    expect(r.headers.from?.address).toBe('ann@example.com');
    expect(r.headers.date).toBe(Date.UTC(2024, 0, 2, 8, 0, 0));
    expect(r.headers.headers.map((h) => h.name)).toEqual(['from', 'to', 'subject', 'message-id', 'date', 'content-type']);
    expect(spy).not.toHaveBeenCalled();
  });

  it('rejects an oversized header block and still summarises the start of the top-level header', async () => {
    const junk = `X-Junk: ${'a'.repeat(70)}\r\n`.repeat(3000);
    const top = rejected(await parseMail(enc(`${HEAD}${junk}\r\nbody\r\n`)));
    expect(top.reason).toBe('The header of this message is larger than 128 KB; Switchboard reads at most 128 KB per header.');
    expect(top.headers.from?.address).toBe('ann@example.com');
    const part = rejected(await parseMail(enc(`${HEAD}Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n${junk}\r\nx\r\n--q--\r\n`)));
    expect(part.reason).toContain('A part header in this message is larger than 128 KB');
  });

  it('turns anything postal-mime throws into a reason, not an exception', async () => {
    vi.spyOn(PostalMime, 'parse').mockRejectedValue(new Error('boom'));
    // An unusual charset, so the leaf goes to postal-mime (common text parts are decoded without it).
    const r = await parseMail(enc(`${HEAD}Content-Type: text/plain; charset=x-custom\r\n\r\nhello\r\n`));
    // A leaf postal-mime cannot read is kept as a file rather than failing the message.
    expect(r.ok && r.mail.attachments.map((a) => [a.mimeType, new TextDecoder().decode(a.content)])).toEqual([['application/octet-stream', 'hello\r\n']]);
  });
});
