/**
 * The first sync of a mailbox bigger than one batch, against real Dovecot: the newest batch comes
 * whole, older mail first from its headers (so the whole list is there at once), then its bodies,
 * newest first; a restart in the middle of that picks up where it stopped, with nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailServers, type MailAccount, type MailServers } from '../servers/mail.ts';
import { EmailParty, until } from '../support/email-accounts.ts';

const COUNT = 600;
let servers: MailServers;
let ada: EmailParty;

function mail(i: number): string {
  const date = new Date(Date.now() - (COUNT - i) * 60_000).toUTCString();
  return `From: Sender ${i % 7} <sender${i % 7}@switchboard.test>\r\nTo: ada@switchboard.test\r\nSubject: Note ${i}\r\nMessage-ID: <note-${i}@switchboard.test>\r\nDate: ${date}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis is note number ${i}.\r\n`;
}

beforeAll(async () => {
  servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }] });
  for (let i = 0; i < COUNT; i++) await servers.deliverRaw('ada', mail(i), { seen: i % 3 !== 0 });
  ada = new EmailParty(servers, servers.users[0] as MailAccount, { showMailFrom: 'all' });
}, 60_000);
afterAll(async () => {
  await ada?.stop();
  await servers?.stop();
});

describe('first sync of a big mailbox', () => {
  it('lists everything from headers first, then fills in the bodies, surviving a restart midway', async () => {
    await ada.start();
    // Every message is listed...
    await until(() => ada.events.filter((e) => e.type === 'message').length === COUNT, 'all messages listed', 30_000);
    // ...then stop while bodies are still coming (or just done), and start again on the same state.
    await ada.restart();
    await until(() => ada.messages().every((m) => m.text === `This is note number ${m.remoteId.match(/note-(\d+)@/)?.[1]}.`), 'every body filled in', 60_000);
    const listed = ada.events.filter((e) => e.type === 'message');
    // Nothing listed twice across the restart.
    expect(new Set(listed.map((e) => e.type === 'message' && e.remoteId)).size).toBe(COUNT);
    expect(listed).toHaveLength(COUNT);
    // The newest batch came whole; older ones waited for their bodies, which came newest first.
    const whole = listed.filter((e) => e.type === 'message' && e.text !== 'Loading…');
    expect(whole.length).toBeGreaterThanOrEqual(250);
    const bodies = ada.events.flatMap((e) => (e.type === 'message-body' ? [Number(e.remoteId.match(/note-(\d+)@/)?.[1])] : []));
    expect(bodies.length).toBeGreaterThanOrEqual(COUNT - whole.length);
    const firstPass = bodies.slice(0, 250);
    expect(firstPass).toEqual([...firstPass].sort((a, b) => b - a));
    // Read state from the server: unseen mail is new, seen mail is history.
    const m0 = ada.messages().find((m) => m.remoteId === 'note-0@switchboard.test');
    const m1 = ada.messages().find((m) => m.remoteId === 'note-1@switchboard.test');
    expect(m0?.historical).toBeUndefined();
    expect(m1?.historical).toBe(true);
  }, 120_000);

  it('big mails are fetched in batches bounded by bytes, none lost', async () => {
    const bea = await servers.addUser({ name: 'bea', password: 'bea-pw' });
    const blob = Buffer.alloc(11 * 1024 * 1024, 'a').toString('base64').replace(/.{76}/g, '$&\r\n');
    for (let i = 0; i < 7; i++) {
      await servers.deliverRaw(
        'bea',
        `From: Big ${i} <big${i}@switchboard.test>\r\nTo: ${bea.address}\r\nSubject: Big ${i}\r\nMessage-ID: <big-${i}@switchboard.test>\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
          `--b\r\nContent-Type: text/plain\r\n\r\nBig mail ${i}\r\n--b\r\nContent-Type: application/octet-stream; name="blob.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${blob}\r\n--b--\r\n`,
      );
    }
    const party = new EmailParty(servers, bea, { showMailFrom: 'all' });
    try {
      await party.start();
      await until(() => party.received().length === 7 && !party.received().includes('Loading…'), 'all seven big mails, bodies in', 60_000);
      expect([...party.received()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `Big mail ${i}`));
      // 7 × ~15 MB do not fit one 64 MB batch: progress came in more than one step.
      const steps = party.events.filter((e) => e.type === 'sync' && e.done > 0 && e.done < e.total);
      expect(steps.length).toBeGreaterThan(0);
    } finally {
      await party.stop();
    }
  }, 120_000);
});
