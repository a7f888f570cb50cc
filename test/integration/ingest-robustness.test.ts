import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account } from '../../core/api/types.ts';
import { recentLogLines } from '../../core/log/logger.ts';
import { DB_FILE } from '../../core/store/open.ts';
import { makeHarness, until, type Harness } from '../support/harness.ts';
import { TYPICAL_FACTS } from '../support/test-adapter.ts';

let h: Harness;
let email: Account;
/** A second connection to the profile, as another process would hold it. */
let other: Database.Database | null = null;

beforeEach(async () => {
  h = await makeHarness();
  email = await h.addAccount('email', 'me@example.org');
  await h.core.ingest.idle(); // the account's status events, so that the queue holds only what a test pushes
});
afterEach(async () => {
  other?.close();
  other = null;
  await h.cleanup();
});

const count = (sql = 'SELECT count(*) FROM messages'): number => h.core.ctx.db.prepare(sql).pluck().get() as number;
const logged = (text: string): number => recentLogLines.filter((l) => l.includes(text)).length;

/** Makes the profile's database refuse writes: another connection holds the write lock and core does not wait for it. */
function lockDatabase(): Database.Database {
  h.core.ctx.db.pragma('busy_timeout = 0');
  other = new Database(join(h.dir, DB_FILE));
  other.exec('BEGIN IMMEDIATE');
  return other;
}

function unlockDatabase(lock: Database.Database): void {
  lock.exec('ROLLBACK');
  h.core.ctx.db.pragma('busy_timeout = 5000');
}

