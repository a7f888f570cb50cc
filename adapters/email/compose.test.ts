import PostalMime, { type Email } from 'postal-mime';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutocryptAccount } from './autocrypt/account.ts';
import { parseAutocryptHeader } from './autocrypt/header.ts';
import { MemoryStateStore } from './autocrypt/memory-store.ts';
import { composeEncrypted, composePlain, type OutgoingMail } from './compose.ts';
import { parseInvitationHeader } from './invitation.ts';
import { parseMail } from './mime/parse.ts';

let alice: AutocryptAccount;
let bob: AutocryptAccount;
let carol: AutocryptAccount;
let dave: AutocryptAccount;

beforeAll(async () => {
  const open = (address: string) => AutocryptAccount.open(new MemoryStateStore(), address);
  [alice, bob, carol, dave] = await Promise.all([open('alice@example.org'), open('bob@example.net'), open('carol@example.com'), open('dave@example.org')]);
});

const SUBJECT = 'Grüße aus Köln — und ein Betreff, der lang genug ist, um gefaltet zu werden';
const LONG_LINE = `Dieser Satz ist lang: ${'ä'.repeat(30)} ${'word '.repeat(30)}Ende.`;
const TEXT = `Hallo Bob,\n\nschön, dass es klappt. Ünïcödé ✓ 日本語\n${LONG_LINE}\n-- \nAlice`;

function mail(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    from: { address: 'alice@example.org', name: 'Alice Ärger' },
    to: [{ address: 'bob@example.net', name: 'Bob' }],
    subject: SUBJECT,
    messageId: 'Mr.abc123.def@example.org',
    inReplyTo: 'Mr.prev@example.net',
    references: ['Mr.first@example.org', '<Mr.prev@example.net>'],
    date: new Date('2024-05-01T10:00:00Z'),
    text: TEXT,
    autocrypt: alice.header(),
    ...overrides,
  };
}

const INVITE = `switchboard://invite/1/${'Qm9i'.repeat(750)}`;

/** The link in the top-level `Switchboard-Invite` header of a message, as the adapter reads it. */
async function inviteIn(bytes: Uint8Array): Promise<string | undefined> {
  const parsed = await parseMail(bytes);
  const value = parsed.ok ? parsed.mail.headers.find((h) => h.name === 'switchboard-invite')?.value : undefined;
  const r = value === undefined ? undefined : parseInvitationHeader(value);
  return r?.ok ? r.link : undefined;
}

const header = (email: Email, key: string) => email.headers.filter((h) => h.key === key).map((h) => h.value);
const raw = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

function expectWellFormed(bytes: Uint8Array): void {
  const text = raw(bytes);
  expect(text).not.toMatch(/[^\r]\n/); // CRLF line endings only
  for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
}

