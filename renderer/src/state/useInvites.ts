/** The invites of every native account, re-read on `invites.changed`. */
import { useCallback, useEffect, useState } from 'react';
import type { Invite } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';

export interface InvitesState {
  /** null until loaded. */
  invites: Invite[] | null;
  /** Why the last load failed, if it did. */
  failure: string | null;
  revoke: (invite: Invite) => Promise<void>;
}

const STATE_ORDER: Record<Invite['state'], number> = { active: 0, 'used-up': 1, expired: 2, revoked: 3 };

/** Active first, then newest first. */
export function sortInvites(invites: Invite[]): Invite[] {
  return [...invites].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.createdAt - a.createdAt);
}

export function useInvites(): InvitesState {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // Bumped by `invites.changed`: each bump reloads.
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    bridge.call('invites.list', {}).then(
      (list) => {
        if (!live) return;
        setInvites(sortInvites(list));
        setFailure(null);
      },
      (error: unknown) => live && setFailure(describeError(error)),
    );
    return () => {
      live = false;
    };
  }, [bridge, epoch, version]);

  useApiEvent((event) => {
    if (event.type === 'invites.changed') setVersion((v) => v + 1);
  });

  const revoke = useCallback(
    async (invite: Invite) => {
      const revoked = await bridge.call('invites.revoke', { accountId: invite.accountId, inviteId: invite.id });
      setInvites((list) => list && sortInvites(list.map((i) => (i.id === revoked.id ? revoked : i))));
    },
    [bridge],
  );

  return { invites, failure, revoke };
}
