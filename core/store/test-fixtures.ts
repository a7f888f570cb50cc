/**
 * Test-only seed rows for the store tests (never imported by production code): an account, a
 * contact with one identity, a direct conversation, and messages, written with the same columns
 * ingest writes.
 */
import { newId } from './ids.ts';
import type { Db } from './open.ts';

/** Ids of the rows `seedConversation` wrote. */
export interface Seed {
  accountId: string;
  contactId: string;
  identityId: string;
  conversationId: string;
}

let counter = 0;

/** An email account; `address` must be unique per database. */
export function insertAccount(db: Db, address = `me${++counter}@example.org`): string {
  const id = newId();
  db.prepare(
    `INSERT INTO accounts (id, protocol, kind, address, display_name, settings, created_at)
     VALUES (?, 'email', 'x', ?, ?, '{}', ?)`,
  ).run(id, address, address, 1_000);
  return id;
}

/** A contact with one identity on `accountId`. */
export function insertContact(db: Db, accountId: string, address = `peer${++counter}@example.org`): { contactId: string; identityId: string } {
  const contactId = newId();
  const identityId = newId();
  db.prepare('INSERT INTO contacts (id, display_name, created_at) VALUES (?, ?, ?)').run(contactId, address, 1_000);
  db.prepare(
    `INSERT INTO identities (id, contact_id, account_id, protocol, address, display_name)
     VALUES (?, ?, ?, 'email', ?, ?)`,
  ).run(identityId, contactId, accountId, address, address);
  return { contactId, identityId };
}

/** The direct conversation of a contact. */
export function insertDirectConversation(db: Db, contactId: string, lastActivityAt = 1_000): string {
  const id = newId();
  db.prepare(
    `INSERT INTO conversations (id, kind, contact_id, title, last_activity_at, created_at)
     VALUES (?, 'direct', ?, 'Peer', ?, ?)`,
  ).run(id, contactId, lastActivityAt, 1_000);
  return id;
}

/** Account + contact + identity + direct conversation. */
export function seedConversation(db: Db): Seed {
  const accountId = insertAccount(db);
  const { contactId, identityId } = insertContact(db, accountId);
  const conversationId = insertDirectConversation(db, contactId);
  return { accountId, contactId, identityId, conversationId };
}

/** What a test may set on a message; everything else gets a plausible default. */
export interface MessageInput {
  conversationId: string;
  accountId: string;
  body?: string;
  id?: string;
  remoteId?: string | null;
  identityId?: string | null;
  direction?: 'in' | 'out';
  sentAt?: number;
}

const INSERT_MESSAGE = `INSERT INTO messages
  (id, conversation_id, account_id, remote_id, identity_id, direction, sender_name, protocol, body, sent_at, received_at, status)
  VALUES (@id, @conversationId, @accountId, @remoteId, @identityId, @direction, 'Peer', 'email', @body, @sentAt, @sentAt, 'received')
  RETURNING seq`;

function messageParams(m: MessageInput): Record<string, string | number | null> {
  return {
    id: m.id ?? newId(),
    conversationId: m.conversationId,
    accountId: m.accountId,
    remoteId: m.remoteId === undefined ? `<${newId()}@example.org>` : m.remoteId,
    identityId: m.identityId ?? null,
    direction: m.direction ?? 'in',
    body: m.body ?? 'hello',
    sentAt: m.sentAt ?? 2_000,
  };
}

/** Inserts one message; returns its seq. */
export function insertMessage(db: Db, m: MessageInput): number {
  return db.prepare(INSERT_MESSAGE).pluck().get(messageParams(m)) as number;
}

/** Inserts many messages with one prepared statement in one transaction; returns their seqs. */
export function insertMessages(db: Db, ms: readonly MessageInput[]): number[] {
  const stmt = db.prepare(INSERT_MESSAGE).pluck();
  return db.transaction(() => ms.map((m) => stmt.get(messageParams(m)) as number))();
}
