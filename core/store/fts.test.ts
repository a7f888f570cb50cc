import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './open.ts';
import { RANK_CANDIDATE_CAP, searchMessages, toFtsQuery } from './search.ts';
import { insertMessage, insertMessages, seedConversation, type Seed } from './test-fixtures.ts';

function fixture(): { db: Db; s: Seed; add: (body: string) => number } {
  const db = openDatabase(':memory:');
  const s = seedConversation(db);
  return { db, s, add: (body) => insertMessage(db, { conversationId: s.conversationId, accountId: s.accountId, body }) };
}

function seqs(db: Db, input: string, limit = 50): number[] {
  return searchMessages(db, input, limit).map((r) => r.seq);
}

/** The FTS5 index agrees with the messages table it mirrors. */
function expectIndexIntact(db: Db): void {
  expect(() => db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
}

/** Small seeded PRNG (mulberry32): the same strings every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('FTS index follows the messages table', () => {
  it('indexes inserts', () => {
    const { db, add } = fixture();
    const seq = add('Meet me at the lighthouse');
    expect(seqs(db, 'lighthouse')).toEqual([seq]);
    expectIndexIntact(db);
    db.close();
  });

  it('follows body updates: the old words go, the new ones come', () => {
    const { db, add } = fixture();
    const seq = add('original wording');
    db.prepare('UPDATE messages SET body = ? WHERE seq = ?').run('edited phrasing', seq);
    expect(seqs(db, 'original')).toEqual([]);
    expect(seqs(db, 'edited')).toEqual([seq]);
    // an update that leaves the body alone leaves the index alone
    db.prepare("UPDATE messages SET status = 'read' WHERE seq = ?").run(seq);
    expect(seqs(db, 'phrasing')).toEqual([seq]);
    expectIndexIntact(db);
    db.close();
  });

  it('follows deletes', () => {
    const { db, add } = fixture();
    const gone = add('ephemeral note');
    const kept = add('ephemeral but kept');
    db.prepare('DELETE FROM messages WHERE seq = ?').run(gone);
    expect(seqs(db, 'ephemeral')).toEqual([kept]);
    expect(seqs(db, 'note')).toEqual([]);
    expectIndexIntact(db);
    db.close();
  });

  it('returns a snippet with the match marked', () => {
    const { db, add } = fixture();
    add('the quick brown fox');
    const [row] = searchMessages(db, 'brown', 10);
    expect(row?.snippet).toContain('\u0001brown\u0002');
    db.close();
  });
});

describe('searchMessages', () => {
  it('is case-insensitive', () => {
    const { db, add } = fixture();
    const seq = add('Hello WORLD');
    expect(seqs(db, 'hello world')).toEqual([seq]);
    expect(seqs(db, 'HELLO World')).toEqual([seq]);
    db.close();
  });

  it('is accent-insensitive both ways (café / cafe, composed or not)', () => {
    const { db, add } = fixture();
    const accented = add('un café crème');
    const plain = add('a cafe creme');
    const decomposed = add('un cafe\u0301 noir');
    const all = [accented, plain, decomposed].sort();
    expect(seqs(db, 'cafe').sort()).toEqual(all);
    expect(seqs(db, 'café').sort()).toEqual(all);
    expect(seqs(db, 'CAFÉ').sort()).toEqual(all);
    expect(seqs(db, 'cafe\u0301').sort()).toEqual(all);
    expect(seqs(db, 'crème').sort()).toEqual([accented, plain].sort());
    db.close();
  });

  it('treats the last word as a prefix, the others as whole words', () => {
    const { db, add } = fixture();
    const seq = add('international conference tomorrow');
    expect(seqs(db, 'internat')).toEqual([seq]);
    expect(seqs(db, 'conference tom')).toEqual([seq]);
    expect(seqs(db, 'conf tomorrow')).toEqual([]);
    db.close();
  });

  it('requires every word', () => {
    const { db, add } = fixture();
    const both = add('red apple');
    add('red car');
    expect(seqs(db, 'red apple')).toEqual([both]);
    db.close();
  });

  it('respects the limit', () => {
    const { db, s } = fixture();
    insertMessages(db, Array.from({ length: 30 }, () => ({ conversationId: s.conversationId, accountId: s.accountId, body: 'repeat word' })));
    expect(searchMessages(db, 'repeat', 7)).toHaveLength(7);
    db.close();
  });

  const hostile = [
    ':)',
    '"',
    '""',
    "'",
    '{}',
    '{a}',
    'AND',
    'OR',
    'NOT',
    'NEAR(a b)',
    'a AND',
    'a OR b',
    'NOT a',
    '*',
    'a*',
    '^',
    '^a',
    '-',
    '-a',
    '+',
    'col:word',
    'body:x',
    'messages_fts:x',
    'rank:x',
    '😀',
    '😀 hello',
    'hello😀world',
    '(((',
    ')))',
    '[]',
    '\\',
    'a'.repeat(1000),
    'ab '.repeat(333),
    'a\u0000b',
    '\u0000',
    'שלום עולם',
    'مرحبا بالعالم',
    '\u202eevil\u202c',
    'mixed: "quoted" AND (x OR y) NEAR/3 *^- 😀 שלום café',
    '\u0301',
    '\u0301\u0302',
    '\ud800',
    '\udc00a',
    'ª º',
    '\u200b',
    '＂fullwidth＂',
    'ﬁ',
    ' ',
    '',
  ];

  it.each(hostile.map((h) => [JSON.stringify(h), h]))('never throws on %s', (_label, input) => {
    const { db, add } = fixture();
    add('hello world a b x word AND OR NOT near café שלום');
    const rows = searchMessages(db, input, 10);
    expect(Array.isArray(rows)).toBe(true);
    for (const r of rows) expect(typeof r.seq).toBe('number');
    db.close();
  });

  it('still finds the words around operators and punctuation', () => {
    const { db, add } = fixture();
    const seq = add('hello world, NEAR the word body');
    expect(seqs(db, 'hello AND world')).toEqual([]); // "and" is a required word, not an operator
    expect(seqs(db, 'hello :) world')).toEqual([seq]);
    expect(seqs(db, 'body:word')).toEqual([seq]);
    expect(seqs(db, 'NEAR(hello world)')).toEqual([seq]);
    expect(seqs(db, '😀hello😀')).toEqual([seq]);
    db.close();
  });

  it('never throws on random printable and unicode input (seeded)', () => {
    const { db, s } = fixture();
    insertMessages(
      db,
      ['hello world', 'café crème', 'שלום', '東京 タワー', 'a b c', 'NEAR AND OR NOT'].map((body) => ({
        conversationId: s.conversationId,
        accountId: s.accountId,
        body,
      })),
    );
    const pool = [
      ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), // printable ASCII, FTS syntax included
      'é', 'e\u0301', '\u0301', 'ß', 'ﬁ', 'ª', 'ш', 'ש', 'م', '東', 'タ', '한', '😀', '👍🏽', '🇫🇷', '\u200b', '\u202e',
      '\u0000', '\t', '\n', '\ud800', '\udfff', '\ufeff', '＂', '＊', 'AND', 'OR', 'NOT', 'NEAR', 'NEAR(', '"', '*', ':',
    ];
    const rand = prng(0x5eed);
    const safe = /^"[\p{L}\p{N}\p{M}]+"( "[\p{L}\p{N}\p{M}]+")*\*$/u;
    for (let i = 0; i < 400; i++) {
      const len = Math.floor(rand() * 24);
      let input = '';
      for (let j = 0; j < len; j++) input += pool[Math.floor(rand() * pool.length)];
      const q = toFtsQuery(input);
      if (q !== null) expect(q, JSON.stringify(input)).toMatch(safe);
      let rows: unknown;
      try {
        rows = searchMessages(db, input, 20);
      } catch (e) {
        throw new Error(`searchMessages threw on ${JSON.stringify(input)}: ${String(e)}`);
      }
      expect(Array.isArray(rows)).toBe(true);
    }
    db.close();
  });

  it('finds a message from any run of its words, any case, accents or not, last word cut short (seeded)', () => {
    const { db, s } = fixture();
    const vocabulary = ['café', 'naïve', 'hello', 'world', 'Zürich', '東京', 'привет', 'שלום', 'مرحبا', 'crème', 'brûlée', '42', 'x1y2'];
    const rand = prng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const bodies = Array.from({ length: 40 }, () => Array.from({ length: 2 + Math.floor(rand() * 6) }, () => pick(vocabulary)));
    const stored = insertMessages(
      db,
      bodies.map((words) => ({ conversationId: s.conversationId, accountId: s.accountId, body: words.join(pick([' ', ', ', ' — ', '! '])) })),
    );
    for (let i = 0; i < 300; i++) {
      const k = Math.floor(rand() * bodies.length);
      const words = bodies[k] as string[];
      const from = Math.floor(rand() * words.length);
      const to = from + 1 + Math.floor(rand() * (words.length - from));
      let query = words.slice(from, to);
      const lastChars = Array.from(query.at(-1) as string);
      query[query.length - 1] = lastChars.slice(0, 1 + Math.floor(rand() * lastChars.length)).join('');
      if (rand() < 0.5) query = query.map((w) => w.toUpperCase());
      if (rand() < 0.5) query = query.map((w) => w.normalize('NFD').replace(/\p{M}/gu, ''));
      const input = query.join(pick([' ', '  ', ' :) ', ', ']));
      expect(seqs(db, input, 1_000), JSON.stringify(input)).toContain(stored[k]);
    }
    db.close();
  });
});

describe('toFtsQuery', () => {
  it('returns null when there is no word to look for', () => {
    for (const input of ['', ' ', ':)', '"', '""', '{}', '*', '^', '-', '(((', '😀', '😀😀 👍', '\u0000', '.,;!?', '\u200b']) {
      expect(toFtsQuery(input), JSON.stringify(input)).toBeNull();
    }
  });

  it('quotes every word and makes the last one a prefix', () => {
    expect(toFtsQuery('hello')).toBe('"hello"*');
    expect(toFtsQuery('a AND b')).toBe('"a" "AND" "b"*');
    expect(toFtsQuery('col:word')).toBe('"col" "word"*');
    expect(toFtsQuery('NEAR(a b)')).toBe('"NEAR" "a" "b"*');
  });

  it('keeps at most 16 words', () => {
    const q = toFtsQuery(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '));
    expect(q?.split(' ')).toHaveLength(16);
  });
});

describe('common words', () => {
  it('orders a match set too big to rank by recency, and a small one by rank', () => {
    const { db, s } = fixture();
    const base = { conversationId: s.conversationId, accountId: s.accountId };
    // The rare word: most relevant (short, repeated) first, oldest; least relevant newest.
    const best = insertMessage(db, { ...base, body: 'zephyr zephyr zephyr' });
    const middle = insertMessage(db, { ...base, body: 'zephyr blows over the hills and the valleys today' });
    const worst = insertMessage(
      db,
      { ...base, body: 'a long message that mentions zephyr only once among very many other unrelated words here and there' },
    );
    const common = insertMessages(
      db,
      Array.from({ length: RANK_CANDIDATE_CAP + 1 }, (_, i) => ({ ...base, body: i % 7 === 0 ? 'the the the the' : `the message ${i}` })),
    );
    const newestFirst = [...common].sort((a, b) => b - a).slice(0, 50);

    const commonHits = seqs(db, 'the', 50);
    expect(commonHits).toEqual(newestFirst);

    const rareHits = seqs(db, 'zephyr', 50);
    expect(rareHits).toEqual([best, middle, worst]);
    expect(rareHits).not.toEqual([...rareHits].sort((a, b) => b - a));
    db.close();
  });
});
