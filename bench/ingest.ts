/**
 * Phase 1: backlog ingest. Switchboard: message events from test-double accounts through the real
 * adapter → Ingestor path, pushed in chunks and written with `ingest.flush()` (the production batch
 * path). Baseline: the same rows with raw better-sqlite3 into a bare table with an FTS5 index,
 * 1 000 rows per transaction, time-ordered ids (the setup PERFORMANCE.md measured).
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import type { AdapterEvent } from '../adapters/contract.ts';
import type { Account } from '../core/api/types.ts';
import type { CoreInternals } from '../core/create-core.ts';
import { TEST_KIND, TYPICAL_FACTS, type TestNetwork } from '../test/support/test-adapter.ts';
import { buildVocabulary, corpus, peerOf, type CorpusMessage, type CorpusPlan } from './corpus.ts';

/** Events pushed before each `flush()`: one full batch of the Ingestor (BATCH_MAX). */
export const PUSH_CHUNK = 2_000;
/** Rows per transaction in the raw baseline. */
export const BASELINE_TX_ROWS = 1_000;

export type BenchProtocol = 'email' | 'xmpp';
export const BENCH_PROTOCOLS: readonly BenchProtocol[] = ['email', 'xmpp'];

export interface IngestFigures {
  messagesFed: number;
  conversationsFed: number;
  messagesStored: number;
  conversationsStored: number;
  /** Seconds spent in push + flush only (generating the corpus is not counted). */
  seconds: number;
  perSecond: number;
}

/** Adds one test-double account per protocol through the api, as a user would. */
export async function addBenchAccounts(core: CoreInternals): Promise<Account[]> {
  const out: Account[] = [];
  for (const protocol of BENCH_PROTOCOLS) {
    out.push(
      await core.call('accounts.add', {
        protocol,
        kind: TEST_KIND,
        address: protocol === 'email' ? 'me@example.org' : 'me@jabber.example',
        displayName: `Bench ${protocol}`,
      }),
    );
  }
  return out;
}

/** Conversation k lives on account k mod (number of accounts). */
function accountOf(accounts: readonly Account[], conversation: number): Account {
  return accounts[conversation % accounts.length]!;
}

function toEvent(m: CorpusMessage, account: Account): AdapterEvent {
  const peer = peerOf(m.conversation, account.protocol === 'xmpp' ? 'xmpp' : 'email');
  return {
    type: 'message',
    accountId: account.id,
    remoteId: `bench-${m.index}`,
    conversation: { kind: 'direct', peer },
    sender: m.self ? 'self' : peer,
    text: m.text,
    sentAt: m.sentAt,
  };
}

/**
 * Pushes events through their accounts' test adapters into the Ingestor in chunks, writing each
 * chunk with `flush()` (the production batch path). Returns how many were fed and the seconds
 * spent in push + flush only.
 */
export async function feedEvents(
  core: CoreInternals,
  net: TestNetwork,
  events: Iterable<AdapterEvent>,
  onProgress?: (done: number, seconds: number) => void,
): Promise<{ fed: number; seconds: number }> {
  let fed = 0;
  let ns = 0n;
  let chunk: AdapterEvent[] = [];
  const write = () => {
    const start = process.hrtime.bigint();
    for (const e of chunk) net.adapter(e.accountId).emitRaw(e);
    core.ingest.flush();
    ns += process.hrtime.bigint() - start;
    fed += chunk.length;
    chunk = [];
    onProgress?.(fed, Number(ns) / 1e9);
  };
  for (const e of events) {
    chunk.push(e);
    if (chunk.length === PUSH_CHUNK) write();
  }
  if (chunk.length > 0) write();
  await core.ingest.idle();
  return { fed, seconds: Number(ns) / 1e9 };
}

/**
 * Feeds the whole corpus through the adapters of `accounts` into the core's Ingestor.
 * `onProgress` gets the number of messages written so far after each chunk.
 */
