/**
 * Which Matrix rooms are 1:1 chats and with whom (the account's `m.direct` data, written by every
 * client), and what a room is called and bridged to. A direct room becomes the 1:1 conversation
 * with its peer; any other room is a group.
 */
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { bridgeName } from './facts.ts';

const BRIDGE_TYPES = ['m.bridge', 'uk.half-shot.bridge'];
const MXID = /^@[^:\s]{1,255}:[^\s]{1,255}$/;

/** `m.direct` read both ways: peer → rooms, room → peer. Malformed entries are skipped. */
export class DirectRooms {
  private peerByRoom = new Map<string, string>();
  private roomsByPeer = new Map<string, string[]>();

  /** Replaces the map with the account data's content (called whenever it changes). */
  load(content: unknown): void {
    this.peerByRoom = new Map();
    this.roomsByPeer = new Map();
    if (!content || typeof content !== 'object' || Array.isArray(content)) return;
    for (const [peer, rooms] of Object.entries(content as Record<string, unknown>)) {
      if (!MXID.test(peer) || !Array.isArray(rooms)) continue;
      const ids = rooms.filter((r): r is string => typeof r === 'string' && r.startsWith('!'));
      this.roomsByPeer.set(peer, ids);
      for (const id of ids) this.peerByRoom.set(id, peer);
    }
  }

  peerOf(roomId: string): string | undefined {
    return this.peerByRoom.get(roomId);
  }

  roomsWith(peer: string): readonly string[] {
    return this.roomsByPeer.get(peer) ?? [];
  }

  /** The account data content with `roomId` added for `peer` (to write back). */
  withRoom(peer: string, roomId: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [p, rooms] of this.roomsByPeer) out[p] = [...rooms];
    out[peer] = [...new Set([roomId, ...(out[peer] ?? [])])];
    return out;
  }
}

/** The room's bridge name ('' for an unnamed one), or undefined when no bridge is in it. */
export function bridgeOf(room: Room): string | undefined {
  for (const type of BRIDGE_TYPES) {
    const events = room.currentState.getStateEvents(type);
    for (const ev of events) {
      // An emptied state event is how a bridge is removed.
      if (Object.keys(ev.getContent()).length > 0) return bridgeName(ev.getContent());
    }
  }
  return undefined;
}

/** The room's name as people see it (its name, else its members), never empty. */
export function roomTitle(room: Room): string {
  const name = room.name.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return name.slice(0, 200) || room.roomId;
}

/** The peer of a direct room per `m.direct`, else the inviter of a direct invite. */
export function directPeer(client: MatrixClient, direct: DirectRooms, room: Room): string | undefined {
  const listed = direct.peerOf(room.roomId);
  if (listed) return listed;
  if (room.getMyMembership() === 'invite') {
    const inviter = room.getDMInviter();
    if (inviter && inviter !== client.getUserId()) return inviter;
  }
  return undefined;
}
