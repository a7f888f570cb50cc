/**
 * The api contract: every command (name → params schema → result type). Both transports and the
 * Electron preload allowlist derive from this file; params are validated here at the boundary.
 */
import { z } from 'zod';
import type {
  Account,
  AttachmentDownload,
  Contact,
  ContactBrief,
  ContactMerge,
  DiscoveredSettings,
  ConversationSummary,
  GroupMember,
  Invite,
  Message,
  MessageOriginal,
  Page,
  QuarantineEntry,
  SafetyNumberView,
  SearchHit,
  SendResult,
  Settings,
  UnmergeResult,
} from './types.ts';
import { COMMAND_NAMES, type CommandName } from './command-names.ts';

const id = z.string().min(1).max(200);
const cursor = z.string().max(200).nullish();
const limit = z.number().int().min(1).max(500).optional();
const protocol = z.enum(['email', 'xmpp', 'matrix', 'native']);

/** The longest disappearing-messages timer the api accepts: a year, in seconds. */
export const MAX_DISAPPEARING_SECONDS = 365 * 86_400;
/** The shortest (besides 0, off): a minute. */
export const MIN_DISAPPEARING_SECONDS = 60;
const disappearingSeconds = z
  .number()
  .int()
  .refine((s) => s === 0 || (s >= MIN_DISAPPEARING_SECONDS && s <= MAX_DISAPPEARING_SECONDS), {
    message: `must be 0 (off) or between ${MIN_DISAPPEARING_SECONDS} and ${MAX_DISAPPEARING_SECONDS} seconds`,
  });

/** An account's secrets by name (`password`): a few, each short. */
const accountSecrets = z
  .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/), z.string().max(4096))
  .refine((r) => Object.keys(r).length <= 8, { message: 'at most 8 secrets' });

