import { describe, expect, it, vi } from 'vitest';
import { inboxPageSql, messagePageSql } from '../inbox/queries.ts';
import { CONVERSATION_SELECT } from '../inbox/views.ts';
import { START_READ_COUNTDOWNS_SQL } from '../expiry/countdown.ts';
import { EXPIRED_SQL, NEXT_EXPIRY_SQL } from '../expiry/sweeper.ts';
import { newId } from './ids.ts';
import { openDatabase, type Db } from './open.ts';
import { RANK_CANDIDATE_CAP, searchMessages } from './search.ts';
import { insertAccount, insertContact, insertDirectConversation, insertMessages, type MessageInput } from './test-fixtures.ts';

type Params = Record<string, string | number>;

function plan(db: Db, sql: string, params: Params | unknown[]): string[] {
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (Array.isArray(params) ? stmt.all(...params) : stmt.all(params)) as { detail: string }[];
  return rows.map((r) => r.detail);
}

const FOLDERS = ['inbox', 'archived', 'requests'] as const;
const INBOX_FIRST = (folder: string): Params => ({ folder, limit: 50 });
const INBOX_NEXT = (folder: string): Params => ({ ...INBOX_FIRST(folder), pinned: 0, at: 5_000, id: 'zzz' });
const PAGE_FIRST = (conversationId: string): Params => ({ conversationId, limit: 50 });
const PAGE_NEXT = (conversationId: string): Params => ({ conversationId, limit: 50, at: 5_000, seq: 100 });

/** A database as fresh as a new profile, and one with data and planner statistics. */
function databases(): { label: string; db: Db; conversationId: string }[] {
  const fresh = openDatabase(':memory:');
  const full = openDatabase(':memory:');
  const accountId = insertAccount(full);
  let conversationId = '';
  const messages: MessageInput[] = [];
  for (let c = 0; c < 200; c++) {
    const { contactId } = insertContact(full, accountId);
    conversationId = insertDirectConversation(full, contactId, 1_000 + c);
    for (let m = 0; m < 20; m++) messages.push({ conversationId, accountId, body: `message ${c} ${m}`, sentAt: 1_000 + m });
  }
  insertMessages(full, messages);
  full.exec(`UPDATE conversations SET pinned = 1 WHERE rowid % 17 = 0; UPDATE conversations SET archived = 1 WHERE rowid % 5 = 0;
    UPDATE conversations SET request = 1 WHERE rowid % 7 = 0; ANALYZE;`);
  return [
    { label: 'fresh', db: fresh, conversationId: newId() },
    { label: 'with data and ANALYZE', db: full, conversationId },
  ];
}

describe.each(databases())('query plans ($label)', ({ db, conversationId }) => {
  it.each(FOLDERS)('%s first page walks conversations_folder, sorts nothing, joins the last message by rowid', (folder) => {
    const p = plan(db, inboxPageSql(false), INBOX_FIRST(folder));
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH c USING INDEX conversations_folder \(folder=\?\)$/));
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/));
    expect(p.join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it.each(FOLDERS)('%s cursor page seeks into conversations_folder by the whole key and sorts nothing', (folder) => {
    const p = plan(db, inboxPageSql(true), INBOX_NEXT(folder));
    expect(p).toContainEqual(
      expect.stringMatching(/^SEARCH c USING INDEX conversations_folder \(folder=\? AND \(pinned,last_activity_at,id\)<\(\?,\?,\?\)\)$/),
    );
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/));
    expect(p.join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('conversation first page walks messages_conversation, sorts nothing, joins content and invitation by primary key', () => {
    const p = plan(db, messagePageSql(false), PAGE_FIRST(conversationId));
    expect(p).toEqual([
      expect.stringMatching(/^SEARCH m USING INDEX messages_conversation \(conversation_id=\?\)$/),
      expect.stringMatching(/^SEARCH mc USING INTEGER PRIMARY KEY \(rowid=\?\)( LEFT-JOIN)?$/),
      expect.stringMatching(/^SEARCH mi USING INTEGER PRIMARY KEY \(rowid=\?\)( LEFT-JOIN)?$/),
    ]);
  });

  it('conversation cursor page seeks into messages_conversation, sorts nothing, joins content and invitation by primary key', () => {
    const p = plan(db, messagePageSql(true), PAGE_NEXT(conversationId));
    expect(p).toEqual([
      expect.stringMatching(/^SEARCH m USING INDEX messages_conversation \(conversation_id=\? AND sent_at<\?/),
      expect.stringMatching(/^SEARCH mc USING INTEGER PRIMARY KEY \(rowid=\?\)( LEFT-JOIN)?$/),
      expect.stringMatching(/^SEARCH mi USING INTEGER PRIMARY KEY \(rowid=\?\)( LEFT-JOIN)?$/),
    ]);
  });

  it('loading one conversation with its last message uses both primary keys', () => {
    const p = plan(db, `${CONVERSATION_SELECT} WHERE c.id = ?`, ['x']);
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH c USING INDEX sqlite_autoindex_conversations_1 \(id=\?\)$/));
    expect(p).toContainEqual(expect.stringMatching(/^SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/));
  });
});

