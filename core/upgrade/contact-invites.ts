/** The invites made for a contact, as the contact card lists them (with what their adapter knows now). */
import type { InviteInfo } from '../../adapters/contract.ts';
import type { Invite } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { markInvite, openInvites } from './invitations.ts';

const log = createLogger('contact-invites');

/** Only the contract's fields cross to the renderer, whatever else an adapter's objects carry. */
export function toInvite(accountId: string, i: InviteInfo): Invite {
  return {
    accountId,
    id: i.id,
    kind: i.kind,
    label: i.label,
    link: i.link,
    shortLink: i.shortLink,
    createdAt: i.createdAt,
    expiresAt: i.expiresAt,
    maxUses: i.maxUses,
    uses: i.uses,
    state: i.state,
  };
}

/**
 * The contact's invites nobody accepted yet. An invite its account no longer lists as active (used
 * up, revoked elsewhere) is marked so and left out; one whose account is not running is left out
 * until it runs (it cannot be shown or revoked then).
 */
export function contactInvites(ctx: CoreContext, contactId: string): Invite[] {
  const out: Invite[] = [];
  for (const row of openInvites(ctx.db, contactId, ctx.now())) {
    const invites = ctx.accounts.adapter(row.account_id)?.invites;
    if (!invites) continue;
    let info: InviteInfo | undefined;
    try {
      info = invites.list().find((i) => i.id === row.invite_id);
    } catch (e) {
      log.warn('listing invites failed', { accountId: row.account_id, error: errorText(e) });
      continue;
    }
    if (info?.state === 'active') out.push(toInvite(row.account_id, info));
    else if (info?.state === 'revoked' || info === undefined) markInvite(ctx.db, row.account_id, row.invite_id, 'revoked');
  }
  return out;
}
