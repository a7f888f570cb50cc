/**
 * The roster (RFC 6121): who the account knows, and presence subscriptions. Roster items become
 * contacts (`peer` events, never merged by name: core keys them by JID); a subscription request
 * from someone not in the roster is a message request; presence says whether a contact is online.
 * Everything here reads untrusted stanzas and refuses what does not fit, without throwing.
 */
import { xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { bareJid } from './incoming.ts';

export const NS_ROSTER = 'jabber:iq:roster';
/** Longest roster name kept (a hostile server could send megabytes). */
const MAX_NAME_CHARS = 200;
/** Roster items taken at most: a roster bigger than this is cut (and said so in the log). */
export const MAX_ROSTER_ITEMS = 5_000;

export type Subscription = 'none' | 'to' | 'from' | 'both' | 'remove';

export interface RosterItem {
  jid: string;
  name: string | null;
  subscription: Subscription;
  /** We asked to see their presence and they have not answered. */
  pending: boolean;
}

const SUBSCRIPTIONS = new Set<Subscription>(['none', 'to', 'from', 'both', 'remove']);

/** Reads the items of a roster result or push; malformed items are left out. */
export function readRosterItems(query: Element | undefined): RosterItem[] {
  if (!query) return [];
  const out: RosterItem[] = [];
  for (const item of query.getChildren('item')) {
    if (out.length >= MAX_ROSTER_ITEMS) break;
    const jid = bareJid(item.attrs.jid as string | undefined);
    if (!jid) continue;
    const sub = (item.attrs.subscription as string | undefined) ?? 'none';
    const name = typeof item.attrs.name === 'string' ? item.attrs.name.trim().slice(0, MAX_NAME_CHARS) : '';
    out.push({
      jid,
      name: name || null,
      subscription: SUBSCRIPTIONS.has(sub as Subscription) ? (sub as Subscription) : 'none',
      pending: item.attrs.ask === 'subscribe',
    });
  }
  return out;
}

/** Fetches the whole roster. */
export async function fetchRoster(c: Client): Promise<RosterItem[]> {
  const res = await c.iqCaller.get(xml('query', { xmlns: NS_ROSTER }));
  return readRosterItems(res);
}

/**
 * The account's roster as last seen, for deciding whether a message or a subscription request
 * comes from someone the user knows.
 */
export class Roster {
  private readonly items = new Map<string, RosterItem>();

  replace(items: readonly RosterItem[]): void {
    this.items.clear();
    for (const i of items) this.apply(i);
  }

  apply(item: RosterItem): void {
    if (item.subscription === 'remove') this.items.delete(item.jid);
    else this.items.set(item.jid, item);
  }

  get(jid: string): RosterItem | undefined {
    return this.items.get(jid);
  }

  /** The user added them or agreed to share presence with them: their messages are not requests. */
  knows(jid: string): boolean {
    return this.items.has(jid);
  }

  /** They may see the user's presence already (an earlier yes). */
  approved(jid: string): boolean {
    const s = this.items.get(jid)?.subscription;
    return s === 'from' || s === 'both';
  }

  /** The user sees their presence. */
  subscribedTo(jid: string): boolean {
    const s = this.items.get(jid)?.subscription;
    return s === 'to' || s === 'both';
  }
}

/** Online, away (away / extended away / do not disturb), or offline. */
export type PresenceState = 'available' | 'away' | 'offline';

/**
 * Contacts' presence, per resource: a contact is available when any of their clients is, away
 * when all are away, offline when none is connected.
 */
export class PresenceBook {
  private readonly resources = new Map<string, Map<string, PresenceState>>();

  /** Records one presence stanza; returns the contact's new state when it changed, else null. */
  update(fullJid: string, state: PresenceState): { jid: string; state: PresenceState } | null {
    const jid = bareJid(fullJid);
    if (!jid) return null;
    const resource = fullJid.includes('/') ? fullJid.slice(fullJid.indexOf('/') + 1) : '';
    const before = this.stateOf(jid);
    let r = this.resources.get(jid);
    if (state === 'offline') {
      // Unavailable from the bare JID: every client of theirs went away.
      if (resource === '') r?.clear();
      else r?.delete(resource);
    } else {
      if (!r) this.resources.set(jid, (r = new Map<string, PresenceState>()));
      r.set(resource, state);
    }
    if (r && r.size === 0) this.resources.delete(jid);
    const after = this.stateOf(jid);
    return after === before ? null : { jid, state: after };
  }

  stateOf(jid: string): PresenceState {
    const r = this.resources.get(jid);
    if (!r || r.size === 0) return 'offline';
    return [...r.values()].includes('available') ? 'available' : 'away';
  }

  /** Everyone who is not offline (to report them offline when the account disconnects). */
  online(): string[] {
    return [...this.resources.keys()];
  }

  clear(): void {
    this.resources.clear();
  }
}

/** What a `<presence/>` from a user (not a room) is. */
export type PresenceRead =
  | { kind: 'state'; from: string; state: PresenceState }
  | { kind: 'subscribe'; jid: string; name: string | null }
  | { kind: 'subscribed' | 'unsubscribe' | 'unsubscribed'; jid: string }
  | { kind: 'ignored' };

export function readPresence(stanza: Element): PresenceRead {
  const from = stanza.attrs.from as string | undefined;
  const jid = bareJid(from);
  if (!from || !jid) return { kind: 'ignored' };
  const type = stanza.attrs.type as string | undefined;
  switch (type) {
    case undefined: {
      const show = stanza.getChildText('show');
      return { kind: 'state', from, state: show === 'away' || show === 'xa' || show === 'dnd' ? 'away' : 'available' };
    }
    case 'unavailable':
      return { kind: 'state', from, state: 'offline' };
    case 'subscribe': {
      // XEP-0172: the nickname the requester chose, if they sent one.
      const nick = stanza.getChildText('nick', 'http://jabber.org/protocol/nick')?.trim().slice(0, MAX_NAME_CHARS);
      return { kind: 'subscribe', jid, name: nick || null };
    }
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
      return { kind: type, jid };
    default:
      return { kind: 'ignored' };
  }
}
