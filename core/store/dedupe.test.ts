import { describe, expect, it } from 'vitest';
import { newId } from './ids.ts';
import { openDatabase, type Db } from './open.ts';
import { insertAccount, insertContact, insertDirectConversation, insertMessage, seedConversation } from './test-fixtures.ts';

/** Matches the error better-sqlite3 throws for a violated constraint of that kind. */
const UNIQUE = expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }) as Error;
const CHECK = expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }) as Error;

function count(db: Db, sql: string, ...params: unknown[]): number {
  return db.prepare(sql).pluck().get(...params) as number;
}

function insertGroup(db: Db, accountId: string | null, remoteId: string | null): string {
  const id = newId();
  db.prepare(
    `INSERT INTO conversations (id, kind, account_id, remote_id, title, last_activity_at, created_at)
     VALUES (?, 'group', ?, ?, 'Room', 1, 1)`,
  ).run(id, accountId, remoteId);
  return id;
}

describe('message dedupe', () => {
  it('refuses the same (account_id, remote_id) twice', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    const m = { conversationId: s.conversationId, accountId: s.accountId, remoteId: '<abc@example.org>' };
    insertMessage(db, m);
    expect(() => insertMessage(db, { ...m, body: 'again' })).toThrow(UNIQUE);
    expect(count(db, 'SELECT count(*) FROM messages')).toBe(1);
    db.close();
  });

  it('allows the same remote_id on two different accounts', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    const other = insertAccount(db);
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, remoteId: 'same' });
    insertMessage(db, { conversationId: s.conversationId, accountId: other, remoteId: 'same' });
    expect(count(db, "SELECT count(*) FROM messages WHERE remote_id = 'same'")).toBe(2);
    db.close();
  });

  it('refuses the same message id twice', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    const id = newId();
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, id, remoteId: 'r1' });
    expect(() => insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, id, remoteId: 'r2' })).toThrow(UNIQUE);
    db.close();
  });

  it('lets NULL remote ids repeat (outgoing messages before their receipt)', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    for (let i = 0; i < 3; i++) {
      insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, remoteId: null, direction: 'out' });
    }
    expect(count(db, 'SELECT count(*) FROM messages WHERE remote_id IS NULL')).toBe(3);
    db.close();
  });

  it('keeps a rolled-back duplicate out of the search index', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, remoteId: 'dup', body: 'first' });
    expect(() => insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, remoteId: 'dup', body: 'ghostword' })).toThrow(UNIQUE);
    expect(count(db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'ghostword'")).toBe(0);
    db.close();
  });

  it('never reuses a seq, so a stale last_message_seq cannot show another conversation\'s message', () => {
    const db = openDatabase(':memory:');
    // A contact reachable on two accounts; the newest message of the 1:1 came through account B.
    const a = insertAccount(db);
    const b = insertAccount(db);
    const { contactId } = insertContact(db, a);
    const direct = insertDirectConversation(db, contactId);
    insertMessage(db, { conversationId: direct, accountId: a, body: 'via a' });
    const lastSeq = insertMessage(db, { conversationId: direct, accountId: b, body: 'via b' });
    db.prepare('UPDATE conversations SET last_message_seq = ? WHERE id = ?').run(lastSeq, direct);
    // Removing account B cascades its messages away; the 1:1 stays (the contact is still on A).
    db.prepare('DELETE FROM accounts WHERE id = ?').run(b);
    const other = seedConversation(db);
    const next = insertMessage(db, { conversationId: other.conversationId, accountId: other.accountId, body: 'someone else' });
    expect(next).toBeGreaterThan(lastSeq);
    const preview = db
      .prepare('SELECT m.body FROM conversations c LEFT JOIN messages m ON m.seq = c.last_message_seq WHERE c.id = ?')
      .pluck()
      .get(direct);
    expect(preview).toBeNull();
    db.close();
  });
});

describe('conversation dedupe', () => {
  it('refuses the same group room (account_id, remote_id) twice', () => {
    const db = openDatabase(':memory:');
    const account = insertAccount(db);
    insertGroup(db, account, '!room:example.org');
    expect(() => insertGroup(db, account, '!room:example.org')).toThrow(UNIQUE);
    insertGroup(db, insertAccount(db), '!room:example.org');
    expect(count(db, "SELECT count(*) FROM conversations WHERE kind = 'group'")).toBe(2);
    db.close();
  });

  it('refuses a group without account or room id (a NULL would slip past UNIQUE)', () => {
    const db = openDatabase(':memory:');
    const account = insertAccount(db);
    expect(() => insertGroup(db, account, null)).toThrow(CHECK);
    expect(() => insertGroup(db, null, '!room:example.org')).toThrow(CHECK);
    expect(count(db, 'SELECT count(*) FROM conversations')).toBe(0);
    db.close();
  });

  it('refuses a second direct conversation for the same contact', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    expect(() => insertDirectConversation(db, s.contactId)).toThrow(UNIQUE);
    const { contactId } = insertContact(db, s.accountId);
    insertDirectConversation(db, contactId);
    expect(count(db, "SELECT count(*) FROM conversations WHERE kind = 'direct'")).toBe(2);
    db.close();
  });

  it('checks direct ⇔ contact_id', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    const { contactId } = insertContact(db, s.accountId);
    // direct without a contact
    expect(() =>
      db
        .prepare(`INSERT INTO conversations (id, kind, title, last_activity_at, created_at) VALUES (?, 'direct', 't', 1, 1)`)
        .run(newId()),
    ).toThrow(CHECK);
    // group with a contact
    expect(() =>
      db
        .prepare(
          `INSERT INTO conversations (id, kind, contact_id, account_id, remote_id, title, last_activity_at, created_at)
           VALUES (?, 'group', ?, ?, 'room', 't', 1, 1)`,
        )
        .run(newId(), contactId, s.accountId),
    ).toThrow(CHECK);
    // turning a direct conversation into a group (or losing its contact) is refused as well
    expect(() => db.prepare("UPDATE conversations SET kind = 'group' WHERE id = ?").run(s.conversationId)).toThrow(CHECK);
    expect(() => db.prepare('UPDATE conversations SET contact_id = NULL WHERE id = ?').run(s.conversationId)).toThrow(CHECK);
    expect(count(db, 'SELECT count(*) FROM conversations')).toBe(1);
    db.close();
  });

  it('refuses the same identity address twice on one account', () => {
    const db = openDatabase(':memory:');
    const account = insertAccount(db);
    insertContact(db, account, 'bob@example.org');
    expect(() => insertContact(db, account, 'bob@example.org')).toThrow(UNIQUE);
    insertContact(db, insertAccount(db), 'bob@example.org');
    db.close();
  });
});
