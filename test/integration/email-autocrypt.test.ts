/**
 * Autocrypt between two Switchboard email accounts on real Dovecot + Postfix: after one exchange
 * mail goes encrypted (the server holds no plaintext) and decrypts on the other side; a mail
 * without the Autocrypt header turns it off again, as the spec says.
 */
import { createTransport } from 'nodemailer';
import * as openpgp from 'openpgp';
import { AutocryptAccount } from '../../adapters/email/autocrypt/account.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, rawMailbox, until } from '../support/email-accounts.ts';

let servers: MailServers;
let ada: EmailParty;
let grace: EmailParty;

beforeAll(async () => {
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  const [a, g] = servers.users as [MailAccount, MailAccount];
  ada = new EmailParty(servers, a);
  grace = new EmailParty(servers, g);
  await Promise.all([ada.start(), grace.start()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([ada?.stop(), grace?.stop()]);
  await servers?.stop();
});

/** The raw source of the newest message in a mailbox whose source matches. */
async function rawWhere(user: MailAccount, match: (raw: string) => boolean, mailbox = 'INBOX'): Promise<string | undefined> {
  return (await rawMailbox(servers, user, mailbox)).reverse().find(match);
}

const facts = (p: EmailParty, text: string) => p.messages().find((m) => m.text === text)?.facts;

describe('Autocrypt between two Switchboard accounts', () => {
  it('the first mail goes in the clear, carrying the Autocrypt header', async () => {
    const id = await ada.sendTo(grace.user.address, 'First contact, in the clear');
    await until(() => grace.received().includes('First contact, in the clear'), 'Grace to receive it');
    const raw = await rawWhere(grace.user, (r) => r.includes(id));
    expect(raw).toMatch(/^Autocrypt: addr=ada@switchboard\.test;/im);
    expect(raw).toContain('First contact, in the clear');
    expect(facts(grace, 'First contact, in the clear')?.endToEnd).toBe('none');
    // Grace now has Ada's key: her route to Ada is end-to-end.
    expect(grace.adapter.securityFacts({ accountId: grace.adapter.accountId, target: ada.user.address }).endToEnd).toBe('all');
  });

  it('after one exchange the next message is encrypted on the server and decrypts on the other side', async () => {
    await grace.sendTo(ada.user.address, 'Reply from Grace');
    await until(() => ada.received().includes('Reply from Grace'), 'Ada to receive the reply');
    const secret = 'The treasure is under the third oak 7391';
    const id = await ada.sendTo(grace.user.address, secret);
    await until(() => grace.received().includes(secret), 'Grace to decrypt it');
    const raw = await rawWhere(grace.user, (r) => r.includes(id));
    expect(raw).toBeDefined();
    expect(raw).toMatch(/multipart\/encrypted/i);
    expect(raw).toContain('-----BEGIN PGP MESSAGE-----');
    expect(raw).not.toContain('treasure');
    expect(raw).not.toContain('7391');
    const got = facts(grace, secret);
    expect(got).toMatchObject({ endToEnd: 'all', forwardSecrecy: false, identity: 'tofu' });
    // Ada's own copy in Sent is encrypted too (to herself as well), and she can read it after a re-sync.
    const sentRaw = await rawWhere(ada.user, (r) => r.includes(id), 'Sent');
    expect(sentRaw).not.toContain('treasure');
    await until(() => ada.messages().some((m) => m.sender === 'self' && m.text === secret), 'Ada to see her own encrypted mail from Sent');
  });

  it('an encrypted mail without the sender’s signature is not end-to-end from them', async () => {
    // Anyone can encrypt to Ada's published key while claiming to be Grace.
    const adaKey = await openpgp.readKey({ binaryKey: (await AutocryptAccount.open(ada.state, ada.user.address)).publicKey });
    const inner = 'Content-Type: text/plain; charset=utf-8\r\n\r\nTrust me, I am Grace.\r\n';
    const armored: unknown = await openpgp.encrypt({ message: await openpgp.createMessage({ text: inner }), encryptionKeys: adaKey });
    await servers.deliverRaw(
      'ada',
      `From: ${grace.user.address}\r\nTo: ${ada.user.address}\r\nSubject: ...\r\nMessage-ID: <unsigned-${Date.now()}@evil.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\n` +
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="u"\r\n\r\n' +
        '--u\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n' +
        `--u\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n${String(armored)}\r\n--u--\r\n`,
    );
    await until(() => ada.received().includes('Trust me, I am Grace.'), 'the unsigned encrypted mail');
    expect(facts(ada, 'Trust me, I am Grace.')?.endToEnd).toBe('none');
  });

  it('a mail without the Autocrypt header resets the state: the next one goes in the clear', async () => {
    const plain = createTransport({ ...servers.submission, secure: false, ignoreTLS: true, auth: { user: grace.user.name, pass: grace.user.password } });
    await plain.sendMail({ from: grace.user.address, to: ada.user.address, subject: 'from my phone', text: 'Sent from a mail app without Autocrypt' });
    plain.close();
    await until(() => ada.received().includes('Sent from a mail app without Autocrypt'), 'Ada to receive the header-less mail');
    expect(ada.adapter.securityFacts({ accountId: ada.adapter.accountId, target: grace.user.address }).endToEnd).toBe('none');
    // The padlock moved: the adapter said so.
    expect(ada.events.some((e) => e.type === 'route-facts' && e.target === grace.user.address && e.facts.endToEnd === 'none')).toBe(true);
    const id = await ada.sendTo(grace.user.address, 'Back in the clear after the reset');
    await until(() => grace.received().includes('Back in the clear after the reset'), 'Grace to receive it');
    const raw = await rawWhere(grace.user, (r) => r.includes(id));
    expect(raw).toContain('Back in the clear after the reset');
  });
});
