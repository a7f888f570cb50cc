import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { migrate } from './migrate.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { DB_FILE, openDatabase, type Db } from './open.ts';
import { insertAccount, insertContact, insertDirectConversation, insertMessage, seedConversation } from './test-fixtures.ts';

const NEWEST = MIGRATIONS.at(-1)?.version ?? 0;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-migrate-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function userVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Every schema object, as SQLite stores it: a change anywhere shows here. */
function schemaOf(db: Db): { type: string; name: string; sql: string | null }[] {
  return db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY type, name').all() as { type: string; name: string; sql: string | null }[];
}

function names(db: Db, type: 'table' | 'index' | 'trigger'): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all(type) as string[]);
}

describe('migrate', () => {
  it('lists migrations in strictly increasing version order, numbered like their names', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    for (const m of MIGRATIONS) expect(m.name.startsWith(String(m.version).padStart(3, '0') + '-')).toBe(true);
  });

  it('brings a fresh database to the newest version', () => {
    const db = new Database(':memory:');
    expect(userVersion(db)).toBe(0);
    expect(migrate(db)).toBe(NEWEST);
    expect(userVersion(db)).toBe(NEWEST);
    expect(NEWEST).toBeGreaterThan(0);
    db.close();
  });

  it('opens a fresh profile at the newest version', () => {
    const db = openDatabase(':memory:');
    expect(userVersion(db)).toBe(NEWEST);
    db.close();
  });

  it('makes every ordinary table STRICT (FTS virtual and shadow tables excepted)', () => {
    const db = openDatabase(':memory:');
    const tables = db.prepare("SELECT name, type, strict FROM pragma_table_list WHERE schema = 'main'").all() as {
      name: string;
      type: string;
      strict: number;
    }[];
    const fts = new Set(tables.filter((t) => t.type === 'virtual').map((t) => t.name));
    expect(fts).toEqual(new Set(['messages_fts']));
    const ours = tables.filter(
      (t) => t.type === 'table' && !t.name.startsWith('sqlite_') && ![...fts].some((v) => t.name.startsWith(`${v}_`)),
    );
    expect(ours.map((t) => t.name).sort()).toEqual([
      'accounts',
      'adapter_state',
      'contact_invites',
      'contact_merges',
      'contacts',
      'conversations',
      'identities',
      'message_content',
      'message_invitations',
      'messages',
      'outbox',
      'remote_content_senders',
      'security_facts',
      'settings',
    ]);
    for (const t of ours) expect({ table: t.name, strict: t.strict }).toEqual({ table: t.name, strict: 1 });
    db.close();
  });

  it('changes nothing when run again', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body: 'kept' });
    const before = schemaOf(db);
    const spies = MIGRATIONS.map((m) => vi.fn((d: Db) => m.up(d)));
    expect(migrate(db, MIGRATIONS.map((m, i) => ({ ...m, up: spies[i] as (d: Db) => void })))).toBe(NEWEST);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(schemaOf(db)).toEqual(before);
    expect(userVersion(db)).toBe(NEWEST);
    expect(db.prepare('SELECT body FROM messages').pluck().all()).toEqual(['kept']);
    db.close();
  });

  it('runs only the migrations newer than the database', () => {
    const db = new Database(':memory:');
    const one = vi.fn((d: Db) => d.exec('CREATE TABLE a (x INTEGER) STRICT'));
    const two = vi.fn((d: Db) => d.exec('CREATE TABLE b (x INTEGER) STRICT'));
    expect(migrate(db, [{ version: 1, name: '001-a', up: one }])).toBe(1);
    expect(migrate(db, [{ version: 1, name: '001-a', up: one }, { version: 2, name: '002-b', up: two }])).toBe(2);
    expect(one).toHaveBeenCalledTimes(1);
    expect(two).toHaveBeenCalledTimes(1);
    expect(names(db, 'table')).toEqual(['a', 'b']);
    db.close();
  });

  it('refuses a database written by a newer build, with a clear message, and changes nothing', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = ${NEWEST + 1}`);
    expect(() => migrate(db)).toThrow(
      new RegExp(`newer Switchboard \\(schema ${NEWEST + 1}, this build knows ${NEWEST}\\)\\. Update Switchboard`),
    );
    expect(userVersion(db)).toBe(NEWEST + 1);
    expect(names(db, 'table')).toEqual([]);
    db.close();
  });

  it('refuses to open a newer profile on disk and leaves no connection open behind the error', () => {
    const dir = tempDir();
    const file = join(dir, DB_FILE);
    const raw = new Database(file);
    raw.pragma(`user_version = ${NEWEST + 5}`);
    raw.close();
    expect(() => openDatabase(dir)).toThrow(/newer Switchboard/);
    // SQLite removes -wal and -shm when the last connection closes: left behind, they betray a leak.
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(existsSync(`${file}-shm`)).toBe(false);
    const again = new Database(file);
    expect(userVersion(again)).toBe(NEWEST + 5);
    expect(names(again, 'table')).toEqual([]);
    again.close();
  });

  it('rolls a throwing migration back entirely: no table, old user_version', () => {
    const db = new Database(':memory:');
    const broken: Migration[] = [
      {
        version: 1,
        name: '001-broken',
        up(d) {
          d.exec('CREATE TABLE half_done (x INTEGER) STRICT; CREATE INDEX half_done_x ON half_done (x)');
          d.prepare('INSERT INTO half_done VALUES (1)').run();
          throw new Error('boom in 001');
        },
      },
    ];
    expect(() => migrate(db, broken)).toThrow('boom in 001');
    expect(userVersion(db)).toBe(0);
    expect(names(db, 'table')).toEqual([]);
    expect(names(db, 'index')).toEqual([]);
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  it('keeps the migrations before a throwing one and rolls back only the one that threw', () => {
    const db = new Database(':memory:');
    const list: Migration[] = [
      { version: 1, name: '001-ok', up: (d) => d.exec('CREATE TABLE ok (x INTEGER) STRICT') },
      {
        version: 2,
        name: '002-broken',
        up(d) {
          d.exec('CREATE TABLE broken (x INTEGER) STRICT; ALTER TABLE ok ADD COLUMN y INTEGER');
          throw new Error('boom in 002');
        },
      },
    ];
    expect(() => migrate(db, list)).toThrow('boom in 002');
    expect(userVersion(db)).toBe(1);
    expect(names(db, 'table')).toEqual(['ok']);
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('ok')).toEqual(['x']);
    db.close();
  });
});

describe('001-initial-schema', () => {
  it('creates the expected tables, indexes and triggers', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 1));
    expect(userVersion(db)).toBe(1);
    expect(names(db, 'table')).toEqual(
      expect.arrayContaining(['accounts', 'contacts', 'conversations', 'identities', 'messages', 'messages_fts', 'outbox', 'security_facts', 'settings']),
    );
    expect(names(db, 'index')).toEqual(['conversations_inbox', 'identities_contact', 'messages_conversation', 'messages_pinned', 'outbox_due']);
    expect(names(db, 'trigger')).toEqual(['messages_fts_delete', 'messages_fts_insert', 'messages_fts_update']);
    const cols = (index: string): string[] =>
      db.prepare('SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno').pluck().all(index) as string[];
    expect(cols('conversations_inbox')).toEqual(['archived', 'pinned', 'last_activity_at', 'id']);
    expect(cols('messages_conversation')).toEqual(['conversation_id', 'sent_at', 'seq']);
    const fts = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'messages_fts'").pluck().get() as string;
    expect(fts).toMatch(/content\s*=\s*'messages'/);
    expect(fts).toMatch(/remove_diacritics 2/);
    db.close();
  });

  it('opens with foreign keys on, and enforces them', () => {
    const db = openDatabase(':memory:');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() =>
      db
        .prepare(
          `INSERT INTO messages (id, conversation_id, account_id, direction, sender_name, protocol, body, sent_at, received_at, status)
           VALUES ('m', 'no-such-conversation', 'no-such-account', 'in', 'x', 'email', 'b', 1, 1, 'received')`,
        )
        .run(),
    ).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
    db.close();
  });

  it('opens a profile file in WAL mode with synchronous NORMAL', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(userVersion(db)).toBe(NEWEST);
    db.close();
    const reopened = openDatabase(dir);
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(userVersion(reopened)).toBe(NEWEST);
    reopened.close();
  });

  it('cascades an account removal to its messages and their search index', () => {
    const db = openDatabase(':memory:');
    const s = seedConversation(db);
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body: 'cascade me' });
    db.prepare('DELETE FROM accounts WHERE id = ?').run(s.accountId);
    expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'cascade'").pluck().get()).toBe(0);
    expect(() => db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    db.close();
  });
});

describe('002-requests-and-adapter-state', () => {
  const cols = (db: Db, index: string): string[] =>
    db.prepare('SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno').pluck().all(index) as string[];

  /** A database at version 1 with a conversation in each state a version-1 profile can hold. */
  function atVersion1(): { db: Db; inbox: string; archived: string; accountId: string } {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 1));
    const s = seedConversation(db);
    const other = insertContact(db, s.accountId);
    const archived = insertDirectConversation(db, other.contactId, 500);
    db.prepare('UPDATE conversations SET archived = 1 WHERE id = ?').run(archived);
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body: 'before the migration' });
    return { db, inbox: s.conversationId, archived, accountId: s.accountId };
  }

  it('keeps every conversation where it was: none is a request, folders follow archived', () => {
    const { db, inbox, archived } = atVersion1();
    expect(migrate(db)).toBe(NEWEST);
    const rows = db.prepare('SELECT id, request, folder FROM conversations ORDER BY id').all();
    expect(rows).toEqual(
      expect.arrayContaining([
        { id: inbox, request: 0, folder: 'inbox' },
        { id: archived, request: 0, folder: 'archived' },
      ]),
    );
    expect(db.prepare('SELECT body FROM messages').pluck().all()).toEqual(['before the migration']);
    db.close();
  });

  it('derives the folder from archived and request (an archived request is archived)', () => {
    const { db, inbox } = atVersion1();
    migrate(db);
    const folder = () => db.prepare('SELECT folder FROM conversations WHERE id = ?').pluck().get(inbox);
    db.prepare('UPDATE conversations SET request = 1 WHERE id = ?').run(inbox);
    expect(folder()).toBe('requests');
    db.prepare('UPDATE conversations SET archived = 1 WHERE id = ?').run(inbox);
    expect(folder()).toBe('archived');
    db.prepare('UPDATE conversations SET archived = 0, request = 0 WHERE id = ?').run(inbox);
    expect(folder()).toBe('inbox');
    expect(() => db.prepare('UPDATE conversations SET request = 2 WHERE id = ?').run(inbox)).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }),
    );
    db.close();
  });

  it('replaces the inbox index by one keyed on the folder', () => {
    const { db } = atVersion1();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 2));
    expect(names(db, 'index')).toEqual(['conversations_folder', 'identities_contact', 'messages_conversation', 'messages_pinned', 'outbox_due']);
    expect(cols(db, 'conversations_folder')).toEqual(['folder', 'pinned', 'last_activity_at', 'id']);
    db.close();
  });

  it('creates adapter_state STRICT and WITHOUT ROWID, keyed by account, namespace and key', () => {
    const { db } = atVersion1();
    migrate(db);
    const t = db.prepare("SELECT strict, wr FROM pragma_table_list WHERE name = 'adapter_state'").get();
    expect(t).toEqual({ strict: 1, wr: 1 });
    expect(db.prepare("SELECT name FROM pragma_table_info('adapter_state') WHERE pk > 0 ORDER BY pk").pluck().all()).toEqual([
      'account_id',
      'ns',
      'key',
    ]);
    db.close();
  });

  it('removes an account\'s adapter state with the account, and refuses state for no account', () => {
    const { db, accountId } = atVersion1();
    migrate(db);
    const other = insertAccount(db);
    const put = db.prepare('INSERT INTO adapter_state (account_id, ns, key, value) VALUES (?, ?, ?, ?)');
    put.run(accountId, 'keys', 'identity', Buffer.from([1, 2, 3]));
    put.run(other, 'keys', 'identity', Buffer.from([4]));
    expect(() => put.run('no-such-account', 'keys', 'identity', Buffer.from([5]))).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }),
    );
    expect(() => put.run(other, 'keys', 'text', 'not bytes')).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_DATATYPE' }));
    db.prepare('DELETE FROM accounts WHERE id = ?').run(accountId);
    expect(db.prepare('SELECT account_id FROM adapter_state').pluck().all()).toEqual([other]);
    db.close();
  });
});

describe('003-disappearing-messages', () => {
  /** A database at version 2 with a conversation and a message, as a version-2 profile holds them. */
  function atVersion2(): { db: Db; conversationId: string; accountId: string } {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 2));
    const s = seedConversation(db);
    insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body: 'before the timers' });
    return { db, conversationId: s.conversationId, accountId: s.accountId };
  }

  it('keeps every message and conversation: no timer, nothing expires', () => {
    const { db } = atVersion2();
    expect(migrate(db)).toBe(NEWEST);
    expect(db.prepare('SELECT disappear_seconds FROM conversations').pluck().all()).toEqual([0]);
    expect(db.prepare('SELECT body, disappear_seconds, expires_at FROM messages').all()).toEqual([
      { body: 'before the timers', disappear_seconds: 0, expires_at: null },
    ]);
    db.close();
  });

  it('adds the two partial indexes the sweep and marking read use', () => {
    const { db } = atVersion2();
    migrate(db);
    const sql = (name: string) => db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').pluck().get(name) as string;
    expect(sql('messages_expiry')).toMatch(/ON messages \(expires_at\) WHERE expires_at IS NOT NULL$/);
    expect(sql('messages_countdown_pending')).toMatch(/ON messages \(conversation_id\) WHERE disappear_seconds > 0 AND expires_at IS NULL$/);
    db.close();
  });

  it('refuses a negative timer and a deadline that is not an integer', () => {
    const { db, conversationId } = atVersion2();
    migrate(db);
    expect(() => db.prepare('UPDATE conversations SET disappear_seconds = -1 WHERE id = ?').run(conversationId)).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }),
    );
    expect(() => db.prepare('UPDATE messages SET disappear_seconds = -5').run()).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => db.prepare("UPDATE messages SET expires_at = 'soon'").run()).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_DATATYPE' }));
    db.close();
  });
});

describe('004-group-membership', () => {
  it('keeps every conversation in its group (left_group 0) and refuses anything but 0 or 1', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 3));
    const { conversationId } = seedConversation(db);
    expect(migrate(db)).toBe(NEWEST);
    expect(db.prepare('SELECT left_group FROM conversations').pluck().all()).toEqual([0]);
    db.prepare('UPDATE conversations SET left_group = 1 WHERE id = ?').run(conversationId);
    expect(() => db.prepare('UPDATE conversations SET left_group = 2 WHERE id = ?').run(conversationId)).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }),
    );
    db.close();
  });
});
