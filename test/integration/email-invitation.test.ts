/**
 * Switchboard invites carried by email on real Dovecot + Postfix: the `Switchboard-Invite` header
 * survives submission and delivery folded into short lines, is read back on the other side, goes
 * only inside the encryption once Autocrypt encrypts, and a hostile header is ignored (and logged
 * without its link) while the mail and the account carry on.
 */
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { InvitationRef } from '../../adapters/contract.ts';
import { AutocryptAccount } from '../../adapters/email/autocrypt/account.ts';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, newClientId, rawMailbox, until } from '../support/email-accounts.ts';

let servers: MailServers;
let ada: EmailParty;
let grace: EmailParty;
let stderr: MockInstance<typeof process.stderr.write>;
const logged: string[] = [];

/** A realistic invite link: 3 000 characters of base64url after the prefix, no spaces. */
const newLink = (): string => `switchboard://invite/1/${randomBytes(2_250).toString('base64url')}`;

beforeAll(async () => {
  // The adapter runs in this process: its log lines are checked for leaked links.
  const write = process.stderr.write.bind(process.stderr);
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  const [a, g] = servers.users as [MailAccount, MailAccount];
  ada = new EmailParty(servers, a);
  grace = new EmailParty(servers, g);
  await Promise.all([ada.start(), grace.start()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([ada?.stop(), grace?.stop()]);
  await servers?.stop();
  stderr?.mockRestore();
});

async function sendInvite(text: string, link: string): Promise<string> {
  const r = await ada.adapter.send({ clientId: newClientId(), accountId: ada.adapter.accountId, conversation: { kind: 'direct', peer: { address: grace.user.address } }, text, invitation: { link } });
  return r.remoteId;
}

/** The raw source of the message with this Message-ID in a mailbox. */
async function rawOf(user: MailAccount, messageId: string, mailbox = 'INBOX'): Promise<string> {
  const raw = (await rawMailbox(servers, user, mailbox)).find((r) => r.includes(`<${messageId}>`));
  expect(raw, `${messageId} in ${user.name}'s ${mailbox}`).toBeDefined();
  return raw ?? '';
}

/** Whether any 24-character piece of the link's random part appears in `text`, folding and QP soft breaks removed. */
function leaks(text: string, link: string): boolean {
  const flat = text.replace(/=\r?\n/g, '').replace(/\s+/g, '');
  const secret = link.slice('switchboard://invite/1/'.length);
  for (let i = 0; i + 24 <= secret.length; i += 24) if (flat.includes(secret.slice(i, i + 24))) return true;
  return false;
}

/** A header value written by hand the way Switchboard folds it, for links the adapter would refuse to send. */
const sectioned = (link: string): string => `v=1;\r\n${(link.match(/.{1,60}/g) ?? []).map((s, i) => ` link*${i}="${s}"`).join(';\r\n')}`;

const invitationOf = (p: EmailParty, text: string, self = false): InvitationRef | undefined =>
  p.messages().find((m) => m.text.startsWith(text) && (m.sender === 'self') === self)?.content?.invitation;

describe('Switchboard invites by email', () => {
  it('a plain mail carries the link in a folded header through Postfix and Dovecot, and the receiver reads it', async () => {
    const link = newLink();
    expect(link.length).toBeGreaterThanOrEqual(3_000);
    const text = `Let's talk on Switchboard, it is end-to-end encrypted: ${link}`;
    const id = await sendInvite(text, link);
    await until(() => grace.received().some((t) => t.startsWith("Let's talk on Switchboard")), 'Grace to receive the invite');

    const raw = await rawOf(grace.user, id);
    expect(raw).not.toMatch(/multipart\/encrypted/i);
    // A new thread says what it is in the subject, not the text's first line.
    expect(raw).toMatch(/^Subject: Invitation to end-to-end encrypted chat\r?$/m);
    expect(raw).toMatch(/^Switchboard-Invite: v=1;\r?\n link\*0="switchboard:\/\/invite\/1\//m);
    for (const line of raw.split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(998);
    const headerLines = /^Switchboard-Invite:.*(?:\r?\n[ \t].*)*/m.exec(raw)?.[0].split(/\r?\n/) ?? [];
    expect(headerLines.length).toBeGreaterThan(40);
    for (const line of headerLines) expect(line.length).toBeLessThanOrEqual(78);

    expect(invitationOf(grace, "Let's talk on Switchboard")).toEqual({ link });
    // Ada's own copy in Sent carries it too; core decides what that means.
    await until(() => invitationOf(ada, "Let's talk on Switchboard", true) !== undefined, "Ada's copy from Sent");
    expect(invitationOf(ada, "Let's talk on Switchboard", true)).toEqual({ link });
  });

  it('once Autocrypt encrypts, the link travels only inside the encryption and still arrives', async () => {
    await grace.sendTo(ada.user.address, 'Sure, send me the encrypted one');
    await until(() => ada.received().includes('Sure, send me the encrypted one'), 'Ada to receive the reply');
    const link = newLink();
    const id = await sendInvite(`Encrypted invite: ${link}`, link);
    await until(() => grace.received().some((t) => t.startsWith('Encrypted invite:')), 'Grace to decrypt the invite');

    const raw = await rawOf(grace.user, id);
    expect(raw).toMatch(/multipart\/encrypted/i);
    expect(raw).not.toMatch(/Switchboard-Invite/i);
    expect(leaks(raw, link)).toBe(false);
    expect(grace.messages().find((m) => m.text.startsWith('Encrypted invite:'))?.facts?.endToEnd).toBe('all');
    expect(invitationOf(grace, 'Encrypted invite:')).toEqual({ link });

    const sent = await rawOf(ada.user, id, 'Sent');
    expect(leaks(sent, link)).toBe(false);
    await until(() => invitationOf(ada, 'Encrypted invite:', true) !== undefined, "Ada's encrypted copy from Sent");
    expect(invitationOf(ada, 'Encrypted invite:', true)).toEqual({ link });
    // Nothing logged ever holds a link.
    expect(logged.some((l) => leaks(l, link))).toBe(false);
  });

  it('ignores hostile invite headers, logs why without the link, and the account keeps working', async () => {
    const bad = `switchboard://invite/1/${'B'.repeat(20_000)}`;
    const good = newLink();
    const hostile: [string, string][] = [
      ['bad characters', 'v=1; link="switchboard://invite/1/abc<script>alert(1)</script>"'],
      ['version 2', `v=2; link="${good}"`],
      ['a 20 000-character link', sectioned(bad)],
      ['javascript:', 'v=1; link="javascript:alert(1)//switchboard://invite/1/abc"'],
      ['an injected line', 'v=1; link="switchboard://invite/1/abc\r\n Bcc: eve@evil.test"'],
    ];
    const linesBefore = logged.length;
    for (const [what, value] of hostile) {
      await servers.deliverRaw(
        'grace',
        `From: Mallory <mallory@evil.test>\r\nTo: ${grace.user.address}\r\nSubject: invite\r\nMessage-ID: <invite-${what.replace(/\W+/g, '-')}-${Date.now()}@evil.test>\r\n` +
          `Date: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nSwitchboard-Invite: ${value}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHostile invite: ${what}\r\n`,
      );
    }
    await until(() => hostile.every(([what]) => grace.received().includes(`Hostile invite: ${what}`)), 'every hostile mail');
    for (const [what] of hostile) {
      const m = grace.messages().find((x) => x.text === `Hostile invite: ${what}`);
      expect(m?.content?.invitation, what).toBeUndefined();
      expect(m?.content?.problem, what).toBeUndefined();
    }
    const warnings = logged.slice(linesBefore).filter((l) => l.includes('email.invitation'));
    expect(warnings.length).toBeGreaterThanOrEqual(hostile.length);
    expect(warnings.some((l) => l.includes('BBBBBBBB') || l.includes('script') || l.includes('javascript') || leaks(l, good))).toBe(false);

    await ada.sendTo(grace.user.address, 'Still here after the hostile invites');
    await until(() => grace.received().includes('Still here after the hostile invites'), 'mail after the hostile ones');
    expect(grace.online()).toBe(true);
  });

  it('ignores an invite header outside the encryption of an encrypted mail', async () => {
    // A valid header on the outside: anyone on the way could have added it, so it does not count.
    const graceKey = await openpgp.readKey({ binaryKey: (await AutocryptAccount.open(grace.state, grace.user.address)).publicKey });
    const inner = 'Content-Type: text/plain; charset=utf-8\r\n\r\nOuter invite only\r\n';
    const armored: unknown = await openpgp.encrypt({ message: await openpgp.createMessage({ text: inner }), encryptionKeys: graceKey });
    const link = newLink();
    await servers.deliverRaw(
      'grace',
      `From: Mallory <mallory@evil.test>\r\nTo: ${grace.user.address}\r\nSubject: ...\r\nMessage-ID: <outer-invite-${Date.now()}@evil.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\n` +
        `Switchboard-Invite: ${sectioned(link)}\r\n` +
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="u"\r\n\r\n' +
        '--u\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n' +
        `--u\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n${String(armored)}\r\n--u--\r\n`,
    );
    await until(() => grace.received().includes('Outer invite only'), 'the encrypted mail with an outer header');
    expect(invitationOf(grace, 'Outer invite only')).toBeUndefined();
  });
});
