import type { ContactBrief, Protocol } from '../api/types.ts';
import type { Db } from '../store/open.ts';
import { stmt } from '../store/statements.ts';

/** The longest contact list one call returns unless asked for less. */
export const CONTACT_LIST_DEFAULT = 200;

export interface ContactListOptions {
  /** Only contacts with an address on this account. */
  accountId?: string | undefined;
  /** Only names containing this (case-insensitive for ASCII letters). */
  query?: string | undefined;
  limit?: number | undefined;
}

/**
 * The people the user chats with, by name: contacts with a 1:1 conversation that is not a pending
 * message request. Contacts known only as someone in a group room (no chat of their own) and
 * strangers not accepted yet are left out.
 */
export function listContacts(db: Db, opts: ContactListOptions = {}): ContactBrief[] {
  const query = opts.query?.trim() ?? '';
  const rows = stmt(
    db,
    `SELECT c.id, c.display_name,
       (SELECT group_concat(DISTINCT i.protocol) FROM identities i WHERE i.contact_id = c.id) AS protocols
     FROM contacts c JOIN conversations v ON v.contact_id = c.id AND v.request = 0
     WHERE (@account IS NULL OR EXISTS (SELECT 1 FROM identities i WHERE i.contact_id = c.id AND i.account_id = @account))
       AND (@like IS NULL OR c.display_name LIKE @like ESCAPE '\\')
     ORDER BY c.display_name COLLATE NOCASE, c.id
     LIMIT @limit`,
  ).all({
    account: opts.accountId ?? null,
    like: query === '' ? null : `%${query.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`,
    limit: opts.limit ?? CONTACT_LIST_DEFAULT,
  }) as { id: string; display_name: string; protocols: string | null }[];
  return rows.map((r) => ({
    id: r.id,
    displayName: r.display_name,
    protocols: (r.protocols ?? '').split(',').filter(Boolean).sort() as Protocol[],
  }));
}
