import { describe, expect, it } from 'vitest';
import { parseMailDate } from './headers.ts';
import { parseHeaderSummary } from './parse.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseHeaderSummary', () => {
  it('reads a header-only fetch as IMAP returns it (CRLF, trailing blank line)', () => {
    const h = parseHeaderSummary(bytes([
      'Message-ID: <abc@example.com> ',
      'In-Reply-To: <parent@example.com> (Ann\'s message of Mon)',
      'References: <root@example.com>',
      '\t<mid@example.com>   <parent@example.com>',
      'From: "Müller, Jörg" <Joerg@Example.DE>',
      'To: a@x.com',
      'To: b@y.com',
      'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
      'Date: Wed, 3 Jan 2024 12:34:56 -0500 (EST)',
      '',
      '',
    ].join('\r\n')));
    expect(h).toEqual({
      messageId: 'abc@example.com',
      inReplyTo: 'parent@example.com',
      references: ['root@example.com', 'mid@example.com', 'parent@example.com'],
      from: { address: 'joerg@example.de', name: 'Müller, Jörg' },
      to: [{ address: 'a@x.com', name: '' }, { address: 'b@y.com', name: '' }],
      cc: [],
      replyTo: [],
      subject: 'Grüße',
      date: Date.UTC(2024, 0, 3, 17, 34, 56),
      headers: [
        { name: 'message-id', value: '<abc@example.com>' },
        { name: 'in-reply-to', value: "<parent@example.com> (Ann's message of Mon)" },
        { name: 'references', value: '<root@example.com>\t<mid@example.com>   <parent@example.com>' },
        { name: 'from', value: '"Müller, Jörg" <Joerg@Example.DE>' },
        { name: 'to', value: 'a@x.com' },
        { name: 'to', value: 'b@y.com' },
        { name: 'subject', value: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=' },
        { name: 'date', value: 'Wed, 3 Jan 2024 12:34:56 -0500 (EST)' },
      ],
    });
  });

  it('copes with bare LF, no trailing blank line, an mbox line, garbage and missing fields', () => {
    const h = parseHeaderSummary(bytes('From someone@example.com Mon Jan  1 00:00:00 2024\n  orphan continuation\nthis line has no colon\nBad Name: ignored\nSubject : spaced name\nFrom: undisclosed-recipients:;\nDate: yesterday-ish'));
    expect(h.headers).toEqual([
      { name: 'subject', value: 'spaced name' },
      { name: 'from', value: 'undisclosed-recipients:;' },
      { name: 'date', value: 'yesterday-ish' },
    ]);
    expect(h).toMatchObject({ messageId: null, inReplyTo: null, references: [], from: null, to: [], subject: 'spaced name', date: null });
  });

  it('stops at the end of the header block when given a whole message', () => {
    const h = parseHeaderSummary(bytes('Subject: top\r\n\r\nSubject: body line\r\nFrom: x@y.z\r\n'));
    expect(h.headers).toEqual([{ name: 'subject', value: 'top' }]);
    expect(h.from).toBeNull();
  });

  it('reads 8-bit bytes (raw UTF-8, or Latin-1 line by line) and unfolds without 2047-decoding', () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: caf\u00e9 ok\r\n', 'utf8'),
      Buffer.from('From: J\xf6rg <j@example.de>\r\n', 'latin1'),
      Buffer.from('To: =?utf-8?B?w6Q=?=\r\n <a@b.c>\r\n', 'latin1'),
    ]);
    const h = parseHeaderSummary(new Uint8Array(raw));
    expect(h.subject).toBe('café ok');
    expect(h.from).toEqual({ address: 'j@example.de', name: 'Jörg' });
    expect(h.to).toEqual([{ address: 'a@b.c', name: 'ä' }]);
    expect(h.headers[2]).toEqual({ name: 'to', value: '=?utf-8?B?w6Q=?= <a@b.c>' });
  });

  it('takes message ids without brackets from broken mailers, and the first In-Reply-To id', () => {
    const h = parseHeaderSummary(bytes('Message-ID: bare-id@example.com\r\nIn-Reply-To: <one@x> <two@x>\r\nReferences: a@x, b@x <c@x>\r\n'));
    expect(h.messageId).toBe('bare-id@example.com');
    expect(h.inReplyTo).toBe('one@x');
    expect(h.references).toEqual(['c@x']);
  });

  it('returns an empty summary for an empty buffer', () => {
    expect(parseHeaderSummary(new Uint8Array(0))).toEqual({
      messageId: null, inReplyTo: null, references: [], from: null, to: [], cc: [], replyTo: [], subject: '', date: null, headers: [],
    });
  });
});

describe('parseMailDate', () => {
  it('reads RFC 5322 dates with obsolete forms and rejects what is not a date', () => {
    expect(parseMailDate('Mon, 1 Jan 2024 10:00:00 +0100')).toBe(Date.UTC(2024, 0, 1, 9));
    expect(parseMailDate('1 Jan 24 10:00 GMT')).toBe(Date.UTC(2024, 0, 1, 10));
    expect(parseMailDate('Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)')).toBe(Date.UTC(1969, 1, 14, 3, 2));
    expect(parseMailDate('Tue, 2 Jan 2024 10:00:00 PDT')).toBe(Date.UTC(2024, 0, 2, 17));
    expect(parseMailDate('2024-01-02T03:04:05Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(parseMailDate('1')).toBeNull();
    expect(parseMailDate('32 Jan 2024 10:00 +0000')).toBeNull();
    expect(parseMailDate('')).toBeNull();
  });
});
