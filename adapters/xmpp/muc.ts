/**
 * Group chat in MUC rooms (XEP-0045): join (with the room's recent history), leave, change
 * nickname, make a room for chosen contacts (members-only, persistent, members' addresses visible
 * to members), set its members, and read room messages and occupants. Rooms joined are kept in
 * adapter state and joined again on every new session; a resumed session is still in them.
 * Everything a room or its occupants send is untrusted: bad stanzas are refused, never thrown.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { AdapterActionError, type AdapterStateStore, type GroupMemberInfo } from '../contract.ts';
import { bareJid, MAX_BODY_CHARS } from './incoming.ts';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DATA = 'jabber:x:data';
const NS_SID = 'urn:xmpp:sid:0';
const NS_DELAY = 'urn:xmpp:delay';
const NS_CONFERENCE = 'jabber:x:conference';
/** adapter_state namespace: rooms joined, by room JID → { nick, title }. */
const NS_ROOMS = 'xmpp-muc';
/** Messages of history asked for on the first join (later joins ask for what came since). */
const HISTORY_STANZAS = 50;
const JOIN_TIMEOUT_MS = 20_000;
const MAX_NICK_CHARS = 100;
const MAX_TITLE_CHARS = 200;
const MAX_ID_CHARS = 256;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Occupant {
  /** Their real bare JID when the room shows it (non-anonymous rooms), else null. */
  jid: string | null;
  affiliation: string;
}

interface Room {
  nick: string;
  title: string;
  /** Joined in this session (self-presence seen). */
  joined: boolean;
  occupants: Map<string, Occupant>;
  /** Affiliations known from the room's lists (owner, admin, member), by bare JID. */
  affiliations: Map<string, string>;
  /** When the last message seen in it was sent (for `<history since>` on the next join). */
  lastSeenAt: number | null;
  /** `lastSeenAt` moved since it was last written. */
  unsaved?: boolean;
}

/** A message read from a room. */
export interface RoomMessage {
  room: string;
  nick: string;
  /** The sender's real bare JID when the room shows it. */
  senderJid: string | null;
  self: boolean;
  text: string;
  remoteId: string;
  /** The sender's own id for it (origin-id, else id): our client id when we sent it. */
  originId: string | null;
  /** Replayed room history (has a delay stamp from the room). */
  history: boolean;
  sentAt: number;
}

export type RoomRead =
  | { kind: 'message'; message: RoomMessage }
  | { kind: 'typing'; room: string; nick: string; senderJid: string | null; typing: boolean }
  | { kind: 'ignored' }
  | { kind: 'refused'; reason: string };

/** What the adapter gives the rooms: the live client, durable state, and where to report. */
export interface MucDeps {
  client(): Client | null;
  state: AdapterStateStore;
  /** The account's bare JID. */
  self: string;
  /** A room appeared, changed or was left. */
  roomChanged(room: string, title: string, left: boolean): void;
  /** Something the user should know about a room (an error in words). */
  problem(text: string): void;
}

function cleanNick(nick: string): string {
  const n = nick.trim().replace(/\s+/g, ' ');
  if (!n || n.length > MAX_NICK_CHARS || /[/\p{Cc}]/u.test(n)) {
    throw new AdapterActionError('invalid', `"${nick.slice(0, 40)}" cannot be a nickname: use 1 to ${MAX_NICK_CHARS} letters, no "/".`);
  }
  return n;
}

function roomAddress(address: string): string {
  const room = bareJid(address.trim().replace(/^xmpp:/, '').replace(/\?join$/, ''));
  if (!room) throw new AdapterActionError('invalid', `"${address.slice(0, 80)}" is not a group chat address (it looks like room@conference.example.org).`);
  return room;
}

function mucUser(stanza: Element): Element | undefined {
  return stanza.getChild('x', NS_MUC_USER);
}

function statusCodes(x: Element | undefined): Set<string> {
  return new Set((x?.getChildren('status') ?? []).map((s) => String(s.attrs.code)));
}

/** Why the room refused a join or a nickname, in words. */
function joinError(stanza: Element, room: string): string {
  const err = stanza.getChild('error');
  const cond = err?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
  switch (cond) {
    case 'conflict':
      return 'That nickname is taken in this group chat: choose another.';
    case 'not-authorized':
      return `The group chat ${room} needs a password.`;
    case 'registration-required':
      return `The group chat ${room} is for members only: ask one of its admins to add you.`;
    case 'forbidden':
      return `You are banned from the group chat ${room}.`;
    case 'item-not-found':
    case 'remote-server-not-found':
      return `There is no group chat ${room}.`;
    case 'not-allowed':
      return `The server does not let you make the group chat ${room}.`;
    case 'service-unavailable':
      return `The group chat ${room} is full or not available.`;
    case undefined:
    default:
      return `The group chat ${room} refused to let you in${cond ? ` (${cond})` : ''}.`;
  }
}

