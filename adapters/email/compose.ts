/**
 * Outgoing chat mail: a plain text/plain message, or the same content as PGP/MIME (RFC 3156) with
 * protected headers, the way Delta Chat writes it so that Delta Chat, Thunderbird and other
 * Autocrypt clients read it. Built with nodemailer's MimeNode, which does the header encoding,
 * folding and transfer encodings.
 */
import MimeNode from 'nodemailer/lib/mime-node';
import type { AutocryptAccount } from './autocrypt/account.ts';
import { formatAutocryptHeader, parseAutocryptHeader } from './autocrypt/header.ts';
import { canonicalAddress } from './autocrypt/peers.ts';
import { formatInvitationHeader, INVITE_HEADER } from './invitation.ts';

/** A mailbox: address and display name (may be empty). */
export interface MailAddress {
  address: string;
  name: string;
}

/** The content and envelope headers of one outgoing mail. */
export interface OutgoingMail {
  from: MailAddress;
  to: MailAddress[];
  cc?: MailAddress[];
  subject: string;
  /** Without angle brackets. */
  messageId: string;
  inReplyTo?: string | undefined;
  references?: readonly string[] | undefined;
  date: Date;
  text: string;
  /** Autocrypt header value to put on the mail (outer header; always present in Switchboard mail). */
  autocrypt: string;
  /** A Switchboard invite link for the `Switchboard-Invite` header (protected header when encrypted). */
  invitation?: string | undefined;
}

/** The outer Subject of an encrypted mail: the real one travels inside (protected headers). */
export const ENCRYPTED_SUBJECT = '...';

/** Transfer-encoded lines longer than this are wrapped by quoted-printable (RFC 2045 §6.7). */
const QP_LINE = 76;
const MSG_ID = /^[^\s<>@]+@[^\s<>@]+$/;

/**
 * A plain text/plain UTF-8 mail (7bit when it can be, quoted-printable otherwise), with Message-ID,
 * In-Reply-To, References, Autocrypt, `Chat-Version: 1.0` (Delta Chat's header: this is chat mail)
 * and, when given, `Switchboard-Invite`.
 */
export async function composePlain(m: OutgoingMail): Promise<Uint8Array> {
  checkMail(m);
  const root = new MimeNode('text/plain; charset=utf-8', { newline: 'win' });
  setMessageHeaders(root, m, m.subject);
  root.setHeader('Autocrypt', prepared(m.autocrypt));
  root.setHeader('Chat-Version', '1.0');
  setInvitation(root, m);
  setText(root, m.text);
  return new Uint8Array(await root.build());
}

/**
 * PGP/MIME (RFC 3156): the real content — protected headers (Subject, From, To, Cc, Date,
 * Message-ID, In-Reply-To, References, Switchboard-Invite) and, when the mail has more than one
 * recipient, an Autocrypt-Gossip header per `gossip` entry — encrypted and signed with
 * `account.encrypt`. The outer mail carries the envelope headers, Autocrypt, Chat-Version and the
 * Subject "...".
 * `gossip`: each entry must be a To/Cc recipient and its key one of `recipientKeys` (the spec wants
 * the key we encrypt to, so the group agrees on keys).
 */
export async function composeEncrypted(
  m: OutgoingMail,
  account: AutocryptAccount,
  recipientKeys: readonly Uint8Array[],
  gossip: readonly { addr: string; keydata: Uint8Array }[],
): Promise<Uint8Array> {
  checkMail(m);
  if (canonicalAddress(m.from.address) !== canonicalAddress(account.address)) {
    throw new Error(`The mail is from ${m.from.address} but is to be signed by ${account.address}'s key.`);
  }
  const recipients = new Set([...m.to, ...(m.cc ?? [])].map((r) => canonicalAddress(r.address)));
  for (const g of gossip) {
    if (!recipients.has(canonicalAddress(g.addr))) throw new Error(`Autocrypt-Gossip for ${g.addr}, who is not a To/Cc recipient of the mail.`);
    if (!recipientKeys.some((k) => Buffer.from(k).equals(Buffer.from(g.keydata)))) {
      throw new Error(`The gossiped key for ${g.addr} is not one the mail is encrypted to.`);
    }
  }

  // The cryptographic payload: what the recipient's client shows, headers included.
  const inner = new MimeNode('multipart/mixed; protected-headers="v1"', { newline: 'win' });
  setMessageHeaders(inner, m, m.subject);
  inner.setHeader('Chat-Version', '1.0');
  // The invite link is a capability: inside only, never on the outer mail the servers read.
  setInvitation(inner, m);
  // Gossip only helps when there is someone else to reply to; a 1:1 mail gossips nothing (spec).
  if (recipients.size > 1) {
    for (const g of gossip) {
      const value = formatAutocryptHeader({ addr: g.addr, preferEncrypt: 'nopreference', keydata: g.keydata }, 'Autocrypt-Gossip');
      inner.addHeader('Autocrypt-Gossip', prepared(value));
    }
  }
  setText(inner.createChild('text/plain; charset=utf-8'), m.text);
  const armored = await account.encrypt(new Uint8Array(await inner.build()), recipientKeys);

  const outer = new MimeNode('multipart/encrypted; protocol="application/pgp-encrypted"', { newline: 'win' });
  setMessageHeaders(outer, m, ENCRYPTED_SUBJECT);
  outer.setHeader('Autocrypt', prepared(m.autocrypt));
  outer.setHeader('Chat-Version', '1.0');
  const version = outer.createChild('application/pgp-encrypted');
  version.setHeader('Content-Description', 'PGP/MIME version identification');
  version.setHeader('Content-Transfer-Encoding', '7bit');
  version.setContent('Version: 1\r\n');
  const payload = outer.createChild('application/octet-stream', { filename: 'encrypted.asc' });
  payload.setHeader('Content-Description', 'OpenPGP encrypted message');
  payload.setHeader('Content-Disposition', 'inline');
  // Armor is 7-bit ASCII already; without this nodemailer would base64 it a second time.
  payload.setHeader('Content-Transfer-Encoding', '7bit');
  payload.setContent(armored);
  return new Uint8Array(await outer.build());
}