export const commandSchemas = {
  'conversations.list': z.strictObject({
    /** `requests`: conversations started by people the user has not accepted yet. */
    folder: z.enum(['inbox', 'archived', 'requests']).optional(),
    cursor,
    limit,
  }),
  'conversations.get': z.strictObject({ conversationId: id }),
  'conversations.update': z.strictObject({
    conversationId: id,
    pinned: z.boolean().optional(),
    muted: z.boolean().optional(),
    archived: z.boolean().optional(),
    /**
     * The disappearing-messages timer in seconds, for both sides: 0 turns it off; otherwise one
     * minute to one year. The conversation's adapter must support it (`unavailable` if not).
     */
    disappearingSeconds: disappearingSeconds.optional(),
  }),
  'conversations.markRead': z.strictObject({ conversationId: id }),
  /** The user is (or stopped) typing; shared only where the receipts policy allows. */
  'conversations.typing': z.strictObject({ conversationId: id, typing: z.boolean() }),
  /** Moves a message request into the inbox (the sender becomes someone the user accepted). */
  'conversations.acceptRequest': z.strictObject({ conversationId: id }),
  /** Asks the servers for history older than what is stored (Matrix rooms); it arrives as message events. */
  'conversations.fetchHistory': z.strictObject({ conversationId: id }),
  /** Deletes a conversation and its messages (declining a request does this). */
  'conversations.delete': z.strictObject({ conversationId: id }),
  /** Starts (or opens) the 1:1 chat with someone by address, from the named account or the first of the protocol (default email). */
  'conversations.start': z.strictObject({
    accountId: id.optional(),
    protocol: z.enum(['email', 'xmpp', 'matrix']).optional(),
    address: z.string().min(3).max(320),
    displayName: z.string().max(200).optional(),
  }),
  /** Items come oldest first; `nextCursor` fetches the page before them. */
  'messages.page': z.strictObject({ conversationId: id, cursor, limit }),
  'messages.send': z.strictObject({
    conversationId: id,
    text: z.string().min(1).max(64_000),
    /** Client-generated id so a retried call never sends twice. */
    clientId: z.string().min(8).max(64).optional(),
    /** The user's answer to a `needs-decision` result. */
    decision: z.enum(['send-anyway', 'wait']).optional(),
  }),
  'messages.pin': z.strictObject({ messageId: id, pinned: z.boolean() }),
  'messages.pinned': z.strictObject({ conversationId: id }),
  'messages.retry': z.strictObject({ messageId: id }),
  /** Takes a queued or waiting message out of the outbox (it stays, marked not sent). */
  'messages.cancel': z.strictObject({ messageId: id }),
  /** The message as received: subject, sender, date, the full text, whether it has HTML and remote content. */
  'messages.original': z.strictObject({ messageId: id }),
  /** Lets the message's HTML load remote content (images): for this message, or always for its sender. */
  'messages.allowRemoteContent': z.strictObject({ messageId: id, scope: z.enum(['message', 'sender']) }),
  /** An attachment's bytes, fetched through the message's account (which must be online). */
  'messages.attachment': z.strictObject({ messageId: id, attachmentId: z.string().min(1).max(200) }),
  search: z.strictObject({ query: z.string().max(1000), limit }),
  'contacts.get': z.strictObject({ contactId: id }),
  /**
   * The people the user chats with (a 1:1 conversation that is not a pending request), by name;
   * with `accountId`, only those reachable through that account (who can be put in its groups).
   */
  'contacts.list': z.strictObject({ accountId: id.optional(), query: z.string().max(200).optional(), limit }),
  'contacts.pinRoute': z.strictObject({ contactId: id, identityId: id.nullable() }),
  /**
   * Merges one contact into another (the user says they are the same person): its routes and its
   * conversation's messages join the other. Undo with `contacts.unmerge` (`contacts.merges`).
   */
  'contacts.merge': z.strictObject({ fromContactId: id, intoContactId: id }),
  /** Undoes a merge: the merged contact, its conversation and its messages come back. Only a contact's latest merge. */
  'contacts.unmerge': z.strictObject({ mergeId: id }),
  /** The merges into a contact that stand, newest first, each saying whether it can be undone now (also `Contact.merges`). */
  'contacts.merges': z.strictObject({ contactId: id }),
  'settings.get': z.strictObject({}),
  'settings.set': z.strictObject({
    padlockStyle: z.enum(['explain', 'quiet']).optional(),
    receiptsOnWeakRoutes: z.boolean().optional(),
    securityDialogs: z.boolean().optional(),
    autoAcceptInvitations: z.boolean().optional(),
    theme: z.enum(['system', 'light', 'dark']).optional(),
  }),
  'security.firstUseSeen': z.strictObject({ protocol }),
  'accounts.list': z.strictObject({}),
  'accounts.add': z.strictObject({
    protocol,
    /** The adapter kind; defaults to the protocol. Test doubles register their own kind. */
    kind: z.string().min(1).max(50).optional(),
    address: z.string().min(1).max(320),
    displayName: z.string().max(200).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    /**
     * Secrets (an email password): sealed before they are stored, never returned or logged. With
     * a kind that can check a login, it is checked first and a refusal fails the call.
     */
    secrets: accountSecrets.optional(),
  }),
  'accounts.remove': z.strictObject({ accountId: id }),
  /**
   * Changes an account's name, settings (replaced whole) or secrets (merged by name). A new login
   * (servers, user name, password) is checked first, like `accounts.add`; then the adapter restarts.
   */
  'accounts.update': z.strictObject({
    accountId: id,
    displayName: z.string().max(200).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    secrets: accountSecrets.optional(),
  }),
  /** Looks up server settings for an address (email autoconfig); null when none were found. */
  'accounts.discover': z.strictObject({ protocol, kind: z.string().min(1).max(50).optional(), address: z.string().min(1).max(320) }),
  /** Makes an invite on a native account (the first native account when none is named). */
  'invites.create': z.strictObject({
    accountId: id.optional(),
    kind: z.enum(['one-use', 'multi-use', 'timed', 'address']),
    uses: z.number().int().min(2).max(1000).optional(),
    expiresInSeconds: z.number().int().min(60).max(365 * 86_400).optional(),
    label: z.string().max(200).optional(),
  }),
  'invites.list': z.strictObject({}),
  'invites.revoke': z.strictObject({ accountId: id, inviteId: id }),
  /**
   * Invites an email contact to end-to-end encrypted chat: makes a one-use invite bound to the
   * contact (14 days) and sends it by email in this conversation. Once accepted, the contact's
   * native route joins the same contact and conversation.
   */
  'conversations.upgrade': z.strictObject({ conversationId: id }),
  /** Accepts or declines the invitation to encrypted chat a message carries. */
  'invitations.respond': z.strictObject({ messageId: id, accept: z.boolean() }),
  /** Accepts an invite link (either form); the conversation with the inviter appears at once. */
  'invites.accept': z.strictObject({ link: z.string().min(1).max(10_000), accountId: id.optional() }),
  'quarantine.list': z.strictObject({}),
  'quarantine.decide': z.strictObject({
    accountId: id,
    ids: z.union([z.literal('all'), z.array(id).min(1).max(1000)]),
    accept: z.boolean(),
  }),
  /** The safety number of a contact's identity on a protocol that has them. */
  'safety.get': z.strictObject({ identityId: id }),
  'safety.setVerified': z.strictObject({ identityId: id, verified: z.boolean() }),
  /** The user accepts a contact's changed key (trusted again, not verified). */
  'safety.acknowledgeChange': z.strictObject({ identityId: id }),
  /** Asks a contact's address to verify by comparing emoji (Matrix); progress comes as `verification.updated`. */
  'verification.start': z.strictObject({ identityId: id }),
  /** Answers someone's verification request: the emoji come next. */
  'verification.accept': z.strictObject({ accountId: id, requestId: z.string().min(1).max(255) }),
  /** The user compared the emoji: they match (verified once the other side agrees), or not (stopped). */
  'verification.confirm': z.strictObject({ accountId: id, requestId: z.string().min(1).max(255), match: z.boolean() }),
  'verification.cancel': z.strictObject({ accountId: id, requestId: z.string().min(1).max(255) }),
  /** The user accepts a verified contact's changed identity (trusted on first use again, until verified anew). */
  'verification.acknowledgeChange': z.strictObject({ identityId: id }),
  /**
   * Makes a group chat with these contacts on an account that can (the first running one whose
   * network lets Switchboard make groups, when none is named); its conversation exists at once.
   */
  'groups.create': z.strictObject({
    accountId: id.optional(),
    name: z.string().trim().min(1).max(100),
    contactIds: z.array(id).min(1).max(100),
  }),
  /** Who is in a group chat (the user included). */
  'groups.members': z.strictObject({ conversationId: id }),
  /** Sets who is in a group chat besides the user (its admin only): add people, or remove them. */
  'groups.setMembers': z.strictObject({ conversationId: id, contactIds: z.array(id).max(100) }),
  /** Joins a group chat by its address (an XMPP room: room@conference.example.org) under a nickname. */
  'groups.join': z.strictObject({ accountId: id, address: z.string().trim().min(3).max(320), nickname: z.string().trim().min(1).max(100) }),
  /** Leaves a group chat for good: its conversation stays, readable, marked as left. */
  'groups.leave': z.strictObject({ conversationId: id }),
  /** Changes the user's nickname in a group chat. */
  'groups.setNickname': z.strictObject({ conversationId: id, nickname: z.string().trim().min(1).max(100) }),
} satisfies Record<CommandName, z.ZodType>;

