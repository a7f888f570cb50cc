/** Who is in a group chat, re-read whenever the group changes (a `conversation.updated` for it). */
import { useCallback, useEffect, useState } from 'react';
import type { GroupMember } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';

export interface GroupMembersState {
  /** null until loaded. */
  members: GroupMember[] | null;
  failure: string | null;
  /** Sets who is in the group besides the user (`groups.setMembers`); rejects with core's reason. */
  setMembers: (contactIds: string[]) => Promise<void>;
  /** Changes the user's nickname in the group (`groups.setNickname`, XMPP rooms); rejects with core's reason. */
  setNickname: (nickname: string) => Promise<void>;
}

export function useGroupMembers(conversationId: string): GroupMembersState {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [members, setMembersList] = useState<GroupMember[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    bridge.call('groups.members', { conversationId }).then(
      (list) => {
        if (!live) return;
        setMembersList(list);
        setFailure(null);
      },
      (error: unknown) => live && setFailure(describeError(error)),
    );
    return () => {
      live = false;
    };
  }, [bridge, conversationId, epoch, version]);

  useApiEvent((event) => {
    if (event.type === 'conversation.updated' && event.conversation.id === conversationId) setVersion((v) => v + 1);
  });

  const setMembers = useCallback(
    async (contactIds: string[]) => {
      setMembersList(await bridge.call('groups.setMembers', { conversationId, contactIds }));
    },
    [bridge, conversationId],
  );

  const setNickname = useCallback(
    async (nickname: string) => {
      setMembersList(await bridge.call('groups.setNickname', { conversationId, nickname }));
    },
    [bridge, conversationId],
  );

  return { members, failure, setMembers, setNickname };
}
