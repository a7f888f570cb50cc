/**
 * The email adapter against real Dovecot + Postfix: delivery by IDLE, threading on both sides,
 * restarts without duplicates or gaps, a Dovecot restart under a connected adapter, Sent.
 */
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, rawMailbox, until } from '../support/email-accounts.ts';

let servers: MailServers;
let ada: EmailParty;
let bob: EmailParty;

beforeAll(async () => {
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'bob', password: 'bob-pw' }, { name: 'carol', password: 'carol-pw' }] });
  const [a, b] = servers.users as [MailAccount, MailAccount];
  ada = new EmailParty(servers, a);
  bob = new EmailParty(servers, b);
  await Promise.all([ada.start(), bob.start()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([ada?.stop(), bob?.stop()]);
  await servers?.stop();
});

describe('email adapter', () => {
  it('delivers by IDLE within seconds, into the conversation with the sender', async () => {
    const sentAt = Date.now();
    await ada.sendTo(bob.user.address, 'Hello Bob, lunch tomorrow?');
    await until(() => bob.received().includes('Hello Bob, lunch tomorrow?'), 'Bob to receive it');
    const latency = Date.now() - sentAt;
    const m = bob.messages().find((x) => x.text === 'Hello Bob, lunch tomorrow?');
    expect(m?.conversation).toEqual({ kind: 'direct', peer: { address: ada.user.address, displayName: 'ada' } });
    expect(m?.sender).toMatchObject({ address: ada.user.address });
    // Bob never wrote to Ada: her first mail waits as a request.
    expect(m?.request).toBe(true);
    expect(latency).toBeGreaterThan(0);
  });

  it("threads Bob's reply into the same conversation on both sides", async () => {
    await bob.sendTo(ada.user.address, 'Yes, noon works.');
    await until(() => ada.received().includes('Yes, noon works.'), 'Ada to receive the reply');
    const reply = ada.messages().find((x) => x.text === 'Yes, noon works.');
    expect(reply?.conversation).toEqual({ kind: 'direct', peer: { address: bob.user.address, displayName: 'bob' } });
    // Ada wrote to Bob first: his reply is not a request.
    expect(reply?.request).toBeUndefined();
    // The reply continues Ada's thread: In-Reply-To names her message, the subject is "Re: ...".
    const first = ada.messages().find((x) => x.text === 'Hello Bob, lunch tomorrow?' && x.sender === 'self');
    expect(first).toBeDefined();
    const raws = await rawMailbox(servers, ada.user);
    expect(raws.some((r) => r.toLowerCase().includes(`in-reply-to: <${first!.remoteId.toLowerCase()}>`))).toBe(true);
    // Chat mail (it carries Chat-Version) keeps its made-up "Re: …" subject out of the bubble.
    expect(reply?.content?.subject).toBeUndefined();
    // Bob's own reply shows on his side too (from Sent), with the client id that joins his outbox row.
    await until(() => bob.messages().some((x) => x.sender === 'self' && x.text === 'Yes, noon works.'), "Bob's reply in his Sent");
    const own = bob.messages().find((x) => x.sender === 'self' && x.text === 'Yes, noon works.');
    expect(own?.conversation).toMatchObject({ kind: 'direct', peer: { address: ada.user.address } });
    expect(own?.clientId).toMatch(/^01JEMAIL/);
  });

  it('stores sent mail in Sent exactly once, even when the send is retried', async () => {
    const clientId = `01JRETRY${Date.now().toString(36)}`;
    const first = await ada.sendTo(bob.user.address, 'Sent only once', clientId);
    const again = await ada.sendTo(bob.user.address, 'Sent only once', clientId);
    expect(again).toBe(first);
    await until(() => bob.received().includes('Sent only once'), 'Bob to get it');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(bob.received().filter((t) => t === 'Sent only once')).toHaveLength(1);
    const sent = await rawMailbox(servers, ada.user, 'Sent');
    expect(sent.filter((r) => r.toLowerCase().includes(`message-id: <${first.toLowerCase()}>`))).toHaveLength(1);
  });

  it('restarts without duplicates and gets what arrived while it was down', async () => {
    const before = ada.messages().length;
    await ada.stop();
    await bob.sendTo(ada.user.address, 'While you were away (1)');
    await bob.sendTo(ada.user.address, 'While you were away (2)');
    await until(() => bob.messages().filter((m) => m.sender === 'self' && m.text.startsWith('While you were away')).length === 2, 'both in Bob’s Sent');
    await ada.restart();
    await until(() => ada.received().includes('While you were away (2)'), 'the mail sent while Ada was down');
    await new Promise((r) => setTimeout(r, 1_000));
    const after = ada.messages().slice(before);
    expect(after.map((m) => m.text).sort()).toEqual(['While you were away (1)', 'While you were away (2)']);
    const ids = ada.messages().map((m) => m.remoteId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reconnects by itself when Dovecot restarts under it', async () => {
    const statusesBefore = ada.events.filter((e) => e.type === 'status').length;
    await servers.restartDovecot();
    await until(() => ada.events.filter((e) => e.type === 'status').length > statusesBefore && ada.online(), 'Ada to reconnect');
    await bob.sendTo(ada.user.address, 'After the restart');
    await until(() => ada.received().includes('After the restart'), 'mail after the restart');
    expect(ada.online()).toBe(true);
  });

  it('a mail to several people is a thread of its own; replies from either side stay in it', async () => {
    const carol = servers.users[2] as MailAccount;
    const smtp = createTransport({ ...servers.submission, secure: false, ignoreTLS: true, auth: { user: carol.name, pass: carol.password } });
    await smtp.sendMail({ from: carol.address, to: [ada.user.address, bob.user.address], subject: 'Picnic on Sunday?', text: 'Who brings what?', messageId: '<picnic-root@switchboard.test>' });
    smtp.close();
    await until(() => ada.received().includes('Who brings what?') && bob.received().includes('Who brings what?'), 'both to get Carol’s mail');
    const atAda = ada.messages().find((m) => m.text === 'Who brings what?');
    expect(atAda?.conversation).toEqual({ kind: 'group', roomId: 'picnic-root@switchboard.test', title: 'Picnic on Sunday?' });
    // Ada answers in the thread: it goes to Bob and Carol, and lands in Bob's copy of the thread.
    await ada.adapter.send({ clientId: `01JGROUP${Date.now().toString(36)}`, accountId: ada.adapter.accountId, conversation: { kind: 'group', roomId: 'picnic-root@switchboard.test' }, text: 'I bring the cake.' });
    await until(() => bob.received().includes('I bring the cake.'), 'Bob to get Ada’s answer');
    const atBob = bob.messages().find((m) => m.text === 'I bring the cake.');
    expect(atBob?.conversation).toMatchObject({ kind: 'group', roomId: 'picnic-root@switchboard.test' });
    const carolsInbox = await rawMailbox(servers, carol);
    expect(carolsInbox.some((r) => /^Subject: Re: Picnic on Sunday\?/m.test(r) || /^Subject: \.\.\./m.test(r))).toBe(true);
  });

  it('lists attachments and fetches their bytes from the server when saved', async () => {
    const pdf = Buffer.from('%PDF-1.4 pretend report ' + 'x'.repeat(3000));
    const smtp = createTransport({ ...servers.submission, secure: false, ignoreTLS: true, auth: { user: bob.user.name, pass: bob.user.password } });
    await smtp.sendMail({ from: bob.user.address, to: ada.user.address, subject: 'The report', text: 'Report attached.', attachments: [{ filename: 'report.pdf', content: pdf, contentType: 'application/pdf' }] });
    smtp.close();
    await until(() => ada.received().includes('Report attached.'), 'the mail with the attachment');
    const m = ada.messages().find((x) => x.text === 'Report attached.');
    expect(m?.content?.attachments).toEqual([{ id: expect.any(String) as string, filename: 'report.pdf', mimeType: 'application/pdf', size: pdf.length }]);
    const got = await ada.adapter.fetchAttachment!(m!.remoteId, m!.content!.attachments![0]!.id);
    expect(got.filename).toBe('report.pdf');
    expect(Buffer.from(got.bytes).equals(pdf)).toBe(true);
    await expect(ada.adapter.fetchAttachment!(m!.remoteId, 'no-such-part')).rejects.toThrow(/not in the message/);
  });

  it('reports sync progress that ends complete', () => {
    const syncs = ada.events.filter((e) => e.type === 'sync');
    expect(syncs.length).toBeGreaterThan(0);
    const last = syncs.at(-1);
    expect(last?.type === 'sync' && last.done === last.total).toBe(true);
  });
});
