/**
 * The api commands for group chats on protocols whose client can make them (`adapter.groups`).
 * Core keeps no member lists: it picks the account, turns contacts into that account's addresses
 * and back, asks the adapter, and keeps the group conversation in step with the answer.
 */
import type { GroupActions, GroupMemberInfo } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { ConversationSummary, GroupMember } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { normaliseAddress } from '../contacts/resolve.ts';
import { hasLeft, LEFT_GROUP_REASON, syncGroupConversation } from '../groups/membership.ts';
import type { AccountRow, ContactRow, ConversationRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import { attempt, attemptAsync } from './adapter-errors.ts';
import type { Handlers } from './handlers.ts';

type GroupCommand = 'groups.create' | 'groups.members' | 'groups.setMembers' | 'groups.join' | 'groups.leave' | 'groups.setNickname';

/** What these handlers need from the others. */
export interface GroupHandlerDeps {
  /** Emits `conversation.updated` for a conversation and returns its summary. */
  announceConversation(conversationId: string): ConversationSummary;
}

const NO_GROUPS =
  'Group chats need an account whose network lets Switchboard make groups (Switchboard encrypted chat, or XMPP), and it must be running.';

/** The words for a contact who cannot be put in a group on this account. */
function noChatWith(name: string, protocol: AccountRow['protocol']): string {
  return protocol === 'native'
    ? `${name} has no encrypted chat with you yet: send them an invite first.`
    : `${name} has no address on this account's network, so they cannot join a group chat made with it.`;
}

export function groupHandlers(ctx: CoreContext, deps: GroupHandlerDeps): Pick<Handlers, GroupCommand> {
  const { db } = ctx;

  const contactRows = (ids: readonly string[]): ContactRow[] =>
    [...new Set(ids)].map((id) => {
      const row = stmt(db, 'SELECT * FROM contacts WHERE id = ?').get(id) as ContactRow | undefined;
      if (!row) throw new ApiError('not-found', 'One of these contacts no longer exists.');
      return row;
    });

  /** The contact's address on the account (the one used last, when there are several), if any. */
  const addressOn = (accountId: string, contactId: string): string | undefined =>
    pluck(db, 'SELECT address FROM identities WHERE contact_id = ? AND account_id = ? ORDER BY last_used_at DESC NULLS LAST, id LIMIT 1').get(
      contactId,
      accountId,
    ) as string | undefined;

  const addressesOn = (accountId: string, contacts: readonly ContactRow[]): string[] => {
    const protocol = pluck(db, 'SELECT protocol FROM accounts WHERE id = ?').get(accountId) as AccountRow['protocol'];
    return contacts.map((c) => {
      const address = addressOn(accountId, c.id);
      if (address === undefined) throw new ApiError('bad-request', noChatWith(c.display_name, protocol));
      return address;
    });
  };

  /**
   * The named account's group actions; or, when none is named, the first running account that has
   * them and reaches every one of these contacts (else the first that has them, whose refusal
   * then names who is missing).
   */
  const accountFor = (accountId: string | undefined, contacts: readonly ContactRow[]): { row: AccountRow; groups: GroupActions } => {
    if (accountId !== undefined) {
      const row = stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow | undefined;
      if (!row) throw new ApiError('not-found', 'That account does not exist.');
      const groups = ctx.accounts.adapter(row.id)?.groups;
      if (!groups) throw new ApiError('unavailable', `The account ${row.display_name} cannot make group chats. ${NO_GROUPS}`);
      return { row, groups };
    }
    const able = (stmt(db, 'SELECT * FROM accounts ORDER BY created_at, id').all() as AccountRow[]).flatMap((row) => {
      const groups = ctx.accounts.adapter(row.id)?.groups;
      return groups ? [{ row, groups }] : [];
    });
    const first = able.find(({ row }) => contacts.every((c) => addressOn(row.id, c.id) !== undefined)) ?? able[0];
    if (!first) throw new ApiError('unavailable', NO_GROUPS);
    return first;
  };

  /** A group conversation, its room and its account's group actions. */
  const groupOf = (conversationId: string): { conv: ConversationRow; accountId: string; roomId: string; groups: GroupActions } => {
    const conv = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(conversationId) as ConversationRow | undefined;
    if (!conv) throw new ApiError('not-found', 'That conversation does not exist.');
    if (conv.kind !== 'group' || !conv.account_id || !conv.remote_id) throw new ApiError('bad-request', 'That is not a group chat.');
    const adapter = ctx.accounts.adapter(conv.account_id);
    if (!adapter) throw new ApiError('unavailable', 'The account of this group is not running, so its members cannot be shown.');
    if (!adapter.groups) throw new ApiError('unavailable', 'Switchboard cannot show or change the members of a group on this network.');
    return { conv, accountId: conv.account_id, roomId: conv.remote_id, groups: adapter.groups };
  };

  /** The adapter's members as the api shows them: contacts where the account reaches them; the user first, then the admin, then by name. */
  const toMembers = (accountId: string, members: readonly GroupMemberInfo[]): GroupMember[] => {
    const protocol = pluck(db, 'SELECT protocol FROM accounts WHERE id = ?').get(accountId) as AccountRow['protocol'];
    const contactOf = stmt(db, 'SELECT c.id, c.display_name FROM identities i JOIN contacts c ON c.id = i.contact_id WHERE i.account_id = ? AND i.address = ?');
    const out = members.map((m): GroupMember => {
      const contact =
        m.isSelf || m.address === null
          ? undefined
          : (contactOf.get(accountId, normaliseAddress(protocol, m.address)) as { id: string; display_name: string } | undefined);
      return { displayName: contact?.display_name ?? m.displayName, contactId: contact?.id ?? null, isSelf: m.isSelf, isAdmin: m.isAdmin };
    });
    const rank = (m: GroupMember): number => (m.isSelf ? 0 : m.isAdmin ? 1 : 2);
    return out.sort((a, b) => rank(a) - rank(b) || a.displayName.localeCompare(b.displayName));
  };

  return {
    'groups.create': async (p) => {
      const contacts = contactRows(p.contactIds);
      const { row, groups } = accountFor(p.accountId, contacts);
      const addresses = addressesOn(row.id, contacts);
      const made = await attemptAsync(() => groups.create(p.name, addresses));
      // The adapter's own `group` event says the same a moment later; the conversation is there now.
      const conversationId = db.transaction(() =>
        syncGroupConversation(db, { accountId: row.id, roomId: made.roomId, title: made.title || p.name, left: false }, ctx.now()),
      )();
      if (!conversationId) throw new ApiError('internal', 'The group was made but its conversation could not be stored.');
      return deps.announceConversation(conversationId);
    },
    'groups.members': (p) => {
      const { accountId, roomId, groups } = groupOf(p.conversationId);
      return toMembers(accountId, attempt(() => groups.members(roomId)));
    },
    'groups.setMembers': async (p) => {
      const { conv, accountId, roomId, groups } = groupOf(p.conversationId);
      if (hasLeft(conv)) throw new ApiError('conflict', LEFT_GROUP_REASON);
      const current = attempt(() => groups.members(roomId));
      if (!current.some((m) => m.isSelf && m.isAdmin)) throw new ApiError('conflict', 'Only the group’s admin can change who is in it.');
      // A member the account has no address for could not be named in the new list: they would be
      // dropped without the user choosing it.
      if (current.some((m) => !m.isSelf && m.address === null)) {
        throw new ApiError('conflict', 'This group has members you have no chat with, so Switchboard cannot change it without removing them.');
      }
      const addresses = addressesOn(accountId, contactRows(p.contactIds));
      await attemptAsync(() => groups.setMembers(roomId, addresses));
      deps.announceConversation(conv.id);
      return toMembers(accountId, attempt(() => groups.members(roomId)));
    },
    'groups.join': async (p) => {
      const row = stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(p.accountId) as AccountRow | undefined;
      if (!row) throw new ApiError('not-found', 'That account does not exist.');
      const adapter = ctx.accounts.adapter(row.id);
      if (!adapter?.groups?.join) throw new ApiError('unavailable', `The account ${row.display_name} cannot join group chats by address (XMPP accounts can), or it is not running.`);
      const join = adapter.groups.join.bind(adapter.groups);
      const joined = await attemptAsync(() => join(p.address, p.nickname));
      const conversationId = db.transaction(() =>
        syncGroupConversation(db, { accountId: row.id, roomId: joined.roomId, title: joined.title, left: false }, ctx.now()),
      )();
      if (!conversationId) throw new ApiError('internal', 'Joined the group chat, but its conversation could not be stored.');
      return deps.announceConversation(conversationId);
    },
    'groups.leave': async (p) => {
      const { conv, accountId, roomId, groups } = groupOf(p.conversationId);
      if (hasLeft(conv)) return deps.announceConversation(conv.id);
      if (!groups.leave) throw new ApiError('unavailable', 'Switchboard cannot leave a group on this network.');
      const leave = groups.leave.bind(groups);
      await attemptAsync(() => leave(roomId));
      db.transaction(() => syncGroupConversation(db, { accountId, roomId, title: conv.title, left: true }, ctx.now()))();
      return deps.announceConversation(conv.id);
    },
    'groups.setNickname': async (p) => {
      const { conv, accountId, roomId, groups } = groupOf(p.conversationId);
      if (hasLeft(conv)) throw new ApiError('conflict', LEFT_GROUP_REASON);
      if (!groups.setNickname) throw new ApiError('unavailable', 'Nicknames cannot be changed in groups on this network.');
      const setNickname = groups.setNickname.bind(groups);
      await attemptAsync(() => setNickname(roomId, p.nickname));
      return toMembers(accountId, attempt(() => groups.members(roomId)));
    },
  };
}