describe('ingest robustness', () => {
  it('a batch that fails (database locked) is retried: nothing is lost once the fault clears', async () => {
    const lock = lockDatabase();
    const retriesBefore = logged('batch not written; will retry');
    for (let i = 0; i < 100; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `m${i}`, { sentAt: i + 1 });
    let idle = false;
    const idlePromise = h.core.ingest.idle().then(() => (idle = true));
    await until(() => logged('batch not written; will retry') >= retriesBefore + 2, 'two failed attempts');
    // While the fault lasts nothing is written, nothing is dropped, and idle() keeps waiting.
    expect(count()).toBe(0);
    expect(h.core.ingest.pending).toBe(100);
    expect(idle).toBe(false);
    unlockDatabase(lock);
    await idlePromise;
    expect(count()).toBe(100);
    expect(h.core.ingest.pending).toBe(0);
    expect(count('SELECT sum(unread_count) FROM conversations')).toBe(100);
    expect(h.events.filter((e) => e.type === 'message.added')).toHaveLength(100);
  });

  it('a fault that does not clear: idle() and close() still return; events stay queued and are written later', async () => {
    const lock = lockDatabase();
    for (let i = 0; i < 10; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `m${i}`);
    await h.core.ingest.idle(); // returns after the retries give up, not when everything is written
    expect(recentLogLines.some((l) => l.includes('storage keeps failing') && l.includes('"pending":10'))).toBe(true);
    expect(h.core.ingest.pending).toBe(10);
    expect(count()).toBe(0);
    // Retries go on in the background: when the lock goes, the held events are written.
    unlockDatabase(lock);
    await until(() => h.core.ingest.pending === 0, 'the held events written', 10_000);
    expect(count()).toBe(10);
    // And shutdown on a database that stays broken does not hang.
    const lockAgain = lockDatabase();
    h.net.receive(email.id, { address: 'ada@example.com' }, 'late');
    await h.core.close();
    lockAgain.exec('ROLLBACK');
  });

  it('a poison event that fails inside its batch is logged and dropped; the events around it are stored', async () => {
    h.core.ctx.db.exec(`CREATE TEMP TRIGGER poison BEFORE INSERT ON main.messages WHEN NEW.body = 'poison'
                        BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END`);
    const before = logged('storage failed on this (already validated) event; dropped');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'first');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'poison');
    for (let i = 0; i < 5; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `after ${i}`);
    await h.core.ingest.idle();
    expect(h.core.ctx.db.prepare('SELECT body FROM messages ORDER BY seq').pluck().all()).toEqual([
      'first',
      'after 0',
      'after 1',
      'after 2',
      'after 3',
      'after 4',
    ]);
    expect(logged('storage failed on this (already validated) event; dropped')).toBe(before + 1);
    expect(h.core.ingest.pending).toBe(0);
  });

  it('a poison event that breaks its whole transaction: after retries the batch is written one event at a time', async () => {
    // RAISE(ROLLBACK) ends the batch's transaction, so every attempt of the batch fails.
    h.core.ctx.db.exec(`CREATE TEMP TRIGGER poison BEFORE INSERT ON main.messages WHEN NEW.body = 'poison'
                        BEGIN SELECT RAISE(ROLLBACK, 'refused by a test trigger'); END`);
    const retriesBefore = logged('batch not written; will retry');
    const dropsBefore = logged('storage failed on this (already validated) event; dropped');
    for (let i = 0; i < 3; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `before ${i}`);
    h.net.receive(email.id, { address: 'ada@example.com' }, 'poison');
    for (let i = 0; i < 3; i++) h.net.receive(email.id, { address: 'ada@example.com' }, `after ${i}`);
    await h.core.ingest.idle();
    expect(logged('batch not written; will retry')).toBeGreaterThanOrEqual(retriesBefore + 3);
    expect(logged('storage failed on this (already validated) event; dropped')).toBe(dropsBefore + 1);
    expect(h.core.ctx.db.prepare('SELECT body FROM messages ORDER BY seq').pluck().all()).toEqual([
      'before 0',
      'before 1',
      'before 2',
      'after 0',
      'after 1',
      'after 2',
    ]);
    // Back to whole batches afterwards: later events are stored at once.
    h.net.receive(email.id, { address: 'ada@example.com' }, 'later');
    await h.core.ingest.idle();
    expect(count()).toBe(7);
  });

  it('a big backlog is written one batch per turn: an api call is answered before it finishes', async () => {
    const TOTAL = 20_000;
    for (let i = 0; i < TOTAL; i++) h.net.receive(email.id, { address: `p${i % 20}@example.com` }, `message ${i}`, { sentAt: i + 1 });
    // A client reacts to the first message of the backlog with an api call, as the UI would.
    let asked = false;
    let storedWhenAnswered = -1;
    let addedWhenAnswered = -1;
    const answered = new Promise<void>((resolve) => {
      h.core.onEvent((e) => {
        if (e.type !== 'message.added' || asked) return;
        asked = true;
        void h.core.call('settings.get', {}).then(() => {
          storedWhenAnswered = count();
          addedWhenAnswered = h.events.filter((x) => x.type === 'message.added').length;
          resolve();
        });
      });
    });
    await h.core.ingest.idle();
    await answered;
    expect(count()).toBe(TOTAL);
    // The answer came between batches, not after the whole backlog.
    expect(storedWhenAnswered).toBeGreaterThan(0);
    expect(storedWhenAnswered).toBeLessThan(TOTAL);
    expect(addedWhenAnswered).toBeLessThan(TOTAL);
  });

  it('historical messages are stored without counting as unread', async () => {
    h.net.receive(email.id, { address: 'ada@example.com' }, 'old one', { sentAt: 1_000, historical: true });
    h.net.receive(email.id, { address: 'ada@example.com' }, 'older one', { sentAt: 500, historical: true });
    await h.core.ingest.idle();
    let conv = (await h.core.call('conversations.list', {})).items[0]!;
    expect(count()).toBe(2);
    expect(conv.unreadCount).toBe(0);
    expect(conv.lastMessagePreview).toBe('old one');
    h.net.receive(email.id, { address: 'ada@example.com' }, 'new one', { historical: false });
    await h.core.ingest.idle();
    conv = (await h.core.call('conversations.list', {})).items[0]!;
    expect(conv.unreadCount).toBe(1);
  });

  it('route facts for a differently cased address update the identity', async () => {
    h.net.receive(email.id, { address: 'ada@example.com' }, 'hi');
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    const e2e = { ...TYPICAL_FACTS.email, endToEnd: 'all' as const, identity: 'tofu' as const };
    h.events.length = 0;
    h.net.adapter(email.id).emitRaw({ type: 'route-facts', accountId: email.id, target: ' Ada@Example.COM', facts: e2e });
    await h.core.ingest.idle();
    const stored = h.core.ctx.db.prepare('SELECT facts FROM identities WHERE address = ?').pluck().get('ada@example.com') as string | null;
    expect(stored).not.toBeNull();
    expect(JSON.parse(stored!)).toEqual(e2e);
    expect(h.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === conv.id)).toBe(true);
  });

  it('an echo whose client id names a message of another conversation is dropped with a warning', async () => {
    h.net.receive(email.id, { address: 'ada@example.com' }, 'hi');
    await h.core.ingest.idle();
    const conv = (await h.core.call('conversations.list', {})).items[0]!;
    await h.core.call('messages.send', { conversationId: conv.id, text: 'mine', clientId: 'client-0002' });
    const echo = (remoteId: string, peer: string): void =>
      h.net.adapter(email.id).emitRaw({
        type: 'message', accountId: email.id, remoteId, conversation: { kind: 'direct', peer: { address: peer } },
        sender: 'self', text: 'mine', sentAt: Date.now(), clientId: 'client-0002',
      });
    const before = logged('echo names the client id of another message');
    echo('srv-1', 'Ada@example.com'); // joins the outbox row
    echo('srv-2', 'ada@example.com'); // a second echo of the same message: quietly ignored
    await h.core.ingest.idle();
    expect(logged('echo names the client id of another message')).toBe(before);
    echo('srv-3', 'bob@example.com'); // names our message to Ada in a conversation with Bob
    await h.core.ingest.idle();
    expect(logged('echo names the client id of another message')).toBe(before + 1);
    expect(h.core.ctx.db.prepare(`SELECT id, body FROM messages WHERE direction = 'out'`).all()).toEqual([{ id: 'client-0002', body: 'mine' }]);
  });
});
