/**
 * What a conversation-level command tells the adapters: the disappearing timer (which needs the
 * route the conversation's messages take) and that a message request was accepted.
 */
import type { Adapter, RemoteConversationRef } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import type { CoreContext } from '../context.ts';
import { decideRoute, getContactRow, identitiesOf } from '../contacts/routes.ts';
import { hasLeft, LEFT_GROUP_REASON } from '../groups/membership.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { protocolLabel } from '../security/index.ts';
import { getSettings } from '../settings/settings.ts';
import type { ConversationRow, IdentityRow } from '../store/rows.ts';
import { pluck } from '../store/statements.ts';
import type { Protocol } from '../api/types.ts';
import { toApiError } from './adapter-errors.ts';

const log = createLogger('conversation-remote');

/** One place a conversation lives remotely: the account, its running adapter and the reference. */
interface RemoteTarget {
  accountId: string;
  protocol: Protocol;
  adapter: Adapter | null;
  ref: RemoteConversationRef;
}

function groupTarget(ctx: CoreContext, conv: ConversationRow): RemoteTarget | null {
  if (!conv.account_id || !conv.remote_id) return null;
  const protocol = pluck(ctx.db, 'SELECT protocol FROM accounts WHERE id = ?').get(conv.account_id) as Protocol | undefined;
  if (!protocol) return null;
  return {
    accountId: conv.account_id,
    protocol,
    adapter: ctx.accounts.adapter(conv.account_id),
    ref: { kind: 'group', roomId: conv.remote_id, title: conv.title },
  };
}

function directTarget(ctx: CoreContext, identity: IdentityRow): RemoteTarget {
  return {
    accountId: identity.account_id,
    protocol: identity.protocol,
    adapter: ctx.accounts.adapter(identity.account_id),
    ref: { kind: 'direct', peer: { address: identity.address, displayName: identity.display_name } },
  };
}

/**
 * The route the conversation's messages take, which the timer must be set on: the group's room,
 * or the contact's route as routing chooses it — the best known one when the user would be asked
 * (messages wait for it by default), so the timer is not set on a weaker route by accident.
 */
function timerTarget(ctx: CoreContext, conv: ConversationRow): RemoteTarget {
  if (conv.kind === 'group') {
    if (hasLeft(conv)) throw new ApiError('conflict', LEFT_GROUP_REASON);
    const target = groupTarget(ctx, conv);
    if (!target) throw new ApiError('conflict', 'This group has no account to reach it through.');
    return target;
  }
  const contact = conv.contact_id ? getContactRow(ctx, conv.contact_id) : undefined;
  if (!contact) throw new ApiError('not-found', 'The contact of this conversation no longer exists.');
  const { decision, identities } = decideRoute(ctx, contact, getSettings(ctx.db));
  let identityId: string;
  switch (decision.kind) {
    case 'send':
      identityId = decision.route.identityId;
      break;
    case 'needs-decision':
      identityId = decision.best.identityId;
      break;
    case 'no-route':
      throw new ApiError('unavailable', decision.reason);
  }
  const identity = identities.find((i) => i.id === identityId);
  if (!identity) throw new ApiError('not-found', 'The address of this conversation no longer exists.');
  return directTarget(ctx, identity);
}

/**
 * Sets the conversation's disappearing timer on its route's adapter (which tells the peer). Throws
 * an api error, having changed nothing, when the protocol has no such thing or cannot say so now.
 * The caller stores the timer once this resolved.
 */
export async function setRemoteTimer(ctx: CoreContext, conv: ConversationRow, seconds: number): Promise<void> {
  const target = timerTarget(ctx, conv);
  const label = protocolLabel(target.protocol);
  if (!target.adapter) throw new ApiError('unavailable', `The ${label} account of this conversation is not running.`);
  if (!target.adapter.setDisappearing) throw new ApiError('unavailable', `${label} cannot make messages disappear.`);
  if (!ctx.accounts.isAvailable(target.accountId)) {
    throw new ApiError('unavailable', `The ${label} account is not connected, so the other side cannot be told. Try again once it is online.`);
  }
  try {
    await target.adapter.setDisappearing(target.ref, seconds);
  } catch (e) {
    const mapped = toApiError(e);
    if (mapped instanceof ApiError) throw mapped;
    log.warn('setting the disappearing timer failed', { accountId: target.accountId, error: errorText(e) });
    throw new ApiError('unavailable', `The timer could not be set: ${errorText(e)}`);
  }
}

/** How long fetching older history may take before the user is told nothing more came. */
const HISTORY_TIMEOUT_MS = 30_000;

/**
 * The user scrolled past the stored start of a conversation: every adapter that reaches it and can
 * fetch history is asked for an older page (it arrives as historical messages, announced as they
 * are stored). `more`: some server has older still. An adapter that fails is logged.
 */
export async function fetchOlderHistory(ctx: CoreContext, conv: ConversationRow): Promise<{ more: boolean }> {
  const targets =
    conv.kind === 'group'
      ? [groupTarget(ctx, conv)].filter((t): t is RemoteTarget => t !== null)
      : conv.contact_id
        ? identitiesOf(ctx, conv.contact_id).map((i) => directTarget(ctx, i))
        : [];
  let more = false;
  for (const t of targets) {
    if (!t.adapter?.syncHistory) continue;
    let timer: NodeJS.Timeout | undefined;
    try {
      const page = await Promise.race([
        t.adapter.syncHistory(t.ref),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), HISTORY_TIMEOUT_MS);
        }),
      ]);
      if (page && page.more) more = true;
    } catch (e) {
      log.warn('fetching older history failed', { accountId: t.accountId, error: errorText(e) });
    } finally {
      clearTimeout(timer);
    }
  }
  return { more };
}

/**
 * The user accepted a message request: every adapter the conversation is reached through hears it
 * (receipts may flow from now on). An adapter that fails is logged; the accept stands.
 */
export function tellPeerAccepted(ctx: CoreContext, conv: ConversationRow): void {
  const targets =
    conv.kind === 'group'
      ? [groupTarget(ctx, conv)].filter((t): t is RemoteTarget => t !== null)
      : conv.contact_id
        ? identitiesOf(ctx, conv.contact_id).map((i) => directTarget(ctx, i))
        : [];
  for (const t of targets) {
    try {
      t.adapter?.peerAccepted?.(t.ref);
    } catch (e) {
      log.warn('adapter failed on peerAccepted', { accountId: t.accountId, error: errorText(e) });
    }
  }
}
