import type { Protocol, RemotePerson } from '../../adapters/contract.ts';
import type { Db } from '../store/open.ts';
import { newId } from '../store/ids.ts';
import type { ConversationRow, IdentityRow } from '../store/rows.ts';
import { stmt } from '../store/statements.ts';

/**
 * Finds the identity of a person on an account, creating identity and contact on first sight.
 * A new identity gets a new contact unless `intoContactId` names the contact a trusted link (an
 * invite made for that contact) says it belongs to: contacts are merged only by the user or such a
 * link, never by display name.
 */
export function resolveIdentity(
  db: Db,
  accountId: string,
  protocol: Protocol,
  person: RemotePerson,
  now: number,
  intoContactId?: string,
): IdentityRow {
  const address = normaliseAddress(protocol, person.address);
  const existing = stmt(db, 'SELECT * FROM identities WHERE account_id = ? AND address = ?').get(accountId, address) as
    | IdentityRow
    | undefined;
  const name = person.displayName?.trim() || address;
  if (existing) {
    if (person.displayName && person.displayName.trim() && existing.display_name !== name) {
      stmt(db, 'UPDATE identities SET display_name = ? WHERE id = ?').run(name, existing.id);
      existing.display_name = name;
    }
    return existing;
  }
  let contactId = intoContactId;
  if (contactId === undefined) {
    contactId = newId();
    stmt(db, 'INSERT INTO contacts (id, display_name, created_at) VALUES (?, ?, ?)').run(contactId, name, now);
  }
  const row: IdentityRow = {
    id: newId(),
    contact_id: contactId,
    account_id: accountId,
    protocol,
    address,
    display_name: name,
    facts: null,
    last_used_at: null,
  };
  stmt(db, 
    `INSERT INTO identities (id, contact_id, account_id, protocol, address, display_name, facts, last_used_at)
     VALUES (@id, @contact_id, @account_id, @protocol, @address, @display_name, @facts, @last_used_at)`,
  ).run(row);
  return row;
}

/** Addresses compare the way their protocol compares them. */
export function normaliseAddress(protocol: Protocol, address: string): string {
  const a = address.trim();
  switch (protocol) {
    case 'email':
    case 'xmpp':
      return a.toLowerCase();
    case 'matrix':
    case 'native':
      return a;
  }
}

/** How a conversation created on first need starts. */
export interface NewConversationOptions {
  /** Starts as a message request (from someone the user has not accepted); an existing one is left as it is. */
  request?: boolean | undefined;
}

/** The 1:1 conversation of a contact, created on first need. */
export function directConversation(
  db: Db,
  contactId: string,
  title: string,
  now: number,
  opts: NewConversationOptions = {},
): { row: ConversationRow; created: boolean } {
  const found = stmt(db, 'SELECT * FROM conversations WHERE contact_id = ?').get(contactId) as ConversationRow | undefined;
  if (found) return { row: found, created: false };
  const id = newId();
  stmt(db, 
    `INSERT INTO conversations (id, kind, contact_id, title, last_activity_at, created_at, request) VALUES (?, 'direct', ?, ?, ?, ?, ?)`,
  ).run(id, contactId, title, now, now, opts.request ? 1 : 0);
  return { row: stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow, created: true };
}

/** The conversation of a group room on an account, created on first need. */
export function groupConversation(
  db: Db,
  accountId: string,
  roomId: string,
  title: string | undefined,
  now: number,
  opts: NewConversationOptions = {},
): { row: ConversationRow; created: boolean } {
  const found = stmt(db, 'SELECT * FROM conversations WHERE account_id = ? AND remote_id = ?').get(accountId, roomId) as
    | ConversationRow
    | undefined;
  if (found) {
    if (title && title !== found.title) {
      stmt(db, 'UPDATE conversations SET title = ? WHERE id = ?').run(title, found.id);
      found.title = title;
    }
    return { row: found, created: false };
  }
  const id = newId();
  stmt(db, 
    `INSERT INTO conversations (id, kind, account_id, remote_id, title, last_activity_at, created_at, request) VALUES (?, 'group', ?, ?, ?, ?, ?, ?)`,
  ).run(id, accountId, roomId, title ?? roomId, now, now, opts.request ? 1 : 0);
  return { row: stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow, created: true };
}
