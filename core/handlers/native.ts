/**
 * The api commands for invites, the accept quarantine and safety numbers. Core holds none of this
 * state: it picks the account, asks its adapter (`adapter.invites`, `adapter.verification`), turns
 * the adapter's refusals into api errors with the adapter's own words, and keeps the inbox and the
 * padlocks in step with what changed.
 */
import type {
  InviteActions,
  QuarantinedAccept,
  SafetyNumber,
  VerificationActions,
} from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { ConversationSummary, QuarantineEntry, SafetyNumberView } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { directConversation, resolveIdentity } from '../contacts/resolve.ts';
import { announceRoutesChanged } from '../inbox/announce.ts';
import { quarantineCount } from '../ingest/changes.ts';
import { createLogger, errorText } from '../log/logger.ts';
import type { AccountRow, ConversationRow, IdentityRow } from '../store/rows.ts';
import { pluck, stmt } from '../store/statements.ts';
import { attempt, attemptAsync, toApiError } from './adapter-errors.ts';
import { tellPeerAccepted } from './conversation-remote.ts';
import { toInvite } from '../upgrade/contact-invites.ts';
import { boundInvite, markInvite } from '../upgrade/invitations.ts';
import type { Handlers } from './handlers.ts';

const log = createLogger('native-handlers');

type NativeCommand =
  | 'invites.create'
  | 'invites.list'
  | 'invites.revoke'
  | 'invites.accept'
  | 'quarantine.list'
  | 'quarantine.decide'
  | 'safety.get'
  | 'safety.setVerified'
  | 'safety.acknowledgeChange';

/** What these handlers need from the others. */
export interface NativeHandlerDeps {
  /** Emits `conversation.updated` for a conversation and returns its summary. */
  announceConversation(conversationId: string): ConversationSummary;
}

export const NO_INVITES = 'Set up encrypted chat first: invites need a Switchboard encrypted-chat account, and it must be running.';

function toQuarantineEntry(accountId: string, q: QuarantinedAccept): QuarantineEntry {
  return {
    accountId,
    id: q.id,
    inviteId: q.inviteId,
    inviteLabel: q.inviteLabel,
    displayName: q.displayName,
    arrivedAt: q.arrivedAt,
  };
}