describe.each(databases())('disappearing-message query plans ($label)', ({ db, conversationId }) => {
  it('the sweep reads expired messages from the partial expiry index, in its order', () => {
    const p = plan(db, EXPIRED_SQL, [5_000, 500]);
    expect(p).toEqual([expect.stringMatching(/^SEARCH messages USING INDEX messages_expiry \(expires_at<\?\)$/)]);
  });

  it('the next deadline is one step into the partial expiry index', () => {
    const p = plan(db, NEXT_EXPIRY_SQL, []);
    expect(p).toEqual([expect.stringMatching(/^SEARCH messages USING COVERING INDEX messages_expiry/)]);
  });

  it('marking read finds the countdowns to start in the small pending index, not the conversation', () => {
    const p = plan(db, START_READ_COUNTDOWNS_SQL, { id: conversationId, now: 5_000 });
    expect(p).toEqual([expect.stringMatching(/^SEARCH messages USING INDEX messages_countdown_pending \(conversation_id=\?\)$/)]);
  });
});

describe('search query plans', () => {
  /** Runs searchMessages and returns every statement it prepared, with the plan of each. */
  function searchPlans(db: Db, input: string): { sql: string; plan: string[] }[] {
    const spy = vi.spyOn(db, 'prepare');
    try {
      searchMessages(db, input, 50);
      const sqls = spy.mock.calls.map((c) => c[0]);
      spy.mockRestore();
      return sqls.map((sql) => {
        const params = (sql.match(/\?/g) ?? []).map((_, i) => (i === 0 ? `"${input}"*` : 50));
        return { sql, plan: plan(db, sql, params) };
      });
    } finally {
      spy.mockRestore();
    }
  }

  function seeded(commonRows: number): Db {
    const db = openDatabase(':memory:');
    const accountId = insertAccount(db);
    const { contactId } = insertContact(db, accountId);
    const conversationId = insertDirectConversation(db, contactId);
    insertMessages(db, [
      { conversationId, accountId, body: 'rare zephyr' },
      ...Array.from({ length: commonRows }, (_, i) => ({ conversationId, accountId, body: `common ${i}` })),
    ]);
    return db;
  }

  it('answers a rare word from the FTS index, ranked, without a sort', () => {
    const db = seeded(10);
    const plans = searchPlans(db, 'zephyr');
    expect(plans).toHaveLength(2);
    for (const { plan: p } of plans) {
      expect(p).toContainEqual(expect.stringMatching(/^SCAN messages_fts VIRTUAL TABLE INDEX \d+:M/));
      expect(p.join('\n')).not.toMatch(/TEMP B-TREE|SCAN messages\b/);
    }
    expect(plans[1]?.sql).toMatch(/ORDER BY rank/);
    db.close();
  });

  it('answers a common word from the FTS index, newest first, without a sort', () => {
    const db = seeded(RANK_CANDIDATE_CAP);
    const plans = searchPlans(db, 'common');
    expect(plans).toHaveLength(2);
    for (const { plan: p } of plans) {
      expect(p).toContainEqual(expect.stringMatching(/^SCAN messages_fts VIRTUAL TABLE INDEX \d+:M/));
      expect(p.join('\n')).not.toMatch(/TEMP B-TREE|SCAN messages\b/);
    }
    expect(plans[1]?.sql).toMatch(/ORDER BY rowid DESC/);
    db.close();
  });
});

