/**
 * One fetched mail → one protocol-neutral message event: parse (with limits) → decrypt (Autocrypt)
 * → which conversation (a peer, or a multi-recipient thread) → chat text. Never throws for bad
 * mail: a message that cannot be shown becomes a "could not display" message with its reason.
 */
import type { AdapterEvent, AttachmentInfo, InvitationRef, RemoteConversationRef, SecurityFacts } from '../contract.ts';
import type { AutocryptAccount } from './autocrypt/account.ts';
import type { AutocryptPeers } from './autocrypt/peers.ts';
import { hasInvitationHeader, ignoredOuterInvitation, invitationIn } from './invitation.ts';
import { htmlToText } from './mime/html-text.ts';
import { parseMail } from './mime/parse.ts';
import { chatText } from './mime/strip.ts';
import type { MailHeaderSummary, ParsedMail } from './mime/types.ts';
import type { LargeMessageParts } from './imap/large.ts';
import type { MailState, ThreadState } from './mail-state.ts';
import { boundedSummary, normaliseSubject, referencesFor, syntheticMessageId, threadRoot } from './threading.ts';

type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;

/** A message as fetched from one mailbox. */
export interface FetchedMail {
  mailbox: string;
  uidValidity: string;
  uid: number;
  flags: ReadonlySet<string>;
  size: number;
  internalDate: number;
  /** The top-level header fields the sync asked for. */
  headers: MailHeaderSummary;
  /** The whole message, or null when it is over the download limit. */
  raw: Uint8Array | null;
  /** Why `raw` is null, in words for the user. */
  skipped?: string | undefined;
  /** For a message over the limit: its text and attachment list, read part by part. */
  large?: LargeMessageParts | undefined;
  /** Only the headers were fetched (a first sync's older mail): the body comes later. */
  headersOnly?: boolean | undefined;
}

/** The text of a message stored from its headers until its body arrives. */
export const BODY_PENDING_TEXT = 'Loading…';

export interface IncomingContext {
  accountId: string;
  /** The account's own address (lowercased). */
  self: string;
  showMailFrom: 'accepted' | 'all';
  state: MailState;
  peers: AutocryptPeers;
  account: AutocryptAccount;
  /** Facts for plain and for end-to-end encrypted mail on this account. */
  facts(encrypted: boolean): SecurityFacts;
  now(): number;
}

/** What handling one mail produced: the event for core and, for a mail that could not be shown, why. */
export interface IncomingResult {
  event: MessageEvent;
  problem: string | null;
  /** The sender's Autocrypt state may have changed (the route's padlock may move). */
  autocryptFrom: string | null;
}

/** Header names the sync fetches for every message (the rest comes with the body, if it is downloaded). */
export const HEADER_FIELDS = [
  'from', 'to', 'cc', 'reply-to', 'subject', 'date', 'message-id', 'in-reply-to', 'references',
  'autocrypt', 'content-type', 'chat-version', 'auto-submitted', 'list-id', 'precedence',
];