function delayStamp(stanza: Element, from: string): number | null {
  for (const d of stanza.getChildren('delay', NS_DELAY)) {
    const t = Date.parse(String(d.attrs.stamp));
    if (Number.isFinite(t) && (d.attrs.from === undefined || bareJid(d.attrs.from as string) === from || d.attrs.from === from)) return t;
  }
  return null;
}

export class MucRooms {
  private readonly rooms = new Map<string, Room>();
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private service: string | null = null;

  constructor(private readonly deps: MucDeps) {
    for (const [room, value] of deps.state.list(NS_ROOMS)) {
      try {
        const saved = JSON.parse(dec.decode(value)) as { nick?: unknown; title?: unknown; lastSeenAt?: unknown };
        if (typeof saved.nick !== 'string') continue;
        this.rooms.set(room, {
          nick: saved.nick,
          title: typeof saved.title === 'string' ? saved.title : room,
          joined: false,
          occupants: new Map(),
          affiliations: new Map(),
          lastSeenAt: typeof saved.lastSeenAt === 'number' ? saved.lastSeenAt : null,
        });
      } catch {
        // A damaged entry: that room is forgotten (the user can join it again).
      }
    }
  }

  isRoom(jid: string): boolean {
    return this.rooms.has(jid);
  }

  private save(room: string): void {
    const r = this.rooms.get(room);
    if (r) r.unsaved = false;
    const value = r ? enc.encode(JSON.stringify({ nick: r.nick, title: r.title, lastSeenAt: r.lastSeenAt })) : null;
    this.deps.state.write([{ ns: NS_ROOMS, key: room, value }]);
  }

  private live(): Client {
    const c = this.deps.client();
    if (!c) throw new AdapterActionError('unavailable', 'Not connected to the XMPP server: try again when the account is online.');
    return c;
  }

  /** A new session: every room is entered again, asking for what was said since. */
  rejoinAll(): void {
    for (const [room, r] of this.rooms) {
      // A join the user asked for moments ago is already under way in this session.
      if (this.waiting.has(room)) continue;
      r.joined = false;
      r.occupants.clear();
      void this.enter(room, r.nick, r.lastSeenAt).catch((e: unknown) => this.deps.problem(`Could not enter the group chat ${room} again: ${(e as Error).message}`));
    }
  }

  /** The session ended: nobody is known to be in any room until it is joined again. */
  offline(): void {
    for (const [room, r] of this.rooms) {
      r.joined = false;
      r.occupants.clear();
      if (r.unsaved) this.save(room);
    }
    for (const w of this.waiting.values()) w.reject(new AdapterActionError('unavailable', 'The connection to the XMPP server closed.'));
    this.waiting.clear();
  }

