/**
 * TEST DOUBLE — used only by tests and the demo host, never shipped.
 * Group chats for the test double's `native` accounts: rooms live on the `TestNetwork`, so a group
 * one test account makes reaches the other test accounts in it, as the real client's fan-out
 * groups do. The account that makes a group is its admin; only it may change the members. Like
 * the native client, every member account hears a `group` event when a group appears or changes,
 * and the maker hears its own; unlike it, a removed member's account is told (`left: true`).
 */
import { AdapterActionError, type GroupActions, type GroupMemberInfo, type RemotePerson } from '../../adapters/contract.ts';
import type { TestAdapter, TestNetwork } from './test-adapter.ts';

/** A group room on the test network. */
export interface TestRoom {
  roomId: string;
  title: string;
  /** The admin's address. */
  admin: string;
  members: RemotePerson[];
}

/** The group actions of one test account. */
export class TestGroups implements GroupActions {
  constructor(
    private readonly adapter: TestAdapter,
    private readonly network: TestNetwork,
  ) {}

  async create(name: string, members: readonly string[]): Promise<{ roomId: string; title: string }> {
    this.requireOnline();
    const self = this.self();
    const room: TestRoom = { roomId: `group-${this.network.nextSeq()}`, title: name, admin: self.address, members: [self, ...this.peers(members)] };
    this.network.rooms.set(room.roomId, room);
    this.network.announceRoom(room, []);
    return { roomId: room.roomId, title: room.title };
  }

  async setMembers(roomId: string, members: readonly string[]): Promise<void> {
    this.requireOnline();
    const room = this.room(roomId);
    if (room.admin !== this.adapter.account.address) throw new AdapterActionError('invalid', 'Only the person who made the group can change who is in it.');
    const before = room.members;
    room.members = [this.self(), ...this.peers(members)];
    this.network.announceRoom(room, before.filter((m) => !room.members.some((n) => n.address === m.address)));
  }

  members(roomId: string): GroupMemberInfo[] {
    const room = this.room(roomId);
    const me = this.adapter.account.address;
    return room.members.map((m) => ({
      address: m.address === me || !this.adapter.knownPeers.has(m.address) ? null : m.address,
      displayName: m.displayName ?? m.address,
      isSelf: m.address === me,
      isAdmin: m.address === room.admin,
    }));
  }

  private room(roomId: string): TestRoom {
    const room = this.network.rooms.get(roomId);
    if (!room) throw new AdapterActionError('not-found', 'That group does not exist.');
    return room;
  }

  private self(): RemotePerson {
    return { address: this.adapter.account.address, displayName: this.adapter.account.displayName };
  }

  /** The peers by address, each of whom this account must have a chat with (as the real client requires). */
  private peers(addresses: readonly string[]): RemotePerson[] {
    return [...new Set(addresses)].map((address) => {
      if (!this.adapter.knownPeers.has(address)) throw new AdapterActionError('not-found', 'Everyone in a group needs an encrypted chat with you first.');
      const account = this.network.accountByAddress(address);
      return { address, displayName: account?.account.displayName ?? address };
    });
  }

  private requireOnline(): void {
    if (this.adapter.status !== 'online') throw new AdapterActionError('unavailable', 'Changing a group needs the relay, and this account is offline. Try again when it is connected.');
  }
}
