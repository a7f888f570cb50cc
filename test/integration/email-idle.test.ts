/**
 * New mail without IDLE (the adapter polls with NOOP) and with IDLE re-issued every second
 * (servers drop IDLE after 29 minutes, so the adapter restarts it long before): mail still arrives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, until } from '../support/email-accounts.ts';

let servers: MailServers | undefined;
let ada: EmailParty | undefined;
afterEach(async () => {
  await ada?.stop();
  await servers?.stop();
  ada = undefined;
  servers = undefined;
});

function mail(subject: string, text: string): string {
  return `From: Bob <bob@switchboard.test>\r\nTo: ada@switchboard.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}-${Date.now()}@switchboard.test>\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`;
}

describe('new mail', () => {
  it('arrives by NOOP polling on a server without IDLE', async () => {
    // Dovecot announcing neither IDLE nor CONDSTORE/QRESYNC.
    servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }], imapCapability: 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS' });
    ada = new EmailParty(servers, servers.users[0] as MailAccount, { idleRestartMs: 1_000, showMailFrom: 'all' });
    await ada.start();
    await new Promise((r) => setTimeout(r, 500));
    await servers.deliverRaw('ada', mail('polled', 'Found by polling'));
    await until(() => ada!.received().includes('Found by polling'), 'the polled mail', 15_000);
    expect(ada.online()).toBe(true);
  });

  it('keeps arriving while IDLE is ended and re-issued', async () => {
    servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }] });
    ada = new EmailParty(servers, servers.users[0] as MailAccount, { idleRestartMs: 1_000, showMailFrom: 'all' });
    await ada.start();
    // Several IDLE restarts go by before the mail comes.
    await new Promise((r) => setTimeout(r, 3_500));
    await servers.deliverRaw('ada', mail('after restarts', 'Still listening'));
    await until(() => ada!.received().includes('Still listening'), 'the mail after IDLE restarts', 15_000);
    expect(ada.received()).toEqual(['Still listening']);
  });
});
