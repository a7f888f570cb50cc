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
  /** Protocol address: an email address, a JID, an MXID, a native identity key fingerprint. */
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
    }
  | { type: 'delivery'; accountId: string; clientId: string; state: 'delivered' | 'read' }
  | { type: 'status'; accountId: string; status: AccountStatus; error?: string | undefined }
  | { type: 'route-facts'; accountId: string; target: string; facts: SecurityFacts }
  | { type: 'error'; accountId: string; error: string };

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
  syncHistory?(conversation: RemoteConversationRef, before?: string): Promise<void>;
  /** Tells the peer the user has read up to this message. Core calls it only where the receipts policy allows. */
  sendReadReceipt?(conversation: RemoteConversationRef, upToRemoteId: string): Promise<void>;
  /** Tells the peer the user is (or stopped) typing. Core calls it only where the receipts policy allows. */
  sendTyping?(conversation: RemoteConversationRef, typing: boolean): Promise<void>;
  securityFacts(route: RouteRef): SecurityFacts;
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

/** Builds an adapter for an account. */
export type AdapterFactory = (account: AccountConfig) => Adapter;
