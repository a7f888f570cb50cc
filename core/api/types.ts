/**
 * Domain types the api hands to the renderer. Plain data only: the renderer imports these as types.
 */
import type {
  AccountStatus,
  AttachmentInfo,
  InviteInfo,
  InviteKind,
  PresenceState,
  VerificationStep,
  Protocol,
  QuarantinedAccept,
  SafetyNumber,
  SecurityFacts,
} from '../../adapters/contract.ts';

export type { AccountStatus, AttachmentInfo, InviteKind, PresenceState, Protocol, SecurityFacts, VerificationStep };

/** An invite, with the account that made it. */
export interface Invite extends InviteInfo {
  accountId: string;
}

/** An accept held in quarantine, with the account whose invite it used. */
export interface QuarantineEntry extends QuarantinedAccept {
  accountId: string;
}

/** A contact identity's safety number. */
export interface SafetyNumberView extends SafetyNumber {
  identityId: string;
  /** The contact's name and ours, for "compare with <name>". */
  peerName: string;
}

export type Colour = 'green' | 'grey' | 'red';

/** One criterion of a rating, in plain words. */
export interface RatingReason {
  criterion:
    | 'transport'
    | 'end-to-end'
    | 'forward-secrecy'
    | 'identity'
    | 'metadata'
    | 'post-quantum'
    | 'downgrade';
  points: number;
  max: number;
  passed: boolean;
  text: string;
}

/** What core/security makes of a route's facts. */
export interface Rating {
  score: number;
  colour: Colour;
  /** One sentence a grandmother can read. */
  summary: string;
  /** Two or three words beside the padlock ("Encrypted", "Not private", "Key changed"). */
  caption: string;
  reasons: RatingReason[];
}

export interface Account {
  id: string;
  protocol: Protocol;
  /** The adapter kind that serves it: the protocol, or a test double's name. */
  kind: string;
  address: string;
  displayName: string;
  status: AccountStatus;
  error?: string | undefined;
  /** Its running adapter can make group chats (`groups.create`) and list and change their members. */
  canCreateGroups: boolean;
  /** Its running adapter can join group chats by address (`groups.join`: XMPP rooms). */
  canJoinGroups: boolean;
  /** Initial or catch-up sync under way: `done` of `total` messages; null when none is running. */
  sync: { done: number; total: number } | null;
  /** Its settings (servers, sync window, ...) as stored; its secrets are never part of them. */
  settings: Record<string, unknown>;
}

/** Server settings found for an address (`accounts.discover`), for the user to confirm or edit. */
export type { DiscoveredSettings } from '../../adapters/contract.ts';

/** A contact's address on one protocol, reached through one account. */
export interface Identity {
  id: string;
  contactId: string;
  accountId: string;
  protocol: Protocol;
  address: string;
  displayName: string;
}

/** A route: an identity, whether its account can send now, and how it rates. */
export interface Route {
  identity: Identity;
  available: boolean;
  rating: Rating;
  /** The peer's identity changed since it was verified and the user has not accepted it (`verification.acknowledgeChange`). */
  identityChanged: boolean;
  /** The route's network verifies people by comparing emoji (`verification.start`): Matrix. */
  emojiVerification: boolean;
  /** Whether the peer has a client connected on this route (XMPP presence); null when the route does not say or its account is offline. */
  presence: PresenceState | null;
}

export interface Contact {
  id: string;
  displayName: string;
  identities: Identity[];
  routes: Route[];
  /** The identity the next message takes, if any route is available. */
  chosenIdentityId: string | null;
  /** Why that route, in plain words. */
  chosenReason: string;
  pinnedIdentityId: string | null;
  /** Invites made for this contact (upgrade to encrypted chat) that nobody accepted yet: revocable. */
  invites: Invite[];
  /** Contacts the user merged into this one, still merged (`contacts.unmerge`), newest first. */
  merges: ContactMerge[];
}

/** A contact merged into another by the user. */
export interface ContactMerge {
  id: string;
  /** The merged contact's name. */
  displayName: string;
  mergedAt: number;
  /** Why it cannot be undone now, in words (a later merge must be undone first); null if it can. */
  undoBlocked: string | null;
}

/** What undoing a merge gave back. */
export interface UnmergeResult {
  /** The merged contact, again a contact of its own (same id as before the merge). */
  restoredContactId: string;
  /** Its conversation (same id, title and settings), holding every message of its routes; null if it had none. */
  restoredConversation: ConversationSummary | null;
}

/** A contact as a list shows it: who, and the protocols they are reachable on. */
export interface ContactBrief {
  id: string;
  displayName: string;
  protocols: Protocol[];
}

/** A member of a group chat, as the group's account knows them. */
export interface GroupMember {
  displayName: string;
  /** The member's contact, or null when the account has no chat with them (someone only the group links you to). */
  contactId: string | null;
  /** The user. */
  isSelf: boolean;
  /** May change who is in the group. */
  isAdmin: boolean;
}

