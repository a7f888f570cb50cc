import type { AdapterEvent } from '../../adapters/contract.ts';
import type { CoreContext } from '../context.ts';
import { announceIdentitiesChanged } from '../inbox/announce.ts';
import { assertNever } from '../api/events.ts';

export type ChangeTopic = Extract<AdapterEvent, { type: 'changed' }>['topic'];

/** The number of accepts an account holds in quarantine (0 without invites). */
export function quarantineCount(ctx: CoreContext, accountId: string): number {
  return ctx.accounts.adapter(accountId)?.invites?.quarantine().length ?? 0;
}

/** Turns an adapter's "something changed" into the api events that make the UI re-read it. */
export function announceAdapterChange(ctx: CoreContext, accountId: string, topic: ChangeTopic): void {
  switch (topic) {
    case 'invites':
      ctx.emit({ type: 'invites.changed', accountId });
      return;
    case 'quarantine':
      ctx.emit({ type: 'quarantine.changed', accountId, count: quarantineCount(ctx, accountId) });
      return;
    case 'identity':
      announceIdentitiesChanged(ctx, accountId);
      return;
    default:
      assertNever(topic, 'change topic');
  }
}