describe('composePlain', () => {
  it('writes a text/plain UTF-8 chat mail that parses back with every header and the exact text', async () => {
    const bytes = await composePlain(mail({ cc: [{ address: 'carol@example.com', name: 'Carol' }] }));
    expectWellFormed(bytes);
    expect(raw(bytes)).toMatch(/^Content-Transfer-Encoding: quoted-printable$/m);
    expect(raw(bytes)).toMatch(/^Content-Type: text\/plain; charset=utf-8$/m);

    const email = await PostalMime.parse(bytes);
    expect(email.messageId).toBe('<Mr.abc123.def@example.org>');
    expect(email.inReplyTo).toBe('<Mr.prev@example.net>');
    expect(email.references).toBe('<Mr.first@example.org> <Mr.prev@example.net>');
    expect(email.subject).toBe(SUBJECT);
    expect(email.from).toEqual({ address: 'alice@example.org', name: 'Alice Ärger' });
    expect(email.to).toEqual([{ address: 'bob@example.net', name: 'Bob' }]);
    expect(email.cc).toEqual([{ address: 'carol@example.com', name: 'Carol' }]);
    expect(new Date(email.date ?? '').toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(email.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(TEXT);
    expect(header(email, 'chat-version')).toEqual(['1.0']);
    const autocrypt = header(email, 'autocrypt');
    expect(autocrypt).toHaveLength(1);
    const ac = parseAutocryptHeader(autocrypt[0] ?? '');
    expect(ac).toMatchObject({ addr: 'alice@example.org', preferEncrypt: 'mutual' });
    expect(Buffer.from(ac?.keydata ?? []).equals(Buffer.from(alice.publicKey))).toBe(true);
  });

  it('sends short ASCII text as 7bit and leaves out absent reply headers', async () => {
    const bytes = await composePlain(mail({ text: 'Hi Bob', subject: 'Hi', inReplyTo: undefined, references: undefined }));
    expect(raw(bytes)).toMatch(/^Content-Transfer-Encoding: 7bit$/m);
    const email = await PostalMime.parse(bytes);
    expect(email.text?.trim()).toBe('Hi Bob');
    expect(email.inReplyTo).toBeUndefined();
    expect(email.references).toBeUndefined();
  });

  it('refuses a bad Message-ID, an Autocrypt header for someone else, and an injected header line', async () => {
    await expect(composePlain(mail({ messageId: '<x@y>' }))).rejects.toThrow(/not a Message-ID/);
    await expect(composePlain(mail({ autocrypt: bob.header() }))).rejects.toThrow(/Autocrypt header is for bob@example.net/);
    const injected = `_x=\r\nBcc: eve@example.org; ${alice.header()}`;
    await expect(composePlain(mail({ autocrypt: injected }))).rejects.toThrow(/folded with CRLF followed by whitespace/);
  });

  it('carries an invite in a folded Switchboard-Invite header, and none without one', async () => {
    const bytes = await composePlain(mail({ invitation: INVITE }));
    expectWellFormed(bytes);
    expect(raw(bytes)).toMatch(/^Switchboard-Invite: v=1;\r\n link\*0="switchboard:\/\/invite\/1\//m);
    expect(await inviteIn(bytes)).toBe(INVITE);
    expect(raw(await composePlain(mail()))).not.toMatch(/Switchboard-Invite/i);
    await expect(composePlain(mail({ invitation: 'switchboard://invite/1/x\r\nBcc: eve@example.org' }))).rejects.toThrow(/characters/);
  });
});

describe('composeEncrypted', () => {
  async function decryptFor(account: AutocryptAccount, bytes: Uint8Array) {
    const outer = await PostalMime.parse(bytes, { attachmentEncoding: 'utf8' });
    const part = outer.attachments.find((a) => a.filename === 'encrypted.asc');
    expect(part?.mimeType).toBe('application/octet-stream');
    expect(typeof part?.content).toBe('string');
    const { mime, signed, signerFingerprint } = await account.decrypt(part?.content as string, [alice.publicKey]);
    return { outer, inner: await PostalMime.parse(mime), innerRaw: raw(mime), signed, signerFingerprint };
  }

  it('hides body and subject, carries protected headers and gossip inside, and Bob reads it signed by Alice', async () => {
    const m = mail({ to: [{ address: 'bob@example.net', name: 'Bob' }, { address: 'carol@example.com', name: 'Carol' }] });
    const gossip = [
      { addr: 'bob@example.net', keydata: bob.publicKey },
      { addr: 'carol@example.com', keydata: carol.publicKey },
    ];
    const bytes = await composeEncrypted(m, alice, [bob.publicKey, carol.publicKey], gossip);
    expectWellFormed(bytes);
    const text = raw(bytes);
    for (const secret of ['Hallo Bob', 'klappt', 'Gr=C3=BC', 'Grüße', 'Köln', 'Betreff', 'Autocrypt-Gossip']) expect(text).not.toContain(secret);
    expect(text).toMatch(/^Content-Type: multipart\/encrypted; protocol="application\/pgp-encrypted";/m);
    expect(text).toMatch(/^Content-Type: application\/pgp-encrypted\r\n(?:.*\r\n)*\r\nVersion: 1\r\n/m);

    const { outer, inner, innerRaw, signed, signerFingerprint } = await decryptFor(bob, bytes);
    expect(outer.subject).toBe('...');
    expect(outer.messageId).toBe('<Mr.abc123.def@example.org>');
    expect(outer.inReplyTo).toBe('<Mr.prev@example.net>');
    expect(outer.references).toBe('<Mr.first@example.org> <Mr.prev@example.net>');
    expect(header(outer, 'chat-version')).toEqual(['1.0']);
    expect(parseAutocryptHeader(header(outer, 'autocrypt')[0] ?? '')?.addr).toBe('alice@example.org');
    expect(header(outer, 'autocrypt-gossip')).toEqual([]);

    expect(signed).toBe(true);
    expect(signerFingerprint).toBe(alice.fingerprint);
    expect(innerRaw).toMatch(/^Content-Type: multipart\/mixed; protected-headers="?v1"?;/m);
    expect(inner.subject).toBe(SUBJECT);
    expect(inner.messageId).toBe('<Mr.abc123.def@example.org>');
    expect(inner.from).toEqual({ address: 'alice@example.org', name: 'Alice Ärger' });
    expect(inner.to?.map((a) => a.address)).toEqual(['bob@example.net', 'carol@example.com']);
    expect(new Date(inner.date ?? '').toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(inner.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(TEXT);
    const gossiped = header(inner, 'autocrypt-gossip').map(parseAutocryptHeader);
    expect(gossiped.map((g) => g?.addr)).toEqual(['bob@example.net', 'carol@example.com']);
    expect(Buffer.from(gossiped[1]?.keydata ?? []).equals(Buffer.from(carol.publicKey))).toBe(true);

    expect((await decryptFor(carol, bytes)).inner.subject).toBe(SUBJECT);
    await expect(decryptFor(dave, bytes)).rejects.toThrow(/not encrypted to dave@example.org's Autocrypt key/);
  });

  it('carries an invite only among the protected headers', async () => {
    const bytes = await composeEncrypted(mail({ invitation: INVITE }), alice, [bob.publicKey], []);
    expectWellFormed(bytes);
    expect(raw(bytes)).not.toMatch(/Switchboard-Invite/i);
    expect(raw(bytes)).not.toContain('Qm9iQm9i');
    const { innerRaw, signed } = await decryptFor(bob, bytes);
    expect(signed).toBe(true);
    expect(await inviteIn(new TextEncoder().encode(innerRaw))).toBe(INVITE);
  });

  it('gossips nothing in a 1:1 mail', async () => {
    const bytes = await composeEncrypted(mail(), alice, [bob.publicKey], [{ addr: 'bob@example.net', keydata: bob.publicKey }]);
    const { inner } = await decryptFor(bob, bytes);
    expect(header(inner, 'autocrypt-gossip')).toEqual([]);
    expect(inner.text).toContain('schön');
  });

  it('refuses gossip for a non-recipient or with a key the mail is not encrypted to, and a foreign sender', async () => {
    const two = mail({ cc: [{ address: 'carol@example.com', name: '' }] });
    await expect(composeEncrypted(two, alice, [bob.publicKey, carol.publicKey], [{ addr: 'dave@example.org', keydata: dave.publicKey }])).rejects.toThrow(
      /dave@example.org, who is not a To\/Cc recipient/,
    );
    await expect(composeEncrypted(two, alice, [bob.publicKey, carol.publicKey], [{ addr: 'carol@example.com', keydata: dave.publicKey }])).rejects.toThrow(
      /not one the mail is encrypted to/,
    );
    await expect(composeEncrypted(mail(), bob, [alice.publicKey], [])).rejects.toThrow(/signed by bob@example.net's key/);
  });
});
