import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate.ts';
import { MIGRATIONS } from './index.ts';

describe('008-contact-merges', () => {
  it('adds the merge record, STRICT, whose flag takes only 0 or 1 and which outlives both contacts', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version < 8));
    migrate(db);
    const insert = db.prepare(
      `INSERT INTO contact_merges (id, into_contact_id, from_contact_id, from_name, from_created_at, into_had_conversation, identity_ids, merged_at)
       VALUES (?, 'gone-into', 'gone-from', 'Ada', 1, ?, '[]', 2)`,
    );
    insert.run('m1', 1);
    expect(() => insert.run('m2', 2)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => insert.run('m3', 'yes')).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_DATATYPE' }));
    expect(db.prepare(`SELECT undone_at FROM contact_merges WHERE id = 'm1'`).pluck().get()).toBeNull();
    db.close();
  });
});
