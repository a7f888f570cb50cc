import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate.ts';
import { insertAccount } from '../test-fixtures.ts';
import { MIGRATIONS } from './index.ts';

describe('007-email-upgrade', () => {
  it('keeps existing messages as chat, accepts only known kinds and invitation states, and binds invites to contacts', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version < 7));
    const account = insertAccount(db);
    db.prepare(`INSERT INTO contacts (id, display_name, created_at) VALUES ('c1', 'Ada', 1)`).run();
    db.prepare(`INSERT INTO conversations (id, kind, contact_id, title, last_activity_at, created_at) VALUES ('v1', 'direct', 'c1', 'Ada', 1, 1)`).run();
    db.prepare(
      `INSERT INTO messages (id, conversation_id, account_id, direction, sender_name, protocol, body, sent_at, received_at, status)
       VALUES ('m1', 'v1', ?, 'in', 'Ada', 'email', 'hi', 1, 1, 'received')`,
    ).run(account);
    migrate(db);
    expect(db.prepare(`SELECT kind FROM messages WHERE id = 'm1'`).pluck().get()).toBe('chat');
    expect(() => db.prepare(`UPDATE messages SET kind = 'note' WHERE id = 'm1'`).run()).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    const seq = db.prepare(`SELECT seq FROM messages WHERE id = 'm1'`).pluck().get() as number;
    db.prepare(`INSERT INTO message_invitations (message_seq, link, state) VALUES (?, 'switchboard://invite/1/x', 'offered')`).run(seq);
    expect(() => db.prepare(`UPDATE message_invitations SET state = 'maybe' WHERE message_seq = ?`).run(seq)).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }),
    );
    db.prepare(`INSERT INTO contact_invites (account_id, invite_id, contact_id, created_at) VALUES (?, 'i1', 'c1', 1)`).run(account);
    expect(db.prepare(`SELECT state FROM contact_invites`).pluck().get()).toBe('active');
    // The binding goes with its contact, the invitation with its message.
    db.prepare(`DELETE FROM contacts WHERE id = 'c1'`).run();
    expect(db.prepare(`SELECT count(*) FROM contact_invites`).pluck().get()).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM message_invitations`).pluck().get()).toBe(0);
    db.close();
  });
});