describe('keyset pages are complete and in order', () => {
  it('a conversation read page by page gives every message once, newest first, ties on sent_at included', () => {
    const db = openDatabase(':memory:');
    const accountId = insertAccount(db);
    const { contactId } = insertContact(db, accountId);
    const conversationId = insertDirectConversation(db, contactId);
    // Many messages share a timestamp: the cursor must break ties by seq, not skip or repeat them.
    const seqs = insertMessages(db, Array.from({ length: 37 }, (_, i) => ({ conversationId, accountId, sentAt: 1_000 + Math.floor(i / 5) })));
    const expected = seqs.map((seq, i) => ({ seq, sent_at: 1_000 + Math.floor(i / 5) })).sort((a, b) => b.sent_at - a.sent_at || b.seq - a.seq);
    const seen: { seq: number; sent_at: number }[] = [];
    let page = db.prepare(messagePageSql(false)).all({ conversationId, limit: 4 }) as { seq: number; sent_at: number }[];
    while (page.length > 0) {
      seen.push(...page.map((r) => ({ seq: r.seq, sent_at: r.sent_at })));
      const last = page.at(-1) as { seq: number; sent_at: number };
      page = db.prepare(messagePageSql(true)).all({ conversationId, limit: 4, at: last.sent_at, seq: last.seq }) as typeof page;
    }
    expect(seen).toEqual(expected);
    db.close();
  });

  it.each([
    ['inbox', 'archived = 0 AND request = 0'],
    ['archived', 'archived = 1'],
    ['requests', 'archived = 0 AND request = 1'],
  ])('the %s read page by page gives each of its conversations once, pinned first, then newest activity', (folder, where) => {
    const db = openDatabase(':memory:');
    const accountId = insertAccount(db);
    for (let i = 0; i < 69; i++) {
      const { contactId } = insertContact(db, accountId);
      insertDirectConversation(db, contactId, 1_000 + Math.floor(i / 4));
    }
    db.exec('UPDATE conversations SET pinned = 1 WHERE rowid % 6 = 0; UPDATE conversations SET archived = 1 WHERE rowid % 3 = 1');
    db.exec('UPDATE conversations SET request = 1 WHERE rowid % 5 < 2');
    type Row = { id: string; pinned: number; last_activity_at: number };
    const expected = (db.prepare(`SELECT id, pinned, last_activity_at FROM conversations WHERE ${where}`).all() as Row[]).sort(
      (a, b) => b.pinned - a.pinned || b.last_activity_at - a.last_activity_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );
    const seen: Row[] = [];
    expect(expected.length).toBeGreaterThan(10);
    let page = db.prepare(inboxPageSql(false)).all({ folder, limit: 5 }) as Row[];
    while (page.length > 0) {
      seen.push(...page.map((r) => ({ id: r.id, pinned: r.pinned, last_activity_at: r.last_activity_at })));
      const last = page.at(-1) as Row;
      page = db.prepare(inboxPageSql(true)).all({ folder, limit: 5, pinned: last.pinned, at: last.last_activity_at, id: last.id }) as Row[];
    }
    expect(seen).toEqual(expected);
    db.close();
  });
});
