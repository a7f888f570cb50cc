import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate.ts';
import type { Db } from '../open.ts';
import { insertAccount, insertMessage, seedConversation } from '../test-fixtures.ts';
import { MIGRATIONS } from './index.ts';

/** A database at version 4 with a conversation and a message, as a version-4 profile holds them. */
function atVersion4(): { db: Db; conversationId: string; accountId: string; seq: number } {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.filter((m) => m.version <= 4));
  const s = seedConversation(db);
  const seq = insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body: 'before content' });
  return { db, conversationId: s.conversationId, accountId: s.accountId, seq };
}

const count = (db: Db, table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
const putContent = (db: Db, seq: number, html = '<p>hi</p>') =>
  db.prepare('INSERT INTO message_content (message_seq, subject, html) VALUES (?, ?, ?)').run(seq, 'Subject', html);

describe('005-message-content', () => {
  it('keeps every message; none has content or a permission yet', () => {
    const { db } = atVersion4();
    expect(migrate(db)).toBeGreaterThanOrEqual(5);
    expect(db.prepare('SELECT body FROM messages').pluck().all()).toEqual(['before content']);
    expect(count(db, 'message_content')).toBe(0);
    expect(count(db, 'remote_content_senders')).toBe(0);
    db.close();
  });

  it('creates both tables STRICT; the permissions WITHOUT ROWID, keyed by account and address', () => {
    const { db } = atVersion4();
    migrate(db);
    const info = (name: string) => db.prepare('SELECT strict, wr FROM pragma_table_list WHERE name = ?').get(name);
    expect(info('message_content')).toEqual({ strict: 1, wr: 0 });
    expect(info('remote_content_senders')).toEqual({ strict: 1, wr: 1 });
    const pk = (t: string) => db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').pluck().all(t);
    expect(pk('message_content')).toEqual(['message_seq']);
    expect(pk('remote_content_senders')).toEqual(['account_id', 'address']);
    db.close();
  });

  it('puts the two big columns last, so reading the small ones never reads their overflow pages', () => {
    const { db } = atVersion4();
    migrate(db);
    const cols = db.prepare("SELECT name FROM pragma_table_info('message_content') ORDER BY cid").pluck().all() as string[];
    expect(cols.slice(-2)).toEqual(['original_text', 'html']);
    db.close();
  });

  it('deletes a message\'s content with the message, and with its account', () => {
    const { db, seq, conversationId, accountId } = atVersion4();
    migrate(db);
    putContent(db, seq);
    const second = insertMessage(db, { conversationId, accountId });
    putContent(db, second);
    db.prepare('DELETE FROM messages WHERE seq = ?').run(seq);
    expect(db.prepare('SELECT message_seq FROM message_content').pluck().all()).toEqual([second]);
    db.prepare('DELETE FROM accounts WHERE id = ?').run(accountId);
    expect(count(db, 'message_content')).toBe(0);
    db.close();
  });

  it('refuses content for no message, a flag other than 0 or 1, and a subject that is not text', () => {
    const { db, seq } = atVersion4();
    migrate(db);
    expect(() => putContent(db, seq + 1000)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
    putContent(db, seq);
    expect(() => db.prepare('UPDATE message_content SET remote_allowed = 2').run()).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => db.prepare('UPDATE message_content SET html_truncated = -1').run()).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => db.prepare('UPDATE message_content SET subject = ?').run(Buffer.from([1]))).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_DATATYPE' }),
    );
    db.close();
  });

  it('removes a sender permission with its account, and refuses one for no account', () => {
    const { db, accountId } = atVersion4();
    migrate(db);
    const other = insertAccount(db);
    const allow = db.prepare('INSERT INTO remote_content_senders (account_id, address, allowed_at) VALUES (?, ?, ?)');
    allow.run(accountId, 'news@example.com', 1);
    allow.run(other, 'news@example.com', 1);
    expect(() => allow.run(accountId, 'news@example.com', 2)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }));
    expect(() => allow.run('no-such-account', 'x@example.com', 1)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
    db.prepare('DELETE FROM accounts WHERE id = ?').run(accountId);
    expect(db.prepare('SELECT account_id FROM remote_content_senders').pluck().all()).toEqual([other]);
    db.close();
  });
});