export function nativeHandlers(ctx: CoreContext, deps: NativeHandlerDeps): Pick<Handlers, NativeCommand> {
  const { db } = ctx;

  const accountRows = () => stmt(db, 'SELECT * FROM accounts ORDER BY created_at, id').all() as AccountRow[];

  /** Every account whose running adapter offers invites, oldest account first. */
  const withInvites = (): { row: AccountRow; invites: InviteActions }[] =>
    accountRows().flatMap((row) => {
      const invites = ctx.accounts.adapter(row.id)?.invites;
      return invites ? [{ row, invites }] : [];
    });

  /** The named account's invites, or the first account that has them. */
  const invitesOf = (accountId: string | undefined): { row: AccountRow; invites: InviteActions } => {
    if (accountId === undefined) {
      const first = withInvites()[0];
      if (!first) throw new ApiError('unavailable', NO_INVITES);
      return first;
    }
    const row = stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow | undefined;
    if (!row) throw new ApiError('not-found', 'That account does not exist.');
    const invites = ctx.accounts.adapter(row.id)?.invites;
    if (!invites) throw new ApiError('unavailable', `The account ${row.display_name} has no invites. ${NO_INVITES}`);
    return { row, invites };
  };

  /**
   * Gathers a list from every account with invites. One account failing leaves it out (logged);
   * only when every account failed does the call fail, with the first refusal.
   */
  const gather = <T>(what: string, read: (row: AccountRow, invites: InviteActions) => T[]): T[] => {
    const out: T[] = [];
    let firstError: unknown = null;
    let succeeded = 0;
    const accounts = withInvites();
    for (const { row, invites } of accounts) {
      try {
        out.push(...read(row, invites));
        succeeded++;
      } catch (e) {
        log.warn(`${what} failed on an account`, { accountId: row.id, error: errorText(e) });
        firstError ??= e;
      }
    }
    if (accounts.length > 0 && succeeded === 0) throw toApiError(firstError);
    return out;
  };

  const identityRow = (identityId: string): IdentityRow => {
    const row = stmt(db, 'SELECT * FROM identities WHERE id = ?').get(identityId) as IdentityRow | undefined;
    if (!row) throw new ApiError('not-found', 'That contact address does not exist.');
    return row;
  };

  const verificationOf = (identity: IdentityRow): VerificationActions => {
    const adapter = ctx.accounts.adapter(identity.account_id);
    if (!adapter) throw new ApiError('unavailable', 'The account this address belongs to is not running, so its safety number cannot be shown.');
    if (!adapter.verification) {
      throw new ApiError('unavailable', `Safety numbers exist only for encrypted chat; this address is on ${identity.protocol}.`);
    }
    return adapter.verification;
  };

  const safetyView = (identity: IdentityRow, verification: VerificationActions): SafetyNumberView => {
    const n: SafetyNumber = attempt(() => verification.safetyNumber(identity.address));
    const contactName = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(identity.contact_id) as string | undefined;
    return {
      identityId: identity.id,
      peerName: contactName ?? identity.display_name,
      digits: n.digits,
      qrPayload: n.qrPayload,
      verified: n.verified,
      changed: n.changed,
    };
  };

  /** The user changed what is known of a peer's key: its contact card and padlocks are re-read. */
  const identityChanged = (identity: IdentityRow): void => {
    ctx.emit({ type: 'contact.updated', contactId: identity.contact_id });
    announceRoutesChanged(ctx, identity.account_id);
  };

  return {
    'invites.create': async (p) => {
      const { row, invites } = invitesOf(p.accountId);
      const info = await attemptAsync(() =>
        invites.create({ kind: p.kind, uses: p.uses, expiresInSeconds: p.expiresInSeconds, label: p.label }),
      );
      ctx.emit({ type: 'invites.changed', accountId: row.id });
      return toInvite(row.id, info);
    },
    'invites.list': () => gather('listing invites', (row, invites) => invites.list().map((i) => toInvite(row.id, i))),
    'invites.revoke': async (p) => {
      const { row, invites } = invitesOf(p.accountId);
      const before = attempt(() => invites.list()).find((i) => i.id === p.inviteId);
      await attemptAsync(() => invites.revoke(p.inviteId));
      const bound = boundInvite(db, row.id, p.inviteId);
      markInvite(db, row.id, p.inviteId, 'revoked');
      ctx.emit({ type: 'invites.changed', accountId: row.id });
      if (bound) {
        // An invite made for a contact: its card and its conversation's upgrade banner change.
        ctx.emit({ type: 'contact.updated', contactId: bound.contact_id });
        const convId = pluck(db, 'SELECT id FROM conversations WHERE contact_id = ?').get(bound.contact_id) as string | undefined;
        if (convId) deps.announceConversation(convId);
      }
      const after = attempt(() => invites.list()).find((i) => i.id === p.inviteId);
      const revoked = after ?? (before ? { ...before, state: 'revoked' as const } : undefined);
      if (!revoked) throw new ApiError('not-found', 'That invite does not exist.');
      return toInvite(row.id, revoked);
    },
    'invites.accept': async (p) => {
      const { row, invites } = invitesOf(p.accountId);
      const { peer } = await attemptAsync(() => invites.accept(p.link));
      const now = ctx.now();
      const { conversationId, contactId, wasRequest } = db.transaction(() => {
        const identity = resolveIdentity(db, row.id, row.protocol, peer, now);
        const name = pluck(db, 'SELECT display_name FROM contacts WHERE id = ?').get(identity.contact_id) as string;
        const conv = directConversation(db, identity.contact_id, name, now);
        // The user asked for this person: the conversation belongs in the inbox, whatever it was.
        if (!conv.created) stmt(db, 'UPDATE conversations SET request = 0, archived = 0 WHERE id = ?').run(conv.row.id);
        return { conversationId: conv.row.id, contactId: identity.contact_id, wasRequest: !conv.created && conv.row.request === 1 };
      })();
      // A request accepted this way is accepted as with `conversations.acceptRequest`: the adapters hear it.
      if (wasRequest) tellPeerAccepted(ctx, stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(conversationId) as ConversationRow);
      ctx.emit({ type: 'contact.updated', contactId });
      return deps.announceConversation(conversationId);
    },
    'quarantine.list': () =>
      gather('listing the quarantine', (row, invites) => invites.quarantine().map((q) => toQuarantineEntry(row.id, q))),
    'quarantine.decide': async (p) => {
      const { row, invites } = invitesOf(p.accountId);
      await attemptAsync(() => invites.decideQuarantine(p.ids, p.accept));
      const remaining = attempt(() => quarantineCount(ctx, row.id));
      ctx.emit({ type: 'quarantine.changed', accountId: row.id, count: remaining });
      // Accepted ones used up their invites' uses.
      if (p.accept) ctx.emit({ type: 'invites.changed', accountId: row.id });
      return { remaining };
    },
    'safety.get': (p) => {
      const identity = identityRow(p.identityId);
      return safetyView(identity, verificationOf(identity));
    },
    'safety.setVerified': (p) => {
      const identity = identityRow(p.identityId);
      const verification = verificationOf(identity);
      attempt(() => verification.setVerified(identity.address, p.verified));
      identityChanged(identity);
      return safetyView(identity, verification);
    },
    'safety.acknowledgeChange': (p) => {
      const identity = identityRow(p.identityId);
      const verification = verificationOf(identity);
      attempt(() => verification.acknowledgeChange(identity.address));
      identityChanged(identity);
      return safetyView(identity, verification);
    },
  };
}
