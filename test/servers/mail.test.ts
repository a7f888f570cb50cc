import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listening, pollUntil } from './mail-process.ts';
import { mailProcessesOf, MailServerStartError, startMailServers, type MailServers } from './mail.ts';

const ALICE = { name: 'alice', password: 'alice-secret' };
const BOB = { name: 'bob', password: 'bob-secret' };

let servers: MailServers;
const clients: ImapFlow[] = [];

beforeAll(async () => {
  servers = await startMailServers({ users: [ALICE, BOB] });
});
afterAll(async () => {
  await servers.stop();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function imapLogin(user: { name: string; password: string }, s: MailServers = servers): Promise<ImapFlow> {
  const client = new ImapFlow({
    ...s.imap,
    secure: false,
    auth: { user: user.name, pass: user.password },
    logger: false,
    disableAutoIdle: true,
  });
  // A dropped connection is also emitted as 'error'; the calls that need the connection reject.
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

function submitter(user: { name: string; password: string }) {
  return createTransport({ ...servers.submission, secure: false, ignoreTLS: true, auth: { user: user.name, pass: user.password } });
}

interface Seen {
  uid: number;
  subject: string;
  messageId: string;
}

/** The messages in `mailbox` (re-selected, so new mail is seen), oldest first. */
async function listMailbox(client: ImapFlow, mailbox = 'INBOX'): Promise<Seen[]> {
  const box = await client.mailboxOpen(mailbox);
  if (box.exists === 0) return [];
  const messages = await client.fetchAll('1:*', { uid: true, envelope: true });
  return messages.map((m) => ({ uid: m.uid, subject: m.envelope?.subject ?? '', messageId: m.envelope?.messageId ?? '' }));
}

async function waitForSubject(client: ImapFlow, subject: string, timeoutMs = 5_000, mailbox = 'INBOX'): Promise<Seen> {
  let found: Seen | undefined;
  await pollUntil(async () => (found = (await listMailbox(client, mailbox)).find((m) => m.subject === subject)) !== undefined, timeoutMs);
  if (found === undefined) throw new Error(`"${subject}" not in ${mailbox} after ${timeoutMs} ms\n${servers.logs().postfix}\n${servers.logs().dovecot}`);
  return found;
}

async function rawSource(client: ImapFlow, uid: number): Promise<Buffer> {
  const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
  if (!message || message.source === undefined) throw new Error(`no source for uid ${uid}`);
  return message.source;
}

/** True while /proc shows `pid` as a process that has not exited (a zombie has exited). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('test/servers: startMailServers (Dovecot + Postfix)', () => {
  it('Alice submits to Bob through Postfix with SASL, and Bob reads it in his INBOX over IMAP within seconds', async () => {
    expect(servers.users.map((u) => u.address)).toEqual([`alice@${servers.domain}`, `bob@${servers.domain}`]);
    const bob = await imapLogin(BOB);
    const sent = Date.now();
    const info = await submitter(ALICE).sendMail({
      from: `alice@${servers.domain}`,
      to: `bob@${servers.domain}`,
      subject: 'Lunch?',
      text: 'At noon, by the fountain.',
    });
    expect(info.accepted).toEqual([`bob@${servers.domain}`]);

    const got = await waitForSubject(bob, 'Lunch?');
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(got.messageId).toBe(info.messageId);
    const source = (await rawSource(bob, got.uid)).toString('utf8');
    expect(source).toContain('At noon, by the fountain.');
    // Postfix received it from an authenticated client and handed it to Dovecot over LMTP.
    expect(source).toMatch(/Received: from [^\r\n]*\r?\n\tby mail\.\S+ \(Postfix\) with ESMTPA /);
    // Postfix logs through its postlogd, a moment after the delivery itself.
    const logged = /relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent/;
    expect(await pollUntil(() => logged.test(servers.logs().postfix), 5_000)).toBe(true);
  });

  it('refuses a wrong password at submission and at IMAP, mail without login, and mail to other domains', async () => {
    const wrong = { name: 'alice', password: 'not-her-password' };
    await expect(submitter(wrong).sendMail({ from: `alice@${servers.domain}`, to: `bob@${servers.domain}`, text: 'x' })).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    await expect(imapLogin(wrong)).rejects.toMatchObject({ authenticationFailed: true });
    await expect(imapLogin({ name: 'mallory', password: 'anything' })).rejects.toMatchObject({ authenticationFailed: true });

    const anonymous = createTransport({ ...servers.submission, secure: false, ignoreTLS: true });
    await expect(anonymous.sendMail({ from: 'someone@example.com', to: `bob@${servers.domain}`, text: 'x' })).rejects.toMatchObject({ responseCode: 554 });
    await expect(submitter(ALICE).sendMail({ from: `alice@${servers.domain}`, to: 'someone@example.com', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
  });

  it('deliverRaw puts the exact bytes in the mailbox, in call order, and IMAP sees them', async () => {
    const bob = await imapLogin(BOB);
    const before = (await listMailbox(bob)).length;
    // Bytes no MIME library would write: a Latin-1 byte in a header, an undeclared 8-bit body.
    const raw = (subject: string) => Buffer.concat([Buffer.from(`From: x@example.com\r\nTo: bob@${servers.domain}\r\nSubject: ${subject}\r\nX-Odd: caf`), Buffer.from([0xe9]), Buffer.from(`\r\nMessage-ID: <${subject}@example.com>\r\n\r\nbody \xff\r\n`, 'latin1')]);
    for (const n of [1, 2, 3]) await servers.deliverRaw('bob', raw(`raw-${n}`));

    const got = await waitForSubject(bob, 'raw-3');
    const all = await listMailbox(bob);
    expect(all).toHaveLength(before + 3);
    expect(all.slice(-3).map((m) => m.subject)).toEqual(['raw-1', 'raw-2', 'raw-3']);
    expect(Buffer.compare(await rawSource(bob, got.uid), raw('raw-3'))).toBe(0);

    // Another mailbox (created if missing), already read.
    await servers.deliverRaw(`bob@${servers.domain}`, raw('archived'), { mailbox: 'Archive/2024', seen: true });
    const archived = await waitForSubject(bob, 'archived', 5_000, 'Archive/2024');
    const flags = await bob.fetchOne(String(archived.uid), { flags: true }, { uid: true });
    expect(flags && [...(flags.flags ?? [])]).toContain('\\Seen');
    await expect(servers.deliverRaw('nobody', raw('x'))).rejects.toThrow(/no user/);
  });

  it('restartDovecot(): a connected client is dropped, then IMAP and submission work again with the mail still there', async () => {
    await servers.deliverRaw('alice', `Subject: kept\r\nMessage-ID: <kept@example.com>\r\n\r\nstill here\r\n`);
    const alice = await imapLogin(ALICE);
    const kept = await waitForSubject(alice, 'kept');
    const closed = new Promise<void>((resolve) => alice.once('close', () => resolve()));

    await servers.restartDovecot();
    await closed;

    const again = await imapLogin(ALICE);
    const after = await listMailbox(again);
    expect(after.find((m) => m.subject === 'kept')).toEqual(kept);
    await submitter(BOB).sendMail({ from: `bob@${servers.domain}`, to: `alice@${servers.domain}`, subject: 'after restart', text: 'hi' });
    await waitForSubject(again, 'after restart');
  });

  it('addUser: the new account logs in, receives mail by submission and can send', async () => {
    const carol = await servers.addUser({ name: 'carol', password: 'carol-secret' });
    expect(carol.address).toBe(`carol@${servers.domain}`);
    const inbox = await imapLogin(carol);
    await submitter(ALICE).sendMail({ from: `alice@${servers.domain}`, to: carol.address, subject: 'welcome', text: 'hi carol' });
    await waitForSubject(inbox, 'welcome');
    await expect(submitter(carol).sendMail({ from: carol.address, to: `alice@${servers.domain}`, text: 'thanks' })).resolves.toMatchObject({ accepted: [`alice@${servers.domain}`] });
  });

  it('stop() leaves no process, no listening port and no temp folder', async () => {
    const started = Date.now();
    const own = await startMailServers({ users: [ALICE] });
    const startMs = Date.now() - started;
    const ports = [own.imap.port, own.lmtp.port, own.submission.port];
    const pids = own.processes().map((p) => p.pid);
    expect(pids.length).toBeGreaterThan(4);
    // Found by the folder's name alone too (helpers come and go, so no exact comparison).
    expect(mailProcessesOf(own.dir).length).toBeGreaterThan(4);
    for (const port of ports) expect(await listening(port)).toBe(true);
    await imapLogin(ALICE, own); // a logged-in client (an imap process of the mail user) at stop time

    await own.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(mailProcessesOf(own.dir)).toEqual([]);
    for (const port of ports) expect(await listening(port)).toBe(false);
    expect(existsSync(own.dir)).toBe(false);
    await own.stop(); // idempotent
    expect(startMs).toBeLessThan(10_000);
  });

  it('a start that fails (the submission port is taken) leaves nothing running and says why', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const failed = await startMailServers({ users: [ALICE], ports: { submission: address.port } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(MailServerStartError);
      const error = failed as MailServerStartError;
      expect(error.message).toMatch(/postfix .*Address already in use/is);
      expect(error.portTaken).toBe(true);
      expect(mailProcessesOf(error.dir)).toEqual([]);
      expect(existsSync(error.dir)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