export async function handleIncoming(m: FetchedMail, ctx: IncomingContext): Promise<IncomingResult> {
  let problem: string | null = m.skipped ?? null;
  let mail: ParsedMail | null = null;
  let encrypted = false;
  let summary = m.headers;
  if (m.raw) {
    const parsed = await parseMail(m.raw);
    if (parsed.ok) {
      mail = parsed.mail;
      summary = parsed.mail;
    } else {
      problem = parsed.reason;
      if (parsed.headers.messageId || parsed.headers.from) summary = parsed.headers;
    }
  }
  summary = boundedSummary(summary);
  const from = summary.from?.address ?? '';
  // Mail in INBOX "from" this account is anyone's to forge (extortion spam does): it counts as
  // ours only from Sent, or when it is signed with our own key (checked below).
  const fromSelfHeader = from === ctx.self;
  let fromSelf = fromSelfHeader && m.mailbox !== 'INBOX';
  // Before 1970 is not a date core stores; such a Date header is simply wrong.
  let date = Math.max(0, Math.min(summary.date ?? m.internalDate, ctx.now()));

  let autocryptFrom: string | null = null;
  if (!fromSelfHeader && from && (mail || summary.headers.length > 0)) {
    const values = (mail ?? summary).headers.filter((h) => h.name === 'autocrypt').map((h) => h.value);
    const contentType = summary.headers.find((h) => h.name === 'content-type')?.value ?? '';
    ctx.peers.processIncoming(from, date, values, { isReport: mail?.isReport ?? /^\s*multipart\/report/i.test(contentType) });
    autocryptFrom = from;
  }

  // Which header fields may carry an invite: the plain mail's, or only the protected ones inside an
  // encrypted mail (an outer one is anyone's to add on the way and would leak the link anyway).
  let inviteHeaders = mail?.headers ?? [];
  if (mail?.pgpEncrypted) {
    inviteHeaders = [];
    if (hasInvitationHeader(mail.headers)) ignoredOuterInvitation({ mailbox: m.mailbox, uid: m.uid });
    const decrypted = await decrypt(mail, ctx, fromSelfHeader ? null : from);
    if (decrypted.ok) {
      // Anyone can encrypt to our public key: only a valid signature by the sender's key makes the
      // mail end-to-end from them (and lets its gossip teach us other people's keys).
      encrypted = decrypted.signed;
      if (fromSelfHeader && decrypted.signed) fromSelf = true;
      const inner = decrypted.mail;
      inviteHeaders = inner.headers;
      if (decrypted.signed) ctx.peers.processGossip(date, inner.headers.filter((h) => h.name === 'autocrypt-gossip').map((h) => h.value), [...mail.to, ...mail.cc].map((a) => a.address));
      // The inner message holds the real subject (protected headers).
      mail = { ...inner, ...pick(mail), subject: inner.subject || mail.subject };
    } else {
      problem = decrypted.reason;
    }
  }

  const remoteId = summary.messageId ?? syntheticMessageId(summary, m.internalDate, m.size);
  const participants = others([...summary.to, ...summary.cc, ...(summary.from ? [summary.from] : [])], ctx.self);
  const root = threadRoot(ctx.state, remoteId, summary.inReplyTo, summary.references);
  ctx.state.setRoot(remoteId, root);
  const subject = (mail?.subject ?? summary.subject).trim();
  const names = new Map([...summary.to, ...summary.cc, ...(summary.from ? [summary.from] : [])].map((a) => [a.address.toLowerCase(), a.name]));
  const conversation = conversationFor(ctx, root, participants, subject, names);

  // A Date header counts whole seconds, our own sends milliseconds: mail dated in the same second
  // as the thread's latest message (a quick answer, or a mail that crossed ours) counts as after
  // it, so it is shown after it and moves the thread on (Autocrypt's "reply to encrypted" too).
  const prevAt = conversation.kind === 'direct' ? ctx.state.peer(conversation.peer.address)?.at : ctx.state.room(conversation.roomId)?.at;
  if (!fromSelf && prevAt !== undefined && date < prevAt && prevAt - date < 1000) date = prevAt + 1;
  const thread: ThreadState = { subject, lastMessageId: remoteId, references: referencesFor(summary.references, summary.inReplyTo, remoteId), encrypted, at: date };
  if (conversation.kind === 'direct') {
    const prev = ctx.state.peer(conversation.peer.address);
    if (!prev || prev.at <= date) ctx.state.setPeer(conversation.peer.address, thread);
  } else {
    const room = ctx.state.room(conversation.roomId);
    if (room && room.at <= date) ctx.state.setRoom(conversation.roomId, { ...room, ...thread, participants: room.participants, title: room.title });
  }
  if (fromSelf) for (const p of participants) ctx.state.addKnown(p);

  const known = conversation.kind === 'direct' ? ctx.state.isKnown(conversation.peer.address) : participants.some((p) => ctx.state.isKnown(p));
  // Chat mail (Switchboard, Delta Chat: `Chat-Version`) has a made-up subject; the chat hides it.
  const chatMail = (mail ?? summary).headers.some((h) => h.name === 'chat-version');
  const shownSubject = chatMail ? '' : subject;
  const { text, content } = m.headersOnly
    ? { text: BODY_PENDING_TEXT, content: shownSubject ? { subject: shownSubject } : undefined }
    : m.large && !mail
      ? largeBody(m.large, shownSubject)
      : body(mail, problem, shownSubject);
  // Only a mail read whole (and decrypted, if encrypted) vouches for an invite; header-only and
  // oversized mail has no `mail` here, and its body, when it comes, brings the invite along.
  const invitation: InvitationRef | undefined = mail && !problem ? invitationIn(inviteHeaders, { mailbox: m.mailbox, uid: m.uid }) : undefined;
  const event: MessageEvent = {
    type: 'message',
    accountId: ctx.accountId,
    remoteId,
    conversation,
    sender: fromSelf
      ? 'self'
      : { address: from || 'unknown@invalid', displayName: fromSelfHeader ? 'Unverified: someone using your address' : summary.from?.name || undefined },
    text,
    sentAt: date,
    clientId: fromSelf ? (ctx.state.clientIdOf(remoteId) ?? undefined) : undefined,
    facts: ctx.facts(encrypted),
    historical: m.flags.has('\\Seen') || undefined,
    request: !fromSelf && ctx.showMailFrom === 'accepted' && !known ? true : undefined,
    content: invitation ? { ...content, invitation } : content,
  };
  return { event, problem, autocryptFrom };
}

