/**
 * Reading a received `<message/>` (decode → check → what it is): a chat message to us, or a
 * carbon copy (XEP-0280) of one sent or received by another client of the account. Anything
 * malformed or over the limits is refused here with the reason in words; the caller logs it,
 * reports it and goes on — one bad stanza never stops the account.
 */
import type { Element } from '@xmpp/xml';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_SID = 'urn:xmpp:sid:0';

/** The longest text taken from one message (what a Switchboard user may send, too). */
export const MAX_BODY_CHARS = 64_000;
const MAX_ID_CHARS = 256;
const BARE_JID = /^[^@/\s"&'<>:]{1,1023}@[A-Za-z0-9.-]{1,1023}$/;

export interface ChatMessage {
  /** Who the conversation is with (bare JID). */
  peer: string;
  /** `in`: from the peer; `out`: ours, sent by another client (a carbon). */
  direction: 'in' | 'out';
  text: string;
  /** The dedupe id: the server's stanza-id for this account when there is one, else the sender's id. */
  remoteId: string;
  /** Our own client id, for a message Switchboard sent (origin-id) seen again. */
  originId: string | null;
}

export type ReadResult = { kind: 'chat'; message: ChatMessage } | { kind: 'ignored' } | { kind: 'refused'; reason: string };

export function bareJid(jid: string | undefined): string | null {
  if (!jid) return null;
  const bare = jid.split('/')[0]!.toLowerCase();
  return BARE_JID.test(bare) ? bare : null;
}

function stanzaIdBy(el: Element, by: string): string | null {
  for (const sid of el.getChildren('stanza-id', NS_SID)) {
    if (bareJid(sid.attrs.by as string | undefined) === by || sid.attrs.by === by) {
      const id = sid.attrs.id as unknown;
      if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_CHARS) return id;
    }
  }
  return null;
}

/** Reads one message addressed to `self` (bare JID of the account). */
export function readMessage(stanza: Element, self: string, fromServer: boolean): ReadResult {
  const from = stanza.attrs.from as string | undefined;
  // A carbon must come from our own bare JID (the server), or anyone could forge "you sent this".
  const carbon = stanza.getChild('received', NS_CARBONS) ?? stanza.getChild('sent', NS_CARBONS);
  if (carbon) {
    if (bareJid(from) !== self) return { kind: 'refused', reason: `a carbon copy from ${bareJid(from) ?? 'an invalid address'}, not from the account's own server` };
    const inner = carbon.getChild('forwarded', NS_FORWARD)?.getChild('message');
    if (!inner) return { kind: 'refused', reason: 'a carbon copy without the message it copies' };
    const sent = carbon.name === 'sent';
    const peer = bareJid((sent ? inner.attrs.to : inner.attrs.from) as string | undefined);
    if (!peer) return { kind: 'refused', reason: 'a carbon copy without a valid address' };
    return readBody(inner, peer, sent ? 'out' : 'in', self, stanzaIdBy(stanza, self));
  }
  if (fromServer && stanza.attrs.type === 'error') return { kind: 'ignored' };
  const peer = bareJid(from);
  if (!peer) return { kind: 'refused', reason: `a message from an invalid address ("${String(from).slice(0, 80)}")` };
  return readBody(stanza, peer, 'in', self, stanzaIdBy(stanza, self));
}

function readBody(el: Element, peer: string, direction: 'in' | 'out', self: string, serverId: string | null): ReadResult {
  const type = (el.attrs.type as string | undefined) ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return { kind: 'ignored' };
  const body = el.getChild('body');
  if (!body) return { kind: 'ignored' }; // chat states, receipts, other payloads
  const text = body.getText();
  if (text.length > MAX_BODY_CHARS) return { kind: 'refused', reason: `a message from ${peer} of ${text.length} characters (at most ${MAX_BODY_CHARS} are taken)` };
  if (text.trim() === '') return { kind: 'ignored' };
  const originId = el.getChild('origin-id', NS_SID)?.attrs.id as string | undefined;
  const id = el.attrs.id as string | undefined;
  const remoteId = serverId ?? (id && id.length <= MAX_ID_CHARS ? `${direction === 'in' ? peer : self}/${id}` : null);
  if (!remoteId) return { kind: 'refused', reason: `a message from ${peer} without an id to tell it from others` };
  return { kind: 'chat', message: { peer, direction, text, remoteId, originId: originId && originId.length <= MAX_ID_CHARS ? originId : null } };
}

/**
 * Reads a message from the account's archive (MAM): ours when it is from the account (sent by any
 * of its clients), else from the peer; `archiveId` is its id (the stanza-id live copies carry).
 */
export function readArchived(el: Element, self: string, archiveId: string): ReadResult {
  if (archiveId.length > MAX_ID_CHARS) return { kind: 'refused', reason: 'an archived message with an overlong id' };
  const from = bareJid(el.attrs.from as string | undefined);
  const outgoing = from === self;
  const peer = outgoing ? bareJid(el.attrs.to as string | undefined) : from;
  if (!peer) return { kind: 'refused', reason: 'an archived message without a valid address' };
  return readBody(el, peer, outgoing ? 'out' : 'in', self, archiveId);
}
