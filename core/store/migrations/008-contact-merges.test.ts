import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate.ts';
import type { Db } from '../open.ts';
import { insertMessage, seedConversation } from '../test-fixtures.ts';
import { MIGRATIONS } from './index.ts';

/** A database at version 7 with a conversation and a message, as a version-7 profile holds them. */
function atVersion7(): { db: Db; conversationId: string } {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.filter((m) => m.version <= 7));
  const s = seedConversation(db);
  insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body: 'before merges' });
  return { db, conversationId: s.conversationId };
}

const insertMerge = (db: Db, id: string, cols: { identityIds?: string; fromConversation?: string | null; inviteKeys?: string } = {}) =>
  db
    .prepare(
      `INSERT INTO contact_merges (id, into_contact_id, from_contact_id, from_name, from_created_at, from_conversation, identity_ids, invite_keys, merged_at)
       VALUES (?, 'gone-into', 'gone-from', 'Ada', 1, ?, ?, ?, 2)`,
    )
    .run(id, cols.fromConversation ?? null, cols.identityIds ?? '[]', cols.inviteKeys ?? '[]');

describe('008-contact-merges', () => {
  it('keeps every conversation and message; no merge is recorded yet', () => {
    const { db, conversationId } = atVersion7();
    expect(migrate(db)).toBeGreaterThanOrEqual(8);
    expect(db.prepare('SELECT id FROM conversations').pluck().all()).toEqual([conversationId]);
    expect(db.prepare('SELECT body FROM messages').pluck().all()).toEqual(['before merges']);
    expect(db.prepare('SELECT count(*) FROM contact_merges').pluck().get()).toBe(0);
    db.close();
  });

  it('adds the merge record, STRICT, with JSON columns of the right shape, outliving both contacts', () => {
    const { db } = atVersion7();
    migrate(db);
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE name = 'contact_merges'").pluck().get()).toBe(1);
    // No foreign keys: the record stands while the merged contact is gone.
    insertMerge(db, 'm1', { identityIds: '["i1"]', fromConversation: '{"id":"c1"}', inviteKeys: '[["a","v"]]' });
    expect(db.prepare(`SELECT undone_at FROM contact_merges WHERE id = 'm1'`).pluck().get()).toBeNull();
    expect(() => insertMerge(db, 'm2', { identityIds: '{"i1":1}' })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => insertMerge(db, 'm3', { fromConversation: '[]' })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => insertMerge(db, 'm4', { inviteKeys: 'not json' })).toThrow();
    expect(() =>
      db.prepare(`INSERT INTO contact_merges (id, into_contact_id, from_contact_id, from_name, from_created_at, identity_ids, merged_at) VALUES ('m5', 'a', 'b', 'Ada', 'yesterday', '[]', 2)`).run(),
    ).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_DATATYPE' }));
    db.close();
  });

  it('lists the merges into a contact from its index, newest first, without a sort step', () => {
    const { db } = atVersion7();
    migrate(db);
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM contact_merges WHERE into_contact_id = ? AND undone_at IS NULL ORDER BY merged_at DESC, id DESC")
      .all('x') as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX contact_merges_into/);
    expect(plan.map((p) => p.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});