/** Outer fields that stay from the envelope (the inner part of PGP/MIME need not repeat them). */
function pick(outer: ParsedMail): Partial<ParsedMail> {
  return { messageId: outer.messageId, from: outer.from, to: outer.to, cc: outer.cc, date: outer.date, inReplyTo: outer.inReplyTo, references: outer.references, headers: outer.headers };
}

/** Decrypts PGP/MIME; `from` null: mail from this account, checked against our own key. */
async function decrypt(mail: ParsedMail, ctx: IncomingContext, from: string | null): Promise<{ ok: true; mail: ParsedMail; signed: boolean } | { ok: false; reason: string }> {
  const peer = from ? ctx.peers.get(from) : null;
  const keys = from ? [peer?.publicKey, peer?.gossipKey].filter((k): k is Uint8Array => !!k) : [ctx.account.publicKey];
  try {
    const { mime, signed } = await ctx.account.decrypt(mail.pgpEncrypted ?? '', keys);
    const inner = await parseMail(mime);
    if (!inner.ok) return { ok: false, reason: `The decrypted message could not be read: ${inner.reason}` };
    return { ok: true, mail: inner.mail, signed };
  } catch (e) {
    return { ok: false, reason: `This message is end-to-end encrypted, but Switchboard could not decrypt it (${e instanceof Error ? e.message : String(e)}). It may have been encrypted for another device or app.` };
  }
}

/** Everyone on the mail except this account, lowercased and without duplicates. */
function others(addrs: readonly { address: string }[], self: string): string[] {
  const out = new Set<string>();
  for (const a of addrs) {
    const x = a.address.toLowerCase();
    if (x && x !== self) out.add(x);
  }
  return [...out];
}

/**
 * A mail between this account and one other person is their 1:1 chat; more people make a thread
 * of its own (keyed by the thread's root Message-ID), and replies in a known thread stay there.
 */
function conversationFor(ctx: IncomingContext, root: string, participants: string[], subject: string, names: ReadonlyMap<string, string>): RemoteConversationRef {
  const room = ctx.state.room(root);
  if (room) {
    const merged = [...new Set([...room.participants, ...participants])];
    if (merged.length !== room.participants.length) ctx.state.setRoom(root, { ...room, participants: merged });
    return { kind: 'group', roomId: root, title: room.title };
  }
  if (participants.length >= 2) {
    const title = (normaliseSubject(subject) || participants.join(', ')).slice(0, 200);
    ctx.state.setRoom(root, { subject, title, participants, lastMessageId: root, references: [root], encrypted: false, at: 0 });
    return { kind: 'group', roomId: root, title };
  }
  const peer = participants[0] ?? ctx.self;
  return { kind: 'direct', peer: { address: peer, displayName: names.get(peer) || undefined } };
}

const MAX_BUBBLE_TEXT = 64_000;

function largeBody(large: LargeMessageParts, subject: string): { text: string; content: MessageEvent['content'] } {
  const full = large.text ?? (large.html ? htmlToText(large.html) : '');
  const chat = chatText(full);
  const text = chat.text.trim().slice(0, MAX_BUBBLE_TEXT) || (large.attachments.length > 0 ? '' : subject || '(empty message)');
  return {
    text,
    content: {
      subject: subject || undefined,
      originalText: chat.stripped ? full : undefined,
      html: large.html ?? undefined,
      attachments: large.attachments.length > 0 ? large.attachments : undefined,
    },
  };
}

function body(mail: ParsedMail | null, problem: string | null, subject: string): { text: string; content: MessageEvent['content'] } {
  if (!mail || problem) {
    const reason = problem ?? 'The message could not be read.';
    return { text: `Could not display this message: ${reason}`, content: { subject: subject || undefined, problem: reason } };
  }
  const full = mail.text ?? (mail.html ? htmlToText(mail.html) : '');
  const chat = chatText(full);
  const attachments: AttachmentInfo[] = mail.attachments
    .filter((a) => !a.inline || !mail.html)
    .map((a) => ({ id: a.id, filename: a.filename, mimeType: a.mimeType, size: a.size }));
  let text = chat.text.trim();
  if (!text && attachments.length === 0) text = subject || '(empty message)';
  if (text.length > MAX_BUBBLE_TEXT) text = `${text.slice(0, MAX_BUBBLE_TEXT)}…`;
  return {
    text,
    content: {
      subject: subject || undefined,
      originalText: chat.stripped || full.length > MAX_BUBBLE_TEXT ? full : undefined,
      html: mail.html ?? undefined,
      attachments: attachments.length > 0 ? attachments : undefined,
    },
  };
}
