import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate.ts';
import { insertAccount } from '../test-fixtures.ts';
import { MIGRATIONS } from './index.ts';

describe('006-account-secrets', () => {
  it('gives every existing account no secrets, and keeps the table STRICT (text only)', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version < 6));
    const id = insertAccount(db);
    migrate(db);
    expect(db.prepare('SELECT secrets FROM accounts WHERE id = ?').pluck().get(id)).toBe('');
    expect(() => db.prepare('UPDATE accounts SET secrets = ? WHERE id = ?').run(Buffer.from('x'), id)).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_DATATYPE' }),
    );
    expect(() => db.prepare('UPDATE accounts SET secrets = NULL WHERE id = ?').run(id)).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_NOTNULL' }),
    );
    db.close();
  });
});