function checkMail(m: OutgoingMail): void {
  if (m.to.length === 0) throw new Error('A mail needs at least one To recipient.');
  if (!MSG_ID.test(m.messageId)) throw new Error(`"${m.messageId}" is not a Message-ID (local@domain, without angle brackets).`);
  if (Number.isNaN(m.date.getTime())) throw new Error('The mail has an invalid date.');
  const ac = parseAutocryptHeader(m.autocrypt);
  if (!ac) throw new Error('The Autocrypt header value is not valid.');
  if (canonicalAddress(ac.addr) !== canonicalAddress(m.from.address)) {
    throw new Error(`The Autocrypt header is for ${ac.addr}, but the mail is from ${m.from.address}.`);
  }
}

/** The headers both the outer mail and the protected inner part carry. */
function setMessageHeaders(node: MimeNode, m: OutgoingMail, subject: string): void {
  node.setHeader('From', m.from);
  node.setHeader('To', m.to);
  if (m.cc && m.cc.length > 0) node.setHeader('Cc', m.cc);
  node.setHeader('Date', m.date);
  node.setHeader('Message-ID', `<${m.messageId}>`);
  const inReplyTo = m.inReplyTo === undefined ? undefined : msgIdOrUndefined(m.inReplyTo);
  if (inReplyTo) node.setHeader('In-Reply-To', `<${inReplyTo}>`);
  const references = (m.references ?? []).map(msgIdOrUndefined).filter((id): id is string => id !== undefined);
  if (references.length > 0) node.setHeader('References', references.map((id) => `<${id}>`).join(' '));
  // A line break in a subject would end the header; nodemailer encodes, this also keeps it one line.
  node.setHeader('Subject', subject.replace(/[\r\n]+/g, ' '));
}

/**
 * Ids from other people's mail are echoed back in In-Reply-To / References; one that could break
 * the header (whitespace, brackets) is dropped rather than failing the reply.
 */
function msgIdOrUndefined(id: string): string | undefined {
  const bare = id.trim().replace(/^<(.*)>$/, '$1');
  return bare !== '' && !/[\s<>]/.test(bare) ? bare : undefined;
}

function setInvitation(node: MimeNode, m: OutgoingMail): void {
  if (m.invitation !== undefined) node.setHeader(INVITE_HEADER, prepared(formatInvitationHeader(m.invitation)));
}

function setText(node: MimeNode, text: string): void {
  const ascii = /^[\t\n\r\x20-\x7e]*$/.test(text);
  const longLines = text.split(/\r?\n/).some((line) => line.length > QP_LINE);
  // 7bit needs no server support; quoted-printable keeps non-ASCII and long lines safe through any
  // relay (8bit would need 8BITMIME on every hop and still break at 998 octets).
  if (!ascii || longLines) node.setHeader('Content-Transfer-Encoding', 'quoted-printable');
  node.setContent(text);
}

/**
 * A header value we folded ourselves (Autocrypt, Autocrypt-Gossip), emitted as is. Folding must be
 * CRLF + whitespace only: anything else would start a new header line.
 */
function prepared(value: string): { prepared: true; value: string } {
  const lines = value.split('\r\n');
  if (lines.some((line, i) => /[\r\n]/.test(line) || (i > 0 && !/^[ \t]/.test(line)) || line.length > 998)) {
    throw new Error('A prepared header value may only be folded with CRLF followed by whitespace.');
  }
  return { prepared: true, value };
}
