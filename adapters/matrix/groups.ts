/**
 * Group rooms on Matrix: making an encrypted private room with people, changing who is in it,
 * listing its members, joining by address, leaving, and the user's name in a room.
 */
import { EventType, Preset, type MatrixClient } from 'matrix-js-sdk';
import { AdapterActionError, type GroupActions, type GroupMemberInfo } from '../contract.ts';
import { actionError } from './errors.ts';
import { roomTitle } from './rooms.ts';
import { parseMxid } from './setup.ts';

export const MEGOLM = 'm.megolm.v1.aes-sha2';

export interface GroupDeps {
  /** The client, or an `AdapterActionError` when the account is not connected. */
  online(): MatrixClient;
  client(): MatrixClient | null;
  userId: string;
}

export function matrixGroups(d: GroupDeps): GroupActions {
  /** A state event's content from the homeserver (the room may not be synced here yet), or {} when there is none. */
  const stateOf = async (c: MatrixClient, roomId: string, type: string, key: string): Promise<Record<string, unknown>> =>
    ((await c.getStateEvent(roomId, type, key).catch(() => ({}))) ?? {}) as Record<string, unknown>;
  const setNickname = async (roomId: string, nickname: string): Promise<void> => {
    const c = d.online();
    // The whole member event is replaced: keep its other fields (the avatar).
    const current = c.getRoom(roomId)?.getMember(d.userId)?.events.member?.getContent() ?? (await stateOf(c, roomId, 'm.room.member', d.userId));
    await c.sendStateEvent(roomId, EventType.RoomMember, { ...current, membership: 'join', displayname: nickname }, d.userId).catch((e: unknown) => {
      throw actionError(e, 'The homeserver refused the nickname');
    });
  };
  return {
    async create(name, members) {
      const c = d.online();
      for (const m of members) parseMxid(m);
      const { room_id } = await c
        .createRoom({
          name,
          preset: Preset.PrivateChat,
          invite: [...members],
          initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: MEGOLM } }],
        })
        .catch((e: unknown) => {
          throw actionError(e, 'The homeserver did not create the room');
        });
      return { roomId: room_id, title: name };
    },
    async setMembers(roomId, members) {
      const c = d.online();
      const room = c.getRoom(roomId);
      if (!room) throw new AdapterActionError('not-found', 'That Matrix room is not known to this account.');
      const want = new Set(members);
      const have = new Set(room.getMembers().filter((m) => m.membership === 'join' || m.membership === 'invite').map((m) => m.userId));
      try {
        for (const m of want) if (!have.has(m) && m !== d.userId) await c.invite(roomId, m);
        for (const m of have) if (!want.has(m) && m !== d.userId) await c.kick(roomId, m);
      } catch (e) {
        throw actionError(e, 'The homeserver refused the change of members');
      }
    },
    members(roomId): GroupMemberInfo[] {
      const room = d.client()?.getRoom(roomId);
      if (!room) return [];
      return room
        .getMembers()
        .filter((m) => m.membership === 'join' || m.membership === 'invite')
        .map((m) => ({ address: m.userId, displayName: m.rawDisplayName || m.userId, isSelf: m.userId === d.userId, isAdmin: m.powerLevel >= 100 }));
    },
    async join(address, nickname) {
      const c = d.online();
      if (!/^[#!][^:\s]+:\S+$/.test(address)) throw new AdapterActionError('invalid', `"${address.slice(0, 80)}" is not a Matrix room address (like #room:example.org).`);
      const room = await c.joinRoom(address).catch((e: unknown) => {
        throw actionError(e, 'Joining the room failed');
      });
      // The join answers before the room's state is synced here: its name comes from the homeserver.
      const member = await stateOf(c, room.roomId, 'm.room.member', d.userId);
      // The name the user chose for this room, if it is not the one they have everywhere.
      if (nickname.trim() && nickname.trim() !== member['displayname']) await setNickname(room.roomId, nickname.trim()).catch(() => undefined);
      const name = (await stateOf(c, room.roomId, 'm.room.name', ''))['name'];
      const title = typeof name === 'string' && name.trim() ? name.trim().slice(0, 200) : address.startsWith('#') ? address : roomTitle(room);
      return { roomId: room.roomId, title };
    },
    async leave(roomId) {
      await d
        .online()
        .leave(roomId)
        .catch((e: unknown) => {
          throw actionError(e, 'Leaving the room failed');
        });
    },
    setNickname,
  };
}
