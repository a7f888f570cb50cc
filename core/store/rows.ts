/** Row shapes as SQLite returns them. */
import type { Protocol } from '../api/types.ts';

export interface AccountRow {
  id: string;
  protocol: Protocol;
  kind: string;
  address: string;
  display_name: string;
  settings: string;
  created_at: number;
}

export interface IdentityRow {
  id: string;
  contact_id: string;
  account_id: string;
  protocol: Protocol;
  address: string;
  display_name: string;
  facts: string | null;
  last_used_at: number | null;
}

export interface ContactRow {
  id: string;
  display_name: string;
  pinned_identity_id: string | null;
  created_at: number;
}

export interface ConversationRow {
  id: string;
  kind: 'direct' | 'group';
  contact_id: string | null;
  account_id: string | null;
  remote_id: string | null;
  title: string;
  facts: string | null;
  last_activity_at: number;
  last_message_seq: number | null;
  unread_count: number;
  pinned: number;
  muted: number;
  archived: number;
  created_at: number;
  /** 1 while the conversation is a message request (started by someone not accepted yet). */
  request: number;
  /** Generated from `archived` and `request`: the list the conversation shows in. */
  folder: ConversationFolder;
  /** The disappearing-messages timer in seconds; 0: off. */
  disappear_seconds: number;
  /** 1 once the account is no longer in this group room (readable, sending refused); 0 otherwise. */
  left_group: number;
}

/** The conversation lists: the inbox, the archive, and message requests. */
export type ConversationFolder = 'inbox' | 'archived' | 'requests';

export interface MessageRow {
  seq: number;
  id: string;
  conversation_id: string;
  account_id: string;
  remote_id: string | null;
  identity_id: string | null;
  direction: 'in' | 'out';
  sender_name: string;
  protocol: Protocol;
  body: string;
  sent_at: number;
  received_at: number;
  status: string;
  error: string | null;
  facts_id: number | null;
  pinned: number;
  /** The timer the message carries in seconds; 0: kept. */
  disappear_seconds: number;
  /** When the message is deleted (ms); null while kept or before its countdown started. */
  expires_at: number | null;
  /** `system`: a line Switchboard added (migration 007), not something a person wrote. */
  kind: 'chat' | 'system';
  /** When the sender last edited it (ms), or null (migration 009). */
  edited_at: number | null;
  /** When it was deleted remotely (ms), or null; its body is empty then. */
  redacted_at: number | null;
}

export interface OutboxRow {
  message_id: string;
  state: 'pending' | 'waiting-route';
  identity_id: string | null;
  account_id: string | null;
  decision: 'send-anyway' | 'wait' | null;
  attempts: number;
  next_attempt_at: number;
  first_failed_at: number | null;
  last_error: string | null;
}
