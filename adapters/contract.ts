/**
 * The adapter contract: the only shape in which a protocol talks to core.
 * Adapters report protocol-neutral events and *facts* about routes; core decides everything else
 * (padlock, route, storage). See ../shared/ARCHITECTURE.md.
 */

/** The protocols Switchboard speaks. */
export type Protocol = 'email' | 'xmpp' | 'matrix' | 'native';
export const PROTOCOLS: readonly Protocol[] = ['email', 'xmpp', 'matrix', 'native'];

/** Facts an adapter reports about a route; core/security alone turns them into a padlock. */
export interface SecurityFacts {
  /** Encryption between this device and the server. */
  transport: 'tls-verified' | 'tls-unverified' | 'none';
  /** End-to-end encryption: `all` no server can read it, `partial` some group members are not e2e, `none`. */
  endToEnd: 'all' | 'partial' | 'none';
  /** Past messages stay safe if today's keys leak. */
  forwardSecrecy: boolean;
  /** How the peer's identity is known: verified out of band, trusted on first use, changed since, or not at all. */
  identity: 'verified' | 'tofu' | 'changed' | 'none';
  /** The server cannot link sender and recipient (pairwise mailboxes, sealed sender). */
  metadataProtection: boolean;
  /** Key agreement resists a future quantum computer. */
  postQuantum: boolean;
  /** The route cannot be silently downgraded to plaintext. */
  downgradeResistant: boolean;
  /** A bridge or gateway that reads every message (its name), if any. */
  serverPlaintext?: string | undefined;
}

/** Someone on a protocol, as the adapter sees them. */
export interface RemotePerson {
  /** Protocol address: an email address, a JID, an MXID, a native relationship id (local, never sent). */
  address: string;
  displayName?: string | undefined;
}

/** Where a message lives remotely: a 1:1 chat with a peer, or a group room on this protocol. */
export type RemoteConversationRef =
  | { kind: 'direct'; peer: RemotePerson }
  | { kind: 'group'; roomId: string; title?: string | undefined };

/** A route core asks about: an account and the address or room it reaches. */
export interface RouteRef {
  accountId: string;
  /** A peer address (direct) or a room id (group). */
  target: string;
}

/** A message core asks an adapter to send. `clientId` makes sending idempotent. */
export interface OutgoingMessage {
  clientId: string;
  accountId: string;
  conversation: RemoteConversationRef;
  text: string;
  /**
   * A Switchboard invite to end-to-end encrypted chat that travels with this message, for a
   * contact reachable only by another protocol (email: in the `Switchboard-Invite` header too,
   * so another Switchboard does not depend on the text surviving).
   */
  invitation?: InvitationRef | undefined;
}

/** A Switchboard invite carried inside another protocol's message. */
export interface InvitationRef {
  /** The full invite link, `switchboard://invite/1/...`. */
  link: string;
}

export interface SendReceipt {
  /** The protocol's id for the sent message, used to dedupe its echo. */
  remoteId: string;
  sentAt: number;
}

/** Why a send failed, so the outbox knows whether to retry. */
export type SendErrorClass = 'network' | 'auth' | 'permanent';

/** The error an adapter throws from `send`. Anything else thrown counts as `network`. */
export class AdapterSendError extends Error {
  override readonly name = 'AdapterSendError';
  constructor(
    readonly errorClass: SendErrorClass,
    message: string,
  ) {
    super(message);
  }
}

export type AccountStatus = 'offline' | 'connecting' | 'online' | 'error';

/** An attachment as the adapter lists it; its bytes come from `Adapter.fetchAttachment`. */
export interface AttachmentInfo {
  /** The adapter's id for it within the message (a MIME part number, an index). */
  id: string;
  filename: string;
  mimeType: string;
  /** Bytes (decoded), as far as the adapter knows. */
  size: number;
}

/**
 * What a message holds beyond its chat text (email): the whole original, HTML, attachments, or
 * why it cannot be shown. Core keeps it; the chat shows `text`, the original is one click away.
 */
