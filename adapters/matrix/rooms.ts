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
  const name = clean(room.name);
  return name || room.roomId;
}

/**
 * An invited room's name, from the stripped state the invitation carries (the SDK has not worked
 * out `room.name` yet when the invitation is reported); "a group chat" when it has none.
 */
export function inviteTitle(room: Room): string {
  const named: unknown = room.currentState.getStateEvents('m.room.name', '')?.getContent()['name'];
  const alias: unknown = room.currentState.getStateEvents('m.room.canonical_alias', '')?.getContent()['alias'];
  return (typeof named === 'string' && clean(named)) || (typeof alias === 'string' && clean(alias)) || 'a group chat';
}

function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200);
}

/**
 * The peer of a direct room: per `m.direct`, else per the `is_direct` flag of an invitation in it
 * (set by whoever made it a direct chat: the inviter sees the invitee's, the invitee their own; it
 * is there before `m.direct` is written, so a new direct room never shows as a group first).
 */
export function directPeer(client: MatrixClient, direct: DirectRooms, room: Room): string | undefined {
  const listed = direct.peerOf(room.roomId);
  if (listed) return listed;
  const me = client.getUserId();
  const inviter = room.getDMInviter();
  if (inviter && inviter !== me) return inviter;
  const members = room.currentState.getStateEvents('m.room.member');
  if (members.length > 2) return undefined;
  for (const ev of members) {
    const content = ev.getContent();
    const flagged = content['is_direct'] === true && (content['membership'] === 'invite' || content['membership'] === 'join');
    if (!flagged) continue;
    const peer = ev.getStateKey() === me ? ev.getSender() : ev.getStateKey();
    if (peer && peer !== me) return peer;
  }
  return undefined;
}
