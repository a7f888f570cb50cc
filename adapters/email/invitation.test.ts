import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkInviteLink, formatInvitationHeader, invitationIn, MAX_INVITE_LINK, parseInvitationHeader } from './invitation.ts';
import { splitHeaderFields } from './mime/headers.ts';

const LINK = `switchboard://invite/1/${randomBytes(2_240).toString('base64url')}`;
const where = { mailbox: 'INBOX', uid: 7 };

/** The value as a mail parser sees it: the header written out, then unfolded. */
function roundTrip(value: string): string {
  const [field] = splitHeaderFields(`Switchboard-Invite: ${value}\r\n\r\n`);
  return field?.value ?? '';
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('formatInvitationHeader', () => {
  it('folds a 3 000-character link into quoted RFC 2231 sections on short lines', () => {
    expect(LINK.length).toBeGreaterThanOrEqual(3_000);
    const value = formatInvitationHeader(LINK);
    const lines = `Switchboard-Invite: ${value}`.split('\r\n');
    expect(lines[0]).toBe('Switchboard-Invite: v=1;');
    expect(lines[1]).toMatch(/^ link\*0="switchboard:\/\/invite\/1\/[A-Za-z0-9_-]+";$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ link\*\d+="[^"]{1,60}";?$/);
    expect(lines.at(-1)).not.toMatch(/;$/);
  });

  it('round-trips through folding and unfolding, short and long links alike', () => {
    for (const link of [LINK, 'switchboard://invite/1/abc', `switchboard://invite/1/${'A'.repeat(MAX_INVITE_LINK - 23)}`]) {
      expect(parseInvitationHeader(roundTrip(formatInvitationHeader(link)))).toEqual({ ok: true, link });
    }
  });

  it('refuses a link it would not accept back', () => {
    expect(() => formatInvitationHeader('https://example.org/x')).toThrow(/not a switchboard:\/\/invite\//);
    expect(() => formatInvitationHeader('switchboard://invite/1/a"b')).toThrow(/characters/);
    expect(() => formatInvitationHeader('switchboard://invite/1/a\r\nBcc: x@evil.test')).toThrow(/characters/);
    expect(() => formatInvitationHeader(`switchboard://invite/1/${'a'.repeat(MAX_INVITE_LINK)}`)).toThrow(/at most/);
  });
});

describe('parseInvitationHeader', () => {
  it('reads a whole link, tokens, case-insensitive names, extra whitespace and unknown parameters', () => {
    expect(parseInvitationHeader('v=1; link="switchboard://invite/1/abc"')).toEqual({ ok: true, link: 'switchboard://invite/1/abc' });
    expect(parseInvitationHeader('V=1;LINK*0=switchboard://invite/;  link*1="1/abc";')).toEqual({ ok: true, link: 'switchboard://invite/1/abc' });
    expect(parseInvitationHeader(' link*1="1/x" ; future="yes"; v="1"; link*0="switchboard://invite/"')).toEqual({ ok: true, link: 'switchboard://invite/1/x' });
  });

  it.each([
    ['another version', 'v=2; link="switchboard://invite/1/abc"', /version/],
    ['no version', 'link="switchboard://invite/1/abc"', /no version/],
    ['two versions', 'v=1; v=1; link="switchboard://invite/1/abc"', /twice/],
    ['no link', 'v=1', /no link/],
    ['a gap between sections', 'v=1; link*0="switchboard://invite/"; link*2="1/abc"', /misses/],
    ['a repeated section', 'v=1; link*0="switchboard://invite/"; link*0="1/abc"', /repeats/],
    ['a leading zero', 'v=1; link*00="switchboard://invite/1/abc"', /cannot read/],
    ['an encoded section', "v=1; link*0*=utf-8''switchboard%3A%2F%2Finvite%2F1%2Fabc", /cannot read/],
    ['a whole link and sections', 'v=1; link="switchboard://invite/1/a"; link*0="switchboard://invite/1/b"', /both/],
    ['two whole links', 'v=1; link="switchboard://invite/1/a"; link="switchboard://invite/1/b"', /two links/],
    ['javascript:', 'v=1; link="javascript:alert(1)//switchboard://invite/"', /not a switchboard/],
    ['another scheme', 'v=1; link="https://switchboard.example/invite/1/abc"', /not a switchboard/],
    ['bad characters', 'v=1; link="switchboard://invite/1/<script>alert(1)</script>"', /characters/],
    ['an escaped quote', 'v=1; link="switchboard://invite/1/a\\"b"', /characters/],
    ['a space', 'v=1; link="switchboard://invite/1/a b"', /characters/],
    ['an unclosed quote', 'v=1; link="switchboard://invite/1/abc', /not a list/],
    ['junk between parameters', 'v=1 garbage; link="switchboard://invite/1/abc"', /not a list/],
    ['an empty value', '', /no version/],
  ])('refuses %s', (_what, value, reason) => {
    const r = parseInvitationHeader(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('refuses a link over 10 000 characters, whole or in sections, and never says the link', () => {
    const long = `switchboard://invite/1/${'A'.repeat(20_000)}`;
    for (const value of [`v=1; link="${long}"`, roundTrip(`v=1;\r\n${long.match(/.{1,60}/g)!.map((s, i) => ` link*${i}="${s}"`).join(';\r\n')}`)]) {
      const r = parseInvitationHeader(value);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).not.toContain('AAAA');
    }
    const justOver = `switchboard://invite/1/${'A'.repeat(MAX_INVITE_LINK - 22)}`;
    expect(parseInvitationHeader(`v=1; link="${justOver}"`)).toMatchObject({ ok: false, reason: expect.stringMatching(/at most 10000/) as string });
  });

  it('stays fast on hostile input', () => {
    const started = performance.now();
    for (const value of [`v=1; link="${'\\'.repeat(19_000)}`, `v=1; ${'a='.repeat(9_000)}`, `${'; '.repeat(9_000)}x`, `v=1; link*0="${'x'.repeat(19_990)}`]) {
      expect(parseInvitationHeader(value).ok).toBe(false);
    }
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('checkInviteLink', () => {
  it('accepts what invite links are made of', () => {
    expect(checkInviteLink('switchboard://invite/1/aZ09-_.~%2B+=:/')).toEqual({ ok: true, link: 'switchboard://invite/1/aZ09-_.~%2B+=:/' });
  });
});

describe('invitationIn', () => {
  it('finds the one invite header, and ignores a malformed or repeated one with a log line without the link', () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const ok = { name: 'switchboard-invite', value: roundTrip(formatInvitationHeader(LINK)) };
    expect(invitationIn([{ name: 'subject', value: 'hi' }, ok], where)).toEqual({ link: LINK });
    expect(invitationIn([{ name: 'subject', value: 'hi' }], where)).toBeUndefined();
    expect(writes).toEqual([]);

    const secret = 'switchboard://invite/1/SECRETCAPABILITY';
    expect(invitationIn([{ name: 'switchboard-invite', value: `v=2; link="${secret}"` }], where)).toBeUndefined();
    expect(invitationIn([ok, { name: 'switchboard-invite', value: `v=1; link="${secret}"` }], where)).toBeUndefined();
    expect(writes).toHaveLength(2);
    expect(writes[0]).toMatch(/^warn email\.invitation: Ignored a malformed Switchboard-Invite header .*"uid":7.*version/);
    expect(writes[1]).toMatch(/several/);
    for (const w of writes) {
      expect(w).not.toContain('SECRETCAPABILITY');
      expect(w).not.toContain(LINK.slice(23, 60));
    }
  });
});