export async function ingestSwitchboard(
  core: CoreInternals,
  net: TestNetwork,
  accounts: readonly Account[],
  plan: CorpusPlan,
  onProgress?: (done: number, seconds: number) => void,
): Promise<IngestFigures> {
  const vocabulary = buildVocabulary(plan.vocabularySize);
  const seen = new Uint8Array(plan.conversations);
  function* events(): Generator<AdapterEvent> {
    for (const m of corpus(plan, vocabulary)) {
      seen[m.conversation] = 1;
      yield toEvent(m, accountOf(accounts, m.conversation));
    }
  }
  const { fed, seconds } = await feedEvents(core, net, events(), onProgress);
  const db = core.ctx.db;
  return {
    messagesFed: fed,
    conversationsFed: seen.reduce((a, b) => a + b, 0),
    messagesStored: db.prepare('SELECT count(*) FROM messages').pluck().get() as number,
    conversationsStored: db.prepare('SELECT count(*) FROM conversations').pluck().get() as number,
    seconds,
    perSecond: fed / seconds,
  };
}

/** The bare baseline schema: the same message columns, an id index and an FTS5 index, nothing else. */
const BASELINE_SCHEMA = `
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    remote_id TEXT,
    direction TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    protocol TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    facts TEXT
  ) STRICT;
  CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.seq, new.body);
  END;`;

export interface BaselineIngestFigures {
  rows: number;
  seconds: number;
  perSecond: number;
  /** Main file + WAL after a checkpoint. */
  bytes: number;
}

/** Raw better-sqlite3 inserts of the same rows, 1 000 per transaction. */
export function ingestBaseline(file: string, plan: CorpusPlan, onProgress?: (done: number, seconds: number) => void): BaselineIngestFigures {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(BASELINE_SCHEMA);
    const insert = db.prepare(
      `INSERT INTO messages (id, conversation_id, account_id, remote_id, direction, sender_name, protocol, body, sent_at, received_at, status, facts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const conversationIds = Array.from({ length: plan.conversations }, () => uuidv7());
    const accountIds = BENCH_PROTOCOLS.map(() => uuidv7());
    const facts = BENCH_PROTOCOLS.map((p) => JSON.stringify(TYPICAL_FACTS[p]));
    const peerNames = Array.from({ length: plan.conversations }, (_, k) => peerOf(k, BENCH_PROTOCOLS[k % BENCH_PROTOCOLS.length]!).displayName);
    let rows: CorpusMessage[] = [];
    let ns = 0n;
    let done = 0;
    const tx = db.transaction((batch: CorpusMessage[]) => {
      const now = Date.now();
      for (const m of batch) {
        const a = m.conversation % BENCH_PROTOCOLS.length;
        const protocol = BENCH_PROTOCOLS[a]!;
        insert.run(
          uuidv7(),
          conversationIds[m.conversation]!,
          accountIds[a]!,
          `bench-${m.index}`,
          m.self ? 'out' : 'in',
          m.self ? 'You' : peerNames[m.conversation]!,
          protocol,
          m.text,
          m.sentAt,
          now,
          m.self ? 'sent' : 'received',
          facts[a]!,
        );
      }
    });
    const write = () => {
      const start = process.hrtime.bigint();
      tx(rows);
      ns += process.hrtime.bigint() - start;
      done += rows.length;
      rows = [];
      if (done % 50_000 === 0) onProgress?.(done, Number(ns) / 1e9);
    };
    for (const m of corpus(plan)) {
      rows.push(m);
      if (rows.length === BASELINE_TX_ROWS) write();
    }
    if (rows.length > 0) write();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const seconds = Number(ns) / 1e9;
    return { rows: done, seconds, perSecond: done / seconds, bytes: dbBytes(file) };
  } finally {
    db.close();
  }
}

/** Size of a database file plus its WAL (if any). */
export function dbBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += statSync(f).size;
    } catch {
      // No WAL after a truncating checkpoint: nothing to add.
    }
  }
  return total;
}

/** Checkpoints the WAL into the main file and returns main + WAL bytes. */
export function checkpointedBytes(core: CoreInternals, file: string): number {
  core.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
  return dbBytes(file);
}