export interface MessageContent {
  subject?: string | undefined;
  /** The full text before quoted history and signature were stripped (only when it differs from `text`). */
  originalText?: string | undefined;
  /** The HTML body as received: untrusted, never put into the app's DOM (core renders it in an isolated view). */
  html?: string | undefined;
  attachments?: AttachmentInfo[] | undefined;
  /** Why the message cannot be displayed (over a limit, undecryptable, malformed); `text` says so in words. */
  problem?: string | undefined;
  /** The sender invites the user to Switchboard's end-to-end encrypted chat (a machine-readable invite came with it). */
  invitation?: InvitationRef | undefined;
}

/** The bytes of one attachment. */
export interface AttachmentData {
  filename: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** Protocol-neutral events an adapter emits. */
export type AdapterEvent =
  | {
      type: 'message';
      accountId: string;
      /** The protocol's id of the message; with the account, the dedupe key. */
      remoteId: string;
      conversation: RemoteConversationRef;
      /** The sender, or `self` for a message this account sent (another client, an echo). */
      sender: RemotePerson | 'self';
      text: string;
      sentAt: number;
      /** For `self` messages sent by Switchboard: the client id, so the echo joins the outbox row. */
      clientId?: string | undefined;
      /** Facts about how this message travelled; defaults to the route's facts. */
      facts?: SecurityFacts | undefined;
      /** Already seen elsewhere or fetched as history: stored without counting as unread or notifying. */
      historical?: boolean | undefined;
      /**
       * From someone the user has not accepted yet (a stranger who used a public invite, mail from an
       * unknown sender): a new conversation starts as a message request, not in the inbox.
       */
      request?: boolean | undefined;
      /**
       * The conversation's disappearing timer when the message was sent, in seconds (absent or 0:
       * kept). Core deletes the message this long after it was read (incoming) or sent (outgoing).
       */
      disappearAfterSeconds?: number | undefined;
      /** Subject, original, HTML, attachments, or a problem (email). */
      content?: MessageContent | undefined;
    }
  | { type: 'delivery'; accountId: string; clientId: string; state: 'delivered' | 'read' }
  | { type: 'status'; accountId: string; status: AccountStatus; error?: string | undefined }
  | { type: 'route-facts'; accountId: string; target: string; facts: SecurityFacts }
  | { type: 'error'; accountId: string; error: string }
  /**
   * Someone became reachable without a message yet (they accepted our invite, or we accepted theirs):
   * core makes sure the contact and the direct conversation exist, so the user sees them at once.
   */
  | {
      type: 'peer';
      accountId: string;
      peer: RemotePerson;
      request?: boolean | undefined;
      /** They became reachable by accepting this invite of ours (its `InviteInfo.id`). */
      inviteId?: string | undefined;
    }
  /**
   * A group room this account is in appeared or changed (made here or elsewhere, renamed, members
   * changed); `left`: the account is no longer in it. Core keeps the group conversation in step.
   */
  | { type: 'group'; accountId: string; roomId: string; title: string; left: boolean }
  /** The peer (or a group member) changed the conversation's disappearing timer. */
  | { type: 'disappearing'; accountId: string; conversation: RemoteConversationRef; seconds: number }
  /**
   * The body of a message first reported from its headers alone (an email account's first sync
   * lists a big mailbox from headers, then fills in the texts newest first): core replaces the
   * stored message's text, content and facts. Acknowledged through `messagesStored` like a message.
   */
  | {
      type: 'message-body';
      accountId: string;
      remoteId: string;
      text: string;
      content?: MessageContent | undefined;
      facts?: SecurityFacts | undefined;
    }
  /**
   * The sender replaced the text of a message reported earlier (`remoteId`: the original's). Core
   * shows the new text, marked edited; an edit of a message it does not have is logged and dropped.
   */
  | { type: 'message-edit'; accountId: string; remoteId: string; text: string; editedAt: number }
  /** The sender (or a room moderator) deleted a message reported earlier: core keeps a "deleted" line, not its text. */
  | { type: 'message-redacted'; accountId: string; remoteId: string; redactedAt: number }
  /** Initial or catch-up sync progress: `done` of `total` messages; `done === total` when finished. */
  | { type: 'sync'; accountId: string; done: number; total: number }
  /** Something the account's own views show changed (invites, the quarantine, a peer's identity); the UI re-reads it. */
  | { type: 'changed'; accountId: string; topic: 'invites' | 'quarantine' | 'identity' }
  /**
   * A peer's presence changed, or whether it can be seen (XMPP): core re-reads `presenceOf` for the
   * contact's views.
   */
  | { type: 'presence'; accountId: string; address: string; state: PresenceState }
  /** An interactive verification with a peer moved on (Matrix emoji verification, `Adapter.sas`). */
  | { type: 'verification'; accountId: string; requestId: string; peer: RemotePerson; step: VerificationStep }
  /** The peer (or a group member, `sender`) started or stopped typing (XMPP chat states). */
  | { type: 'typing'; accountId: string; conversation: RemoteConversationRef; sender: RemotePerson; typing: boolean };

/**
 * Where an interactive verification stands: asked by them and waiting for the user (`incoming`),
 * waiting for the other side (`waiting`), the emoji to compare (`emoji`), the user said they match
 * and the other side has not yet (`confirmed`), verified (`done`), or stopped (`cancelled`, why).
 */
export type VerificationStep =
  | { phase: 'incoming' | 'waiting' | 'confirmed' | 'done' }
  | { phase: 'emoji'; emoji: { symbol: string; name: string }[] }
  | { phase: 'cancelled'; reason: string };

/** A peer's presence: a client of theirs connected, all of them away, or none connected. */
export type PresenceState = 'available' | 'away' | 'offline';

export type AdapterEventType = AdapterEvent['type'];
export type Unsubscribe = () => void;

/** One account on one protocol. */
export interface Adapter {
  readonly protocol: Protocol;
  readonly accountId: string;
  /** Connects and keeps reconnecting with backoff until `disconnect` or the signal aborts. */
  connect(signal: AbortSignal): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Idempotent on `out.clientId`. Throws `AdapterSendError` to say whether to retry. Core gives up
   * waiting after a deadline and aborts `signal`; the adapter should stop then (core retries later).
   */
  send(out: OutgoingMessage, signal?: AbortSignal): Promise<SendReceipt>;
  /**
   * Fetches older history of a conversation from the server (the user scrolled past what is
   * stored); it arrives as `historical` message events. `more`: the server has older still.
   */
  syncHistory?(conversation: RemoteConversationRef, before?: string): Promise<void | { more: boolean }>;
  /** Tells the peer the user has read up to this message. Core calls it only where the receipts policy allows. */
  sendReadReceipt?(conversation: RemoteConversationRef, upToRemoteId: string): Promise<void>;
  /** Sets the conversation's disappearing timer (0: off) and tells the peer; later messages carry it. */
  setDisappearing?(conversation: RemoteConversationRef, seconds: number): Promise<void>;
  /** The user accepted a message request from this conversation: receipts may flow from now on. */
  peerAccepted?(conversation: RemoteConversationRef): void;
  /** Tells the peer the user is (or stopped) typing. Core calls it only where the receipts policy allows. */
  sendTyping?(conversation: RemoteConversationRef, typing: boolean): Promise<void>;
  securityFacts(route: RouteRef): SecurityFacts;
  /**
   * Core has durably stored these messages (by `remoteId`, including ones it already had): the
   * adapter may now acknowledge them to its server. Called after every ingest commit.
   */
  messagesStored?(remoteIds: readonly string[]): void;
  /** The bytes of an attachment of a message this adapter reported (`AttachmentInfo.id`). Throws `AdapterActionError`. */
  fetchAttachment?(remoteId: string, attachmentId: string): Promise<AttachmentData>;
  /** Invites (the native protocol); absent on protocols without them. */
  readonly invites?: InviteActions | undefined;
  /**
   * A peer's presence as the account sees it now, or null when it cannot (not subscribed to their
   * presence, not online). Adapters that have it say when it changes with `presence` events.
   */
  presenceOf?(address: string): PresenceState | null;
  /** Making and managing group rooms, where the protocol lets a client do that. */
  readonly groups?: GroupActions | undefined;
  /** Out-of-band identity checks (safety numbers); absent where the protocol has none. */
  readonly verification?: VerificationActions | undefined;
  /** Interactive verification by comparing emoji (Matrix SAS); absent where the protocol has none. */
  readonly sas?: SasActions | undefined;
  on<E extends AdapterEventType>(
    type: E,
    fn: (e: Extract<AdapterEvent, { type: E }>) => void,
  ): Unsubscribe;
}

/** What core stores about an account and hands to the adapter factory. */
export interface AccountConfig {
  id: string;
  protocol: Protocol;
  address: string;
  displayName: string;
  /** Protocol-specific settings (server, port, ...). Secrets are never logged. */
  settings: Record<string, unknown>;
}

/**
 * Durable key-value storage core keeps for one account (keys, sessions, sync state), in the profile
 * database. Synchronous; `write` applies all its operations in one transaction.
 */
export interface AdapterStateStore {
  get(ns: string, key: string): Uint8Array | undefined;
  /** Every entry of a namespace, by key order. */
  list(ns: string): [key: string, value: Uint8Array][];
  /** Applies every write atomically; `value: null` deletes. */
  write(ops: readonly StateWrite[]): void;
}

export interface StateWrite {
  ns: string;
  key: string;
  value: Uint8Array | null;
}

/** What core hands an adapter besides its account. */
export interface AdapterServices {
  state: AdapterStateStore;
  /**
   * The account's secrets (an email password), decrypted by core from their encrypted store just
   * for this adapter. Never logged, never sent to the renderer.
   */
  secrets: Readonly<Record<string, string>>;
}

/** Builds an adapter for an account. */
export type AdapterFactory = (account: AccountConfig, services: AdapterServices) => Adapter;

/** Server settings found for an address (email autoconfig), for the user to confirm or edit. */
export interface DiscoveredSettings {
  settings: Record<string, unknown>;
  /** Where they came from, in words ("autoconfig.example.org", "DNS SRV records", "a guess"). */
  source: string;
}

/** What a protocol offers before an account exists: finding its settings and checking a login. */
export interface AccountSetup {
  /** Finds server settings for an address; null when nothing was found. */
  discover?(address: string, signal: AbortSignal): Promise<DiscoveredSettings | null>;
  /** Logs in with these settings and secrets and logs out; throws `AdapterActionError` with a message for the user. */
  probe?(account: AccountConfig, secrets: Readonly<Record<string, string>>, signal: AbortSignal): Promise<void>;
  /**
   * Whether a change of settings changes how the account logs in (servers, user name), so `probe`
   * must check the new ones before they are saved. Absent: every change does.
   */
  loginChanged?(before: Record<string, unknown>, after: Record<string, unknown>): boolean;
  /**
   * Logs in for good and returns the secrets to keep instead of the typed ones (Matrix: an access
   * token and its device, so the password is never stored). Where present, core calls it instead
   * of `probe` when an account is added or its password replaced. Throws `AdapterActionError`.
   */
  login?(account: AccountConfig, secrets: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Record<string, string>>;
  /** Ends the login `login` made (Matrix: the server forgets the device); called when the account is removed. */
  logout?(account: AccountConfig, secrets: Readonly<Record<string, string>>, signal: AbortSignal): Promise<void>;
}

/** The kinds of invite: one-use, limited to N uses, valid until a time, or a long-lived contact address. */
export type InviteKind = 'one-use' | 'multi-use' | 'timed' | 'address';

export interface InviteOptions {
  kind: InviteKind;
  /** For `multi-use`: how many people may accept it. */
  uses?: number | undefined;
  /** Seconds until it expires (every kind but `address` expires; defaults per kind). */
  expiresInSeconds?: number | undefined;
  /** The user's own note ("for the book club"); never sent. */
  label?: string | undefined;
}

/** An invite this account made. */
export interface InviteInfo {
  id: string;
  kind: InviteKind;
  label: string;
  /** `switchboard://invite/1/...`: carries everything. */
  link: string;
  /** `switchboard://i/1/...`: short enough for a QR code; the rest is fetched from the relay. */
  shortLink: string | null;
  createdAt: number;
  expiresAt: number | null;
  /** Accepts allowed in all (null: unlimited) and accepts so far. */
  maxUses: number | null;
  uses: number;
  state: 'active' | 'used-up' | 'expired' | 'revoked';
}

/** An accept that arrived faster than the flood threshold, held for the user to review. */
export interface QuarantinedAccept {
  id: string;
  inviteId: string;
  inviteLabel: string;
  /** The name the stranger chose (unverified). */
  displayName: string;
  arrivedAt: number;
}

/** What accepting an invite created: the peer, reachable once they confirm. */
export interface AcceptedInvite {
  peer: RemotePerson;
}

/** Invite operations an adapter offers. Errors are thrown as `AdapterActionError` with a user-facing message. */
export interface InviteActions {
  create(opts: InviteOptions): Promise<InviteInfo>;
  list(): InviteInfo[];
  revoke(inviteId: string): Promise<void>;
  accept(link: string): Promise<AcceptedInvite>;
  quarantine(): QuarantinedAccept[];
  /** Accepts or rejects held accepts; `ids: 'all'` for every one. */
  decideQuarantine(ids: readonly string[] | 'all', accept: boolean): Promise<void>;
}

/** A member of a group room, as the account knows them. */
export interface GroupMemberInfo {
  /** The member's address on this protocol (a peer address the account can reach), or null when it has no route to them. */
  address: string | null;
  displayName: string;
  isSelf: boolean;
  isAdmin: boolean;
}

/** Group operations an adapter offers. Errors are thrown as `AdapterActionError`. */
export interface GroupActions {
  /** Makes a group with these peers (by address); returns its room. */
  create(name: string, members: readonly string[]): Promise<{ roomId: string; title: string }>;
  /** Sets who is in the group (peers by address; the account itself stays). Only the group's admin may. */
  setMembers(roomId: string, members: readonly string[]): Promise<void>;
  members(roomId: string): GroupMemberInfo[];
  /** Joins a room by its address under a nickname (XMPP MUC); returns it. */
  join?(address: string, nickname: string): Promise<{ roomId: string; title: string }>;
  /** Leaves a room for good. */
  leave?(roomId: string): Promise<void>;
  /** Changes the user's nickname in a room. */
  setNickname?(roomId: string, nickname: string): Promise<void>;
}

/** A safety number: the same on both sides when nobody is in the middle. */
export interface SafetyNumber {
  /** 60 digits in 12 groups of 5, space-separated. */
  digits: string;
  /** The scannable form (base64), for a QR code. */
  qrPayload: string;
  verified: boolean;
  /** The peer's key changed since it was first seen or verified, and the user has not acknowledged it. */
  changed: boolean;
}

export interface VerificationActions {
  safetyNumber(peerAddress: string): SafetyNumber;
  /** Marks the peer's current key verified (or not). */
  setVerified(peerAddress: string, verified: boolean): void;
  /** The user accepts the peer's new key (trusted on first use again, not verified). */
  acknowledgeChange(peerAddress: string): void;
  /** Compares a scanned QR payload with ours; true when they match. */
  compareScanned?(peerAddress: string, qrPayload: string): boolean;
}

/** Interactive verification (Matrix SAS). Progress comes as `verification` events. Errors are `AdapterActionError`. */
export interface SasActions {
  /** Asks the peer to verify; returns the verification's id. */
  request(peerAddress: string): Promise<string>;
  accept(requestId: string): Promise<void>;
  /** The user compared the emoji: they match, or they do not (which cancels it). */
  confirm(requestId: string, match: boolean): Promise<void>;
  cancel(requestId: string): Promise<void>;
  /** The user accepts the peer's changed identity (trusted on first use again). */
  acknowledgeChange(peerAddress: string): Promise<void>;
}

/** A refused invite or verification action, with a message for the user. */
export class AdapterActionError extends Error {
  override readonly name = 'AdapterActionError';
  constructor(
    readonly code: 'invalid' | 'expired' | 'revoked' | 'used-up' | 'not-found' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}
