/**
 * Sending: compose once (encrypted when Autocrypt recommends it), journal the bytes, submit over
 * SMTP, then have the IMAP side store the same bytes in Sent. Each step is recorded under the
 * client id, so a retry resumes where the last attempt stopped and never composes a second mail.
 */
import { randomUUID } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { AdapterSendError, type OutgoingMessage, type SendReceipt } from '../contract.ts';
import type { AutocryptAccount } from './autocrypt/account.ts';
import type { AutocryptPeers } from './autocrypt/peers.ts';
import { composeEncrypted, composePlain, type OutgoingMail } from './compose.ts';
import { smtpOptions } from './connection.ts';
import { checkInviteLink } from './invitation.ts';
import type { MailState, ThreadState } from './mail-state.ts';
import type { EmailSettings } from './settings.ts';
import { firstSubject, referencesFor, replySubject } from './threading.ts';

export interface OutgoingContext {
  self: { address: string; name: string };
  settings: EmailSettings;
  password: string;
  state: MailState;
  peers: AutocryptPeers;
  account: AutocryptAccount;
  /** Stores the sent mail in the Sent folder (queued on the IMAP connection; retried there). */
  storeInSent(clientId: string): void;
  now(): number;
}

/** Who a conversation's mail goes to, and the thread it continues. */
export function recipientsOf(out: Pick<OutgoingMessage, 'conversation'>, state: MailState): { to: string[]; thread: ThreadState | null } {
  if (out.conversation.kind === 'direct') {
    const to = out.conversation.peer.address.toLowerCase();
    return { to: [to], thread: state.peer(to) };
  }
  const room = state.room(out.conversation.roomId);
  if (!room) throw new AdapterSendError('permanent', 'Switchboard does not know who is in this email thread any more.');
  return { to: room.participants, thread: room };
}

/** True when Autocrypt says mail to these recipients should go encrypted (and every key is there). */
export function shouldEncrypt(to: readonly string[], thread: ThreadState | null, peers: AutocryptPeers): boolean {
  return peers.recommend(to, { replyToEncrypted: thread?.encrypted ?? false, selfPreferEncrypt: 'mutual' }) === 'encrypt';
}

export async function sendMail(out: OutgoingMessage, ctx: OutgoingContext, signal?: AbortSignal): Promise<SendReceipt> {
  let rec = ctx.state.sent(out.clientId);
  if (!rec) rec = await compose(out, ctx);
  if (rec.stage === 'composed') {
    const raw = ctx.state.rawOf(out.clientId);
    if (!raw) throw new AdapterSendError('permanent', 'The composed mail was lost before it could be sent.');
    await submit(raw, ctx, recipientsOf(out, ctx.state).to, signal);
    rec = { ...rec, stage: 'sent' };
    ctx.state.advanceSent(out.clientId, rec);
  }
  if (rec.stage === 'sent') ctx.storeInSent(out.clientId);
  return { remoteId: rec.messageId, sentAt: rec.sentAt };
}

/** The subject of an invitation to encrypted chat that is not a reply. */
export const INVITATION_SUBJECT = 'Invitation to end-to-end encrypted chat';

async function compose(out: OutgoingMessage, ctx: OutgoingContext): Promise<NonNullable<ReturnType<MailState['sent']>>> {
  const { to, thread } = recipientsOf(out, ctx.state);
  if (to.length === 0) throw new AdapterSendError('permanent', 'This email thread has nobody to send to.');
  if (out.invitation) {
    const checked = checkInviteLink(out.invitation.link);
    if (!checked.ok) throw new AdapterSendError('permanent', `The invite cannot go by email: ${checked.reason}.`);
  }
  const domain = ctx.self.address.split('@')[1] ?? 'switchboard.invalid';
  const messageId = `${randomUUID()}@${domain}`;
  const sentAt = ctx.now();
  // An invitation that starts a thread says what it is, rather than quoting its greeting.
  const fresh = out.invitation ? INVITATION_SUBJECT : firstSubject(out.text);
  const subject = thread ? replySubject(thread.subject) || fresh : fresh;
  const mail: OutgoingMail = {
    from: ctx.self,
    to: to.map((address) => ({ address, name: '' })),
    subject,
    messageId,
    inReplyTo: thread?.lastMessageId,
    references: thread?.references,
    date: new Date(sentAt),
    text: out.text,
    autocrypt: ctx.account.header(),
    invitation: out.invitation?.link,
  };
  const encrypted = shouldEncrypt(to, thread, ctx.peers);
  let raw: Uint8Array;
  if (encrypted) {
    let targets: { addr: string; keydata: Uint8Array }[];
    try {
      targets = ctx.peers.targetKeys(to);
    } catch (e) {
      throw new AdapterSendError('permanent', e instanceof Error ? e.message : String(e));
    }
    raw = await composeEncrypted(mail, ctx.account, targets.map((t) => t.keydata), to.length > 1 ? targets : []);
  } else {
    raw = await composePlain(mail);
  }
  const rec = { messageId, stage: 'composed' as const, sentAt, encrypted };
  // The thread continues from our message; whoever we write to counts as someone we know.
  const next: ThreadState = { subject: thread?.subject || subject, lastMessageId: messageId, references: referencesFor(thread?.references ?? [], thread?.lastMessageId ?? null, messageId), encrypted, at: sentAt };
  if (out.conversation.kind === 'direct') ctx.state.setPeer(to[0]!, next);
  else {
    const room = ctx.state.room(out.conversation.roomId);
    if (room) ctx.state.setRoom(out.conversation.roomId, { ...room, ...next });
  }
  ctx.state.setRoot(messageId, out.conversation.kind === 'group' ? out.conversation.roomId : (next.references[0] ?? messageId));
  for (const a of to) ctx.state.addKnown(a);
  ctx.state.composed(out.clientId, rec, raw);
  return rec;
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

async function submit(raw: Uint8Array, ctx: OutgoingContext, to: readonly string[], signal?: AbortSignal): Promise<void> {
  const transport = createTransport(smtpOptions(ctx.settings, ctx.password));
  const abort = (): void => transport.close();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await transport.sendMail({ envelope: { from: ctx.self.address, to: [...to] }, raw: Buffer.from(raw) });
  } catch (e) {
    throw classify(e as SmtpError, ctx.settings.smtp.host);
  } finally {
    signal?.removeEventListener('abort', abort);
    transport.close();
  }
}

/** Whether a failed submission is worth retrying, with a sentence for the user. */
export function classify(e: SmtpError, host: string): AdapterSendError {
  const said = (e.response ?? e.message ?? 'unknown error').slice(0, 200);
  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534) return new AdapterSendError('auth', `The mail server ${host} rejected the login: ${said}`);
  if (e.responseCode !== undefined && e.responseCode >= 500) return new AdapterSendError('permanent', `The mail server refused the message: ${said}`);
  return new AdapterSendError('network', `Could not hand the message to ${host}: ${said}`);
}
