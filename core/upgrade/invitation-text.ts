/**
 * The email that carries an invitation to encrypted chat: written for a person who may never have
 * heard of Switchboard, and honest that it travels by ordinary email. Another Switchboard reads
 * the `Switchboard-Invite` header instead (adapters/email), so nothing here is parsed.
 */

export interface InvitationTextInput {
  /** The contact's name as the user knows them. */
  to: string;
  /** The user's name on the native account. */
  from: string;
  link: string;
  /** When the invite stops working (ms), or null. */
  expiresAt: number | null;
}

function day(ms: number): string {
  return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** The text of the invitation email. */
export function invitationText({ to, from, link, expiresAt }: InvitationTextInput): string {
  const greeting = to.includes('@') ? 'Hello,' : `Hello ${to},`;
  const until = expiresAt === null ? '' : ` It works once, until ${day(expiresAt)}.`;
  return [
    greeting,
    '',
    `${from} would like to continue your conversation in end-to-end encrypted chat, so that only the two of you can read it — not the mail servers in between.`,
    '',
    'This invitation itself comes by ordinary email, which mail servers can read. What you write after accepting it does not.',
    '',
    'If you use Switchboard, this invitation appears in your conversation: press Accept.',
    `Otherwise: Switchboard is a free, open-source messenger that keeps email and chats in one window. Install it, choose New chat → Accept invite, and paste this link:${until}`,
    '',
    link,
    '',
    'If you did not expect this, you can ignore it: nothing changes until you accept.',
  ].join('\n');
}
