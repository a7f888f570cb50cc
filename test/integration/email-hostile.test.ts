/**
 * Hostile mail delivered straight into a real Dovecot mailbox: each gets a clear "could not
 * display" or a safe rendering, sync goes on, the account stays online, and nothing the mail
 * points at is ever fetched (a local HTTP server counts any request).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, until } from '../support/email-accounts.ts';

let servers: MailServers;
let ada: EmailParty;
let tracker: Server;
let hits = 0;
let trackerUrl = '';

const to = 'ada@switchboard.test';
let n = 0;
function head(subject: string, contentType: string, extra = ''): string {
  return `From: Mallory <mallory@evil.test>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <hostile-${++n}-${Date.now()}@evil.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\n${extra}Content-Type: ${contentType}\r\n\r\n`;
}

function nested(depth: number): string {
  let body = 'innermost\r\n';
  for (let i = depth; i > 0; i--) body = `--n${i}\r\nContent-Type: multipart/mixed; boundary="n${i + 1}"\r\n\r\n${body}\r\n--n${i}--\r\n`;
  return head('deeply nested', 'multipart/mixed; boundary="n1"') + body;
}

function manyParts(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`--p\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`);
  return head('100 000 parts', 'multipart/mixed; boundary="p"') + parts.join('') + '--p--\r\n';
}

function brokenEncodings(): string {
  return (
    head('=?x-unknown-charset?Q?broken=ZZ?= subject', 'multipart/mixed; boundary="b"') +
    '--b\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nBroken =ZZ quoted =4 printable\r\n' +
    '--b\r\nContent-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64@@@\r\n' +
    '--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBad bytes: \xff\xfe\xc3\r\n--b' // no closing boundary
  );
}

function huge(bytes: number): Buffer {
  const h = Buffer.from(head('a 50 MB message', 'text/plain; charset=utf-8'));
  const line = Buffer.from('x'.repeat(998) + '\r\n');
  const lines = Math.ceil(bytes / line.length);
  return Buffer.concat([h, ...Array.from({ length: lines }, () => line)]);
}

function efail(url: string): string {
  // EFAIL "direct exfiltration": an unclosed <img src= in one HTML part, an encrypted part, then
  // the closing quote, hoping a client decrypts the middle and joins the parts into one document.
  return (
    head('EFAIL', 'multipart/mixed; boundary="e"') +
    `--e\r\nContent-Type: text/html\r\n\r\n<img src="${url}/leak?\r\n` +
    '--e\r\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="x"\r\n\r\n' +
    '--x\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n' +
    '--x\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA1234567890\r\n-----END PGP MESSAGE-----\r\n--x--\r\n' +
    '--e\r\nContent-Type: text/html\r\n\r\n">\r\n--e--\r\n'
  );
}

beforeAll(async () => {
  tracker = createServer((_req, res) => {
    hits++;
    res.end('x');
  });
  await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', r));
  trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }] });
  ada = new EmailParty(servers, servers.users[0] as MailAccount, { showMailFrom: 'all' });
  await ada.start();
}, 60_000);
afterAll(async () => {
  await ada?.stop();
  await servers?.stop();
  await new Promise((r) => tracker?.close(r));
});

const bySubject = (s: string) => ada.messages().find((m) => m.content?.subject === s);

describe('a message over the download limit', () => {
  it('shows its text and lists its attachment, fetched part by part when saved', async () => {
    const photo = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < photo.length; i += 4096) photo[i] = i % 251;
    const b64 = photo.toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw =
      head('holiday photos', 'multipart/mixed; boundary="h"') +
      '--h\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere are the photos from the lake!\r\n' +
      `--h\r\nContent-Type: image/jpeg; name="lake.jpg"\r\nContent-Disposition: attachment; filename="lake.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--h--\r\n`;
    await servers.deliverRaw('ada', raw);
    await until(() => !!bySubject('holiday photos'), 'the large message', 60_000);
    const m = bySubject('holiday photos');
    expect(m?.text).toBe('Here are the photos from the lake!');
    expect(m?.content?.problem).toBeUndefined();
    expect(m?.content?.attachments).toEqual([{ id: expect.stringMatching(/^part:/) as string, filename: 'lake.jpg', mimeType: 'image/jpeg', size: expect.any(Number) as number }]);
    const att = await ada.adapter.fetchAttachment!(m!.remoteId, m!.content!.attachments![0]!.id);
    expect(att.filename).toBe('lake.jpg');
    expect(Buffer.from(att.bytes).equals(photo)).toBe(true);
  }, 90_000);
});

describe('hostile mail in the mailbox', () => {
  it('each gets a clear reason or a safe rendering, sync goes on, nothing is fetched', async () => {
    await servers.deliverRaw('ada', nested(1_000));
    await servers.deliverRaw('ada', manyParts(100_000));
    await servers.deliverRaw('ada', Buffer.from(brokenEncodings(), 'latin1'));
    await servers.deliverRaw('ada', huge(50 * 1024 * 1024));
    await servers.deliverRaw('ada', efail(trackerUrl));
    // Fields core could not store as they are: a date before 1970, a huge name, a huge Message-ID.
    await servers.deliverRaw('ada', `From: ${'N'.repeat(5_000)} <long@evil.test>\r\nTo: ${to}\r\nSubject: odd fields\r\nMessage-ID: <${'x'.repeat(5_000)}@evil.test>\r\nDate: Thu, 01 Jan 1970 00:00:00 +0100\r\n\r\nOdd fields, still a message.\r\n`);
    // Extortion spam "from" the user's own address.
    await servers.deliverRaw('ada', `From: Ada <${to}>\r\nTo: ${to}\r\nSubject: I hacked your account\r\nMessage-ID: <forged-self-${Date.now()}@evil.test>\r\nDate: ${new Date().toUTCString()}\r\n\r\nPay me in bitcoin.\r\n`);
    await servers.deliverRaw('ada', head('after the storm', 'text/plain; charset=utf-8') + 'A normal message after all that.\r\n');
    await until(() => ada.received().includes('A normal message after all that.'), 'the normal mail after the hostile ones', 60_000);

    const deep = bySubject('deeply nested');
    expect(deep?.content?.problem).toMatch(/nest/i);
    expect(deep?.text).toMatch(/^Could not display this message/);
    const parts = bySubject('100 000 parts');
    expect(parts?.content?.problem).toMatch(/parts/i);
    const big = bySubject('a 50 MB message');
    expect(big?.content?.problem).toMatch(/50 MB/);
    const broken = ada.messages().find((m) => m.text.includes('Broken'));
    expect(broken?.content?.problem).toBeUndefined();
    expect(broken?.text).toContain('printable');
    const ef = bySubject('EFAIL');
    expect(ef).toBeDefined();
    // Only the first HTML part, never joined with what follows, and the fake ciphertext never decrypted.
    expect(ef?.content?.html ?? '').not.toContain('">');
    expect(ef?.content?.html ?? '').not.toContain('PGP MESSAGE');
    // Every problem was also reported as an error event naming the sender.
    expect(ada.errors().filter((e) => e.includes('mallory@evil.test')).length).toBeGreaterThanOrEqual(3);
    const odd = ada.messages().find((m) => m.text === 'Odd fields, still a message.');
    expect(odd?.sentAt).toBe(0);
    expect(odd?.remoteId.length).toBeLessThan(1000);
    expect(odd?.sender !== 'self' && odd?.sender.displayName?.length).toBeLessThanOrEqual(200);
    // Mail in INBOX claiming to be from the account itself is not shown as the user's own.
    const forged = ada.messages().find((m) => m.text === 'Pay me in bitcoin.');
    expect(forged?.sender).toEqual({ address: to, displayName: 'Unverified: someone using your address' });
    // This account shows mail from everyone: nothing here is a request.
    expect(ada.messages().every((m) => m.request === undefined)).toBe(true);
    expect(ada.online()).toBe(true);
    expect(hits).toBe(0);
  }, 90_000);
});
