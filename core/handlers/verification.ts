/**
 * Emoji verification (Matrix SAS): the user asks a contact's address to verify, or answers their
 * request, compares the emoji and says whether they match; and accepts a verified contact's
 * changed identity. Progress reaches the UI as `verification.updated` events (through ingest).
 */
import type { SasActions } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { CoreContext } from '../context.ts';
import { announceRoutesChanged } from '../inbox/announce.ts';
import type { IdentityRow } from '../store/rows.ts';
import { stmt } from '../store/statements.ts';
import { attemptAsync } from './adapter-errors.ts';
import type { Handlers } from './handlers.ts';

export type VerificationCommand =
  | 'verification.start'
  | 'verification.accept'
  | 'verification.confirm'
  | 'verification.cancel'
  | 'verification.acknowledgeChange';

export function verificationHandlers(ctx: CoreContext): Pick<Handlers, VerificationCommand> {
  const identityRow = (identityId: string): IdentityRow => {
    const row = stmt(ctx.db, 'SELECT * FROM identities WHERE id = ?').get(identityId) as IdentityRow | undefined;
    if (!row) throw new ApiError('not-found', 'That contact address does not exist.');
    return row;
  };
  const sasOf = (accountId: string, protocol?: string): SasActions => {
    const adapter = ctx.accounts.adapter(accountId);
    if (!adapter) throw new ApiError('unavailable', 'That account is not running: start it to verify someone.');
    if (!adapter.sas) throw new ApiError('unavailable', `Verification by emoji exists only for Matrix${protocol ? `; this address is on ${protocol}` : ''}.`);
    return adapter.sas;
  };
  return {
    'verification.start': async (p) => {
      const identity = identityRow(p.identityId);
      const sas = sasOf(identity.account_id, identity.protocol);
      const requestId = await attemptAsync(() => sas.request(identity.address));
      return { accountId: identity.account_id, requestId };
    },
    'verification.accept': async (p) => {
      await attemptAsync(() => sasOf(p.accountId).accept(p.requestId));
      return { ok: true as const };
    },
    'verification.confirm': async (p) => {
      await attemptAsync(() => sasOf(p.accountId).confirm(p.requestId, p.match));
      return { ok: true as const };
    },
    'verification.cancel': async (p) => {
      await attemptAsync(() => sasOf(p.accountId).cancel(p.requestId));
      return { ok: true as const };
    },
    'verification.acknowledgeChange': async (p) => {
      const identity = identityRow(p.identityId);
      await attemptAsync(() => sasOf(identity.account_id, identity.protocol).acknowledgeChange(identity.address));
      ctx.emit({ type: 'contact.updated', contactId: identity.contact_id });
      announceRoutesChanged(ctx, identity.account_id);
      return { ok: true as const };
    },
  };
}