/** The result type of each command. */
export interface CommandResults {
  'conversations.list': Page<ConversationSummary>;
  'conversations.get': ConversationSummary;
  'conversations.update': ConversationSummary;
  'conversations.markRead': ConversationSummary;
  'conversations.typing': { shared: boolean };
  'messages.page': Page<Message>;
  'messages.send': SendResult;
  'messages.pin': Message;
  'messages.pinned': Message[];
  'messages.retry': Message;
  'messages.cancel': Message;
  'messages.original': MessageOriginal;
  'messages.allowRemoteContent': MessageOriginal;
  'messages.attachment': AttachmentDownload;
  search: SearchHit[];
  'contacts.get': Contact;
  'contacts.pinRoute': Contact;
  'contacts.merge': { mergeId: string; conversation: ConversationSummary | null };
  'contacts.unmerge': UnmergeResult;
  'contacts.merges': ContactMerge[];
  'settings.get': Settings;
  'settings.set': Settings;
  'security.firstUseSeen': Settings;
  'accounts.list': Account[];
  'accounts.add': Account;
  'accounts.remove': { removed: true };
  'accounts.update': Account;
  'accounts.discover': DiscoveredSettings | null;
  'conversations.acceptRequest': ConversationSummary;
  'conversations.fetchHistory': { more: boolean };
  'conversations.delete': { deleted: true };
  'conversations.start': ConversationSummary;
  'invites.create': Invite;
  'invites.list': Invite[];
  'invites.revoke': Invite;
  'invites.accept': ConversationSummary;
  'conversations.upgrade': { conversation: ConversationSummary; message: Message };
  'invitations.respond': Message;
  'quarantine.list': QuarantineEntry[];
  'quarantine.decide': { remaining: number };
  'safety.get': SafetyNumberView;
  'safety.setVerified': SafetyNumberView;
  'safety.acknowledgeChange': SafetyNumberView;
  'verification.start': { accountId: string; requestId: string };
  'verification.accept': { ok: true };
  'verification.confirm': { ok: true };
  'verification.cancel': { ok: true };
  'verification.acknowledgeChange': { ok: true };
  'contacts.list': ContactBrief[];
  'groups.create': ConversationSummary;
  'groups.members': GroupMember[];
  'groups.setMembers': GroupMember[];
  'groups.join': ConversationSummary;
  'groups.leave': ConversationSummary;
  'groups.setNickname': GroupMember[];
}

export type CommandParams = { [K in CommandName]: z.input<(typeof commandSchemas)[K]> };
export type { CommandName };
export { COMMAND_NAMES };

/** The error every failed call carries across a transport. */
export interface ApiErrorShape {
  code: 'bad-request' | 'not-found' | 'timeout' | 'conflict' | 'internal' | 'unauthorized' | 'unavailable';
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorShape['code'],
    message: string,
  ) {
    super(message);
  }
}

/**
 * Milliseconds a call may take before it fails with `timeout`. A timeout means the outcome is
 * unknown (the command may still complete): read the state again rather than assume it failed.
 */
export const CALL_TIMEOUT_MS = 15_000;

/**
 * The deadline of `SLOW_COMMANDS` (command-names.ts): a login check gives up after 30 s, and the
 * call must outlive it to carry the reason back.
 */
export const SLOW_CALL_TIMEOUT_MS = 45_000;