export type ConversationKind = 'direct' | 'group';

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  title: string;
  contactId: string | null;
  protocols: Protocol[];
  lastActivityAt: number;
  lastMessagePreview: string | null;
  unreadCount: number;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
  /** Started by someone the user has not accepted yet: shown under Requests, no receipts sent. */
  request: boolean;
  /** The rating of the route the next message will take. */
  rating: Rating;
  /** The disappearing-messages timer in seconds that messages sent from now on carry; 0: off. */
  disappearingSeconds: number;
  /** A group room's account (see `Account.canCreateGroups` for what it can do); null for a 1:1 conversation. */
  accountId: string | null;
  /** A group the user is no longer in (removed, or left): readable, but nothing can be sent to it. */
  left: boolean;
  /**
   * Upgrading to encrypted chat (`conversations.upgrade`): `possible` when the contact is reached
   * only by email and a native account exists; `invited` when an invitation was sent and is still
   * open; null otherwise (already encrypted, a group, a request, no native account).
   */
  upgrade: 'possible' | 'invited' | null;
  /** The contact's presence where a route reports it (XMPP): online on any route counts; null when none reports it. */
  presence: PresenceState | null;
}

export type MessageStatus =
  | 'received'
  | 'queued'
  | 'waiting-route'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed';

/**
 * An invitation to encrypted chat that came in (or went out in) a message: `offered` waits for the
 * user's answer; `failed` means accepting was refused (`error` says why); `sent` is one of ours.
 */
export type InvitationState = 'offered' | 'accepted' | 'declined' | 'failed' | 'sent';

export interface Message {
  id: string;
  conversationId: string;
  /** `system`: a line Switchboard added ("Messages to Ada are now end-to-end encrypted"), not something a person wrote. */
  kind: 'chat' | 'system';
  direction: 'in' | 'out';
  senderName: string;
  protocol: Protocol;
  text: string;
  sentAt: number;
  status: MessageStatus;
  error: string | null;
  pinned: boolean;
  /** How this message travelled. */
  rating: Rating;
  /**
   * When the message disappears (ms since the epoch); null while it is kept — no timer, or an
   * incoming one not read yet, or an outgoing one not sent yet (the countdown starts then).
   */
  expiresAt: number | null;
  /** The mail's subject (email), or null. */
  subject: string | null;
  /** A fuller original exists (the text before quotes and signature were cut, or an HTML body): `messages.original`. */
  hasOriginal: boolean;
  /** Files that came with it; their bytes come from `messages.attachment`. */
  attachments: AttachmentInfo[];
  /** Why the message cannot be displayed (too large, undecryptable, malformed), or null. */
  problem: string | null;
  /** The invitation to encrypted chat it carries (answer with `invitations.respond`), or null. */
  invitation: { state: InvitationState; error: string | null } | null;
  /** When the sender last edited it (ms since the epoch), or null. */
  editedAt: number | null;
  /** The sender (or a room moderator) deleted it: `text` is empty, the view says "Message deleted". */
  deleted: boolean;
}

/** Whether an HTML body loads remote content: it has none, it is blocked, or the user allowed it. */
export type RemoteContentState = 'none' | 'blocked' | 'allowed';

/** One emoji verification, as the `verification.updated` event carries it. */
export interface VerificationUpdate {
  accountId: string;
  requestId: string;
  /** The contact it is with, when the address belongs to one. */
  contactId: string | null;
  peerName: string;
  peerAddress: string;
  step: VerificationStep;
}

/** A message as received, for the "Show full message" view (`messages.original`). */
export interface MessageOriginal {
  messageId: string;
  subject: string | null;
  /** The sender's name, and address when known (null for a message without one). */
  from: { name: string; address: string | null };
  /** When it was sent (ms since the epoch). */
  date: number;
  /** The full text: the original before quotes and signature were cut, else the chat text. */
  text: string;
  /** An HTML body exists: show it in the isolated view (the bridge's `mailViewUrl`). */
  hasHtml: boolean;
  remoteContent: RemoteContentState;
  /** How many remote resources (images, backgrounds) the HTML refers to. */
  remoteCount: number;
  /** Allowing remote content for the sender is possible (an incoming message with a known address). */
  canAllowSender: boolean;
  attachments: AttachmentInfo[];
}

/** One attachment's bytes, base64-encoded for the transports (`messages.attachment`). */
export interface AttachmentDownload {
  filename: string;
  mimeType: string;
  base64: string;
}

export interface SearchHit {
  message: Message;
  conversationTitle: string;
  /** The text with matches marked by \u0001 ... \u0002 (the renderer highlights them, never as HTML). */
  snippet: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next (older) page; null at the end. */
  nextCursor: string | null;
}

export interface Settings {
  /** `explain` shows reasons and dialogs; `quiet` keeps the padlock but asks only for red downgrades. */
  padlockStyle: 'explain' | 'quiet';
  /** Send read receipts and typing on grey/red routes too (green routes always may). */
  receiptsOnWeakRoutes: boolean;
  /** Show first-use security dialogs. */
  securityDialogs: boolean;
  /** Accept invitations to encrypted chat without asking when they come from someone the user has written to. */
  autoAcceptInvitations: boolean;
  theme: 'system' | 'light' | 'dark';
}

/**
 * What a send did: queued it; or, before anything is stored or sent, asks the user first — the
 * first time a protocol is used (answer with `security.firstUseSeen`, then send again), or before
 * leaving a safer route (send again with a `decision`).
 */
export type SendResult =
  | {
      kind: 'queued';
      message: Message;
      /** Set when the message goes by a route less safe than the contact's best (a quiet-mode downgrade, a pin). */
      routeNote: string | null;
    }
  | { kind: 'first-use'; protocol: Protocol; rating: Rating }
  | {
      kind: 'needs-decision';
      /** The route available now, which rates lower than the contact's best known route. */
      available: Route | null;
      best: Route;
      /** Human sentence for the dialog. */
      question: string;
    };