  /** Sends the join presence and waits for the room's answer. */
  private async enter(room: string, nick: string, since: number | null): Promise<void> {
    const c = this.live();
    const history = since === null ? xml('history', { maxstanzas: String(HISTORY_STANZAS) }) : xml('history', { since: new Date(since).toISOString() });
    const answered = this.waitFor(room);
    answered.catch(() => undefined); // awaited below; a failed send must not leave it unhandled
    await c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }, history)));
    await answered;
  }

  private waitFor(room: string): Promise<void> {
    this.waiting.get(room)?.reject(new AdapterActionError('unavailable', 'Superseded by another request for this room.'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(room);
        reject(new AdapterActionError('unavailable', `The group chat ${room} did not answer.`));
      }, JOIN_TIMEOUT_MS);
      this.waiting.set(room, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private settle(room: string, error?: Error): void {
    const w = this.waiting.get(room);
    if (!w) return;
    this.waiting.delete(room);
    if (error) w.reject(error);
    else w.resolve();
  }

  /** Joins a room (made if it does not exist and the server allows it) under a nickname. */
  async join(address: string, nickname: string): Promise<{ roomId: string; title: string }> {
    const room = roomAddress(address);
    const nick = cleanNick(nickname);
    const existing = this.rooms.get(room);
    if (existing?.joined) return { roomId: room, title: existing.title };
    const entry: Room = existing ?? { nick, title: room.split('@')[0]!, joined: false, occupants: new Map(), affiliations: new Map(), lastSeenAt: null };
    entry.nick = nick;
    this.rooms.set(room, entry);
    try {
      await this.enter(room, nick, entry.lastSeenAt);
    } catch (e) {
      if (!existing) this.rooms.delete(room);
      throw e;
    }
    this.save(room);
    await this.readTitle(room);
    this.deps.roomChanged(room, entry.title, false);
    return { roomId: room, title: entry.title };
  }

  /** Leaves a room for good (it is not joined again). */
  async leave(room: string): Promise<void> {
    const r = this.rooms.get(room);
    if (!r) return;
    const c = this.deps.client();
    this.rooms.delete(room);
    this.save(room);
    if (c) await c.send(xml('presence', { to: `${room}/${r.nick}`, type: 'unavailable' })).catch(() => undefined);
    this.deps.roomChanged(room, r.title, true);
  }

  /** Changes the user's nickname in a room (the room says whether it is free). */
  async setNickname(room: string, nickname: string): Promise<void> {
    const r = this.rooms.get(room);
    if (!r?.joined) throw new AdapterActionError('unavailable', 'You are not in this group chat right now.');
    const nick = cleanNick(nickname);
    if (nick === r.nick) return;
    const answered = this.waitFor(room);
    answered.catch(() => undefined); // awaited below
    const previous = r.nick;
    r.nick = nick;
    await this.live().send(xml('presence', { to: `${room}/${nick}` }));
    try {
      await answered;
    } catch (e) {
      r.nick = previous;
      throw e;
    }
    this.save(room);
  }

  /** Makes a members-only, persistent room named `name` and invites these people (bare JIDs). */
  async create(name: string, members: readonly string[], nickname: string): Promise<{ roomId: string; title: string }> {
    const title = name.trim().slice(0, MAX_TITLE_CHARS) || 'Group chat';
    const service = await this.findService();
    const slug = title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'group';
    const room = `${slug}-${randomUUID().slice(0, 8)}@${service}`;
    await this.join(room, nickname);
    await this.configure(room, title);
    const r = this.rooms.get(room)!;
    r.title = title;
    this.save(room);
    await this.setMembers(room, members);
    this.deps.roomChanged(room, title, false);
    return { roomId: room, title };
  }

  /** Makes `members` the room's members: new ones are made members and invited, missing ones lose membership. */
  async setMembers(room: string, members: readonly string[]): Promise<void> {
    const c = this.live();
    const want = new Set(members.map((m) => bareJid(m)).filter((m): m is string => m !== null && m !== this.deps.self));
    await this.readAffiliations(room);
    const r = this.rooms.get(room);
    if (!r) throw new AdapterActionError('not-found', 'You are not in this group chat.');
    const changes: [string, string][] = [];
    for (const jid of want) if (!r.affiliations.has(jid)) changes.push([jid, 'member']);
    for (const [jid, aff] of r.affiliations) if (aff === 'member' && !want.has(jid)) changes.push([jid, 'none']);
    // One change and one invitation per stanza: Prosody acts on the first item of each only.
    for (const [jid, affiliation] of changes) await c.iqCaller.set(xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { jid, affiliation })), room);
    for (const jid of want) {
      if (!r.affiliations.has(jid)) await c.send(xml('message', { to: room }, xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: jid }))));
    }
    await this.readAffiliations(room);
  }

  /** Who is in the room: affiliated members and everyone present. */
  members(room: string): GroupMemberInfo[] {
    const r = this.rooms.get(room);
    if (!r) throw new AdapterActionError('not-found', 'You are not in this group chat.');
    const out = new Map<string, GroupMemberInfo>();
    const admin = (aff: string | undefined) => aff === 'owner' || aff === 'admin';
    for (const [jid, aff] of r.affiliations) {
      out.set(jid, { address: jid, displayName: jid.split('@')[0]!, isSelf: jid === this.deps.self, isAdmin: admin(aff) });
    }
    for (const [nick, o] of r.occupants) {
      const isSelf = nick === r.nick || o.jid === this.deps.self;
      const key = o.jid ?? `nick:${nick}`;
      out.set(key, { address: o.jid, displayName: nick, isSelf, isAdmin: admin(o.affiliation) || admin(r.affiliations.get(o.jid ?? '')) });
    }
    if (![...out.values()].some((m) => m.isSelf)) out.set(this.deps.self, { address: this.deps.self, displayName: r.nick, isSelf: true, isAdmin: false });
    return [...out.values()];
  }

  private async readAffiliations(room: string): Promise<void> {
    const c = this.live();
    const r = this.rooms.get(room);
    if (!r) return;
    const next = new Map<string, string>();
    for (const affiliation of ['owner', 'admin', 'member']) {
      try {
        const res = await c.iqCaller.get(xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation })), room);
        for (const item of res?.getChildren('item') ?? []) {
          const jid = bareJid(item.attrs.jid as string | undefined);
          if (jid) next.set(jid, affiliation);
        }
      } catch {
        // Only admins may read these lists: what the occupants show is all a member knows.
        if (affiliation === 'owner') return;
      }
    }
    r.affiliations = next;
  }

  /** The server's group chat service (disco), remembered for the session. */
  private async findService(): Promise<string> {
    if (this.service) return this.service;
    const c = this.live();
    const domain = this.deps.self.split('@')[1]!;
    const items = await c.iqCaller.get(xml('query', { xmlns: NS_DISCO_ITEMS }), domain);
    for (const item of items?.getChildren('item') ?? []) {
      const jid = item.attrs.jid as string | undefined;
      if (!jid || !/^[A-Za-z0-9.-]{1,255}$/.test(jid)) continue;
      try {
        const info = await c.iqCaller.get(xml('query', { xmlns: NS_DISCO_INFO }), jid);
        if (info?.getChildren('identity').some((i) => i.attrs.category === 'conference' && i.attrs.type === 'text')) {
          this.service = jid.toLowerCase();
          return this.service;
        }
      } catch {
        // An item that does not answer is not the service.
      }
    }
    throw new AdapterActionError('unavailable', `The server ${domain} offers no group chats (no MUC service).`);
  }

  /** Members-only, persistent, members see each other's addresses (so they are contacts, not just nicknames). */
  private async configure(room: string, title: string): Promise<void> {
    const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
    const form = xml(
      'x',
      { xmlns: NS_DATA, type: 'submit' },
      field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'),
      field('muc#roomconfig_roomname', title),
      field('muc#roomconfig_persistentroom', '1'),
      field('muc#roomconfig_membersonly', '1'),
      field('muc#roomconfig_whois', 'anyone'),
    );
    await this.live().iqCaller.set(xml('query', { xmlns: NS_MUC_OWNER }, form), room);
  }

  private async readTitle(room: string): Promise<void> {
    const r = this.rooms.get(room);
    const c = this.deps.client();
    if (!r || !c) return;
    try {
      const info = await c.iqCaller.get(xml('query', { xmlns: NS_DISCO_INFO }), room);
      const name = info?.getChildren('identity').find((i) => i.attrs.category === 'conference')?.attrs.name as string | undefined;
      if (name && name.trim()) r.title = name.trim().slice(0, MAX_TITLE_CHARS);
    } catch {
      // A room that does not say its name keeps the one it had.
    }
  }

  /** A presence from a room (an occupant came, went, or changed; our own join, nick change or removal). */
  onPresence(stanza: Element): void {
    const from = String(stanza.attrs.from ?? '');
    const room = bareJid(from);
    const r = room ? this.rooms.get(room) : undefined;
    if (!room || !r) return;
    const nick = from.includes('/') ? from.slice(from.indexOf('/') + 1) : '';
    if (stanza.attrs.type === 'error') {
      this.settle(room, new AdapterActionError('unavailable', joinError(stanza, room)));
      return;
    }
    const x = mucUser(stanza);
    const codes = statusCodes(x);
    const item = x?.getChild('item');
    const isSelf = codes.has('110');
    if (stanza.attrs.type === 'unavailable') {
      r.occupants.delete(nick);
      if (!isSelf) return;
      if (codes.has('303')) return; // our nickname changed: the new self-presence follows
      // Removed from the room (kicked, banned, membership taken away, room destroyed) or our own leave.
      r.joined = false;
      if (codes.has('307') || codes.has('301') || codes.has('321') || codes.has('332') || stanza.getChild('destroy', NS_MUC_USER)) {
        this.rooms.delete(room);
        this.save(room);
        this.deps.roomChanged(room, r.title, true);
      }
      return;
    }
    if (!nick || nick.length > MAX_NICK_CHARS) return;
    r.occupants.set(nick, { jid: bareJid(item?.attrs.jid as string | undefined), affiliation: String(item?.attrs.affiliation ?? 'none') });
    if (isSelf) {
      r.nick = nick;
      const wasJoined = r.joined;
      r.joined = true;
      this.settle(room);
      // A new room is locked until its owner submits a configuration: unlock it with the server's
      // defaults at once (`create` then submits its own settings).
      if (codes.has('201')) void this.acceptDefaults(room);
      if (!wasJoined) void this.readAffiliations(room).catch(() => undefined);
    }
  }

  private async acceptDefaults(room: string): Promise<void> {
    try {
      await this.live().iqCaller.set(xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: NS_DATA, type: 'submit' })), room);
    } catch (e) {
      this.deps.problem(`The new group chat ${room} could not be opened to others: ${(e as Error).message}`);
    }
  }

  /** An invitation to a room: mediated (from the room) or direct (XEP-0249); null when the stanza is none. */
  readInvitation(stanza: Element): { room: string; from: string | null } | null {
    const from = bareJid(stanza.attrs.from as string | undefined);
    // Mediated first: the room sends it, names the inviter, and may add a legacy direct-invitation
    // element (which would make the room look like the inviter).
    const invite = mucUser(stanza)?.getChild('invite');
    if (invite && from) return { room: from, from: bareJid(invite.attrs.from as string | undefined) };
    const direct = stanza.getChild('x', NS_CONFERENCE);
    if (direct) {
      const room = bareJid(direct.attrs.jid as string | undefined);
      return room ? { room, from } : null;
    }
    return null;
  }

  /** Reads a `type="groupchat"` message from a room we are in. */
  readMessage(stanza: Element): RoomRead {
    const from = String(stanza.attrs.from ?? '');
    const room = bareJid(from);
    const r = room ? this.rooms.get(room) : undefined;
    if (!room || !r) return { kind: 'ignored' };
    const nick = from.includes('/') ? from.slice(from.indexOf('/') + 1) : '';
    if (!nick) return { kind: 'ignored' }; // the room itself: subject changes, status notices
    if (nick.length > MAX_NICK_CHARS) return { kind: 'refused', reason: `a group chat message with an overlong nickname in ${room}` };
    const occupant = r.occupants.get(nick);
    const self = nick === r.nick;
    const state = ['composing', 'paused', 'active', 'inactive', 'gone'].find((s) => stanza.getChild(s, 'http://jabber.org/protocol/chatstates'));
    const body = stanza.getChild('body');
    if (!body) {
      if (state && !self) return { kind: 'typing', room, nick, senderJid: occupant?.jid ?? null, typing: state === 'composing' };
      return { kind: 'ignored' };
    }
    const text = body.getText();
    if (text.length > MAX_BODY_CHARS) return { kind: 'refused', reason: `a group chat message of ${text.length} characters in ${room} (at most ${MAX_BODY_CHARS} are taken)` };
    if (text.trim() === '') return { kind: 'ignored' };
    let remoteId: string | null = null;
    for (const sid of stanza.getChildren('stanza-id', NS_SID)) {
      const id = sid.attrs.id as unknown;
      if (bareJid(sid.attrs.by as string | undefined) === room && typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_CHARS) remoteId = id;
    }
    const origin = (stanza.getChild('origin-id', NS_SID)?.attrs.id ?? stanza.attrs.id) as string | undefined;
    const originId = origin && origin.length <= MAX_ID_CHARS ? origin : null;
    remoteId ??= originId ? `${room}/${nick}/${originId}` : null;
    if (!remoteId) return { kind: 'refused', reason: `a group chat message in ${room} without an id to tell it from others` };
    const stamp = delayStamp(stanza, room);
    const sentAt = stamp ?? Date.now();
    // Kept in memory and written when the session ends (`offline`): not one write per message. If
    // the app dies first, the next join asks for a little more history, which dedupe absorbs.
    if (r.lastSeenAt === null || sentAt > r.lastSeenAt) {
      r.lastSeenAt = sentAt;
      r.unsaved = true;
    }
    return {
      kind: 'message',
      message: { room, nick, senderJid: occupant?.jid ?? null, self, text, remoteId, originId, history: stamp !== null, sentAt },
    };
  }

  /** The room's nickname for us, or null when we are not in it. */
  nickIn(room: string): string | null {
    return this.rooms.get(room)?.nick ?? null;
  }

  joined(room: string): boolean {
    return this.rooms.get(room)?.joined ?? false;
  }
}
