/**
 * Autocrypt in a group thread, on real Dovecot + Postfix: Ada's encrypted mail to Bob and Grace
 * carries Autocrypt-Gossip, so Bob, who never had mail from Grace, can answer both of them
 * encrypted, and Grace reads it.
 */
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutocryptAccount } from '../../adapters/email/autocrypt/account.ts';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, rawMailbox, until } from '../support/email-accounts.ts';

let servers: MailServers;
let ada: EmailParty;
let bob: EmailParty;
let grace: EmailParty;
const ROOT = 'picnic-plans@switchboard.test';

async function rawWhere(user: MailAccount, match: (raw: string) => boolean): Promise<string | undefined> {
  return (await rawMailbox(servers, user)).find(match);
}

beforeAll(async () => {
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'bob', password: 'bob-pw' }, { name: 'grace', password: 'grace-pw' }] });
  const [a, b, g] = servers.users as [MailAccount, MailAccount, MailAccount];
  ada = new EmailParty(servers, a);
  bob = new EmailParty(servers, b);
  grace = new EmailParty(servers, g);
  await Promise.all([ada.start(), bob.start(), grace.start()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([ada?.stop(), bob?.stop(), grace?.stop()]);
  await servers?.stop();
});

describe('Autocrypt in a group thread', () => {
  it('gossip lets a member who never heard from another answer both encrypted', async () => {
    // Ada exchanges one mail each way with Bob and with Grace: she has both keys, each has hers.
    for (const peer of [bob, grace]) {
      await ada.sendTo(peer.user.address, `Hello ${peer.user.name}`);
      await until(() => peer.received().includes(`Hello ${peer.user.name}`), `${peer.user.name} to get Ada's hello`);
      await peer.sendTo(ada.user.address, `Hi Ada, ${peer.user.name} here`);
      await until(() => ada.received().includes(`Hi Ada, ${peer.user.name} here`), `Ada to get ${peer.user.name}'s answer`);
    }
    // Ada starts a thread with both from another mail program of hers (with her Autocrypt header),
    // with a copy to herself.
    const header = (await AutocryptAccount.open(ada.state, ada.user.address)).header();
    const smtp = createTransport({ ...servers.submission, secure: false, ignoreTLS: true, auth: { user: ada.user.name, pass: ada.user.password } });
    const sent = await smtp.sendMail({ from: ada.user.address, to: [bob.user.address, grace.user.address], bcc: ada.user.address, subject: 'Picnic plans', text: 'Picnic on Sunday?', messageId: `<${ROOT}>`, headers: { Autocrypt: header } });
    smtp.close();
    expect(sent.accepted).toHaveLength(3);
    await until(() => ada.messages().some((m) => m.conversation.kind === 'group' && m.text === 'Picnic on Sunday?'), 'the thread at Ada');
    await until(() => bob.received().includes('Picnic on Sunday?') && grace.received().includes('Picnic on Sunday?'), 'the thread at Bob and Grace');
    expect(bob.adapter.securityFacts({ accountId: bob.adapter.accountId, target: grace.user.address }).endToEnd).toBe('none');

    // Ada answers in the thread from Switchboard: encrypted to both, with gossip inside.
    const adaId = (await ada.adapter.send({ clientId: `01JGOSSIP${Date.now().toString(36)}`, accountId: ada.adapter.accountId, conversation: { kind: 'group', roomId: ROOT }, text: 'I bring the cake 🎂' })).remoteId;
    await until(() => bob.received().includes('I bring the cake 🎂') && grace.received().includes('I bring the cake 🎂'), 'both to decrypt Ada’s answer');
    const atBob = await rawWhere(bob.user, (r) => r.includes(adaId));
    expect(atBob).toMatch(/multipart\/encrypted/i);
    expect(atBob).not.toContain('cake');
    expect(atBob).not.toMatch(/^Autocrypt-Gossip:/im);

    // Bob never had mail from Grace, but has her key from the gossip: his answer to the encrypted
    // thread goes encrypted to Ada and Grace, and Grace reads it.
    const bobId = (await bob.adapter.send({ clientId: `01JGOSSIPB${Date.now().toString(36)}`, accountId: bob.adapter.accountId, conversation: { kind: 'group', roomId: ROOT }, text: 'And I bring lemonade' })).remoteId;
    await until(() => grace.received().includes('And I bring lemonade'), 'Grace to decrypt Bob’s answer');
    const atGrace = await rawWhere(grace.user, (r) => r.includes(bobId));
    expect(atGrace).toMatch(/multipart\/encrypted/i);
    expect(atGrace).not.toContain('lemonade');
    expect(grace.messages().find((m) => m.text === 'And I bring lemonade')?.facts?.endToEnd).toBe('all');
  }, 90_000);
});
