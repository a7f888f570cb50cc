/**
 * What a 1:1 `<message/>` says besides its text: a delivery receipt (XEP-0184) or a displayed
 * marker (XEP-0333) for one of ours, a typing state (XEP-0085), and whether the sender asks for a
 * receipt or marker for this one. Read from untrusted stanzas; anything odd is simply absent.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';

export const NS_RECEIPTS = 'urn:xmpp:receipts';
export const NS_MARKERS = 'urn:xmpp:chat-markers:0';
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_HINTS = 'urn:xmpp:hints';
const MAX_ID_CHARS = 256;
const STATES = ['composing', 'paused', 'active', 'inactive', 'gone'] as const;

export interface Signals {
  /** The id of our message the peer received (XEP-0184). */
  received: string | null;
  /** The id of our message the peer displayed (XEP-0333). */
  displayed: string | null;
  /** The peer is typing (composing) or stopped (any other state); null: no state in this stanza. */
  typing: boolean | null;
  /** The sender asks for a receipt / a displayed marker for this message. */
  wantsReceipt: boolean;
  markable: boolean;
}

function idOf(el: Element | undefined): string | null {
  const id = el?.attrs.id as unknown;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_CHARS ? id : null;
}

export function readSignals(stanza: Element): Signals {
  const state = STATES.find((s) => stanza.getChild(s, NS_CHATSTATES));
  return {
    received: idOf(stanza.getChild('received', NS_RECEIPTS)),
    displayed: idOf(stanza.getChild('displayed', NS_MARKERS)),
    typing: state === undefined ? null : state === 'composing',
    wantsReceipt: !!stanza.getChild('request', NS_RECEIPTS),
    markable: !!stanza.getChild('markable', NS_MARKERS),
  };
}

/** What goes into every message we send: ask for a receipt and a displayed marker. */
export function receiptRequests(): Element[] {
  return [xml('request', { xmlns: NS_RECEIPTS }), xml('markable', { xmlns: NS_MARKERS })];
}

/** A typing notice: not kept in archives or offline storage (it is stale by then). */
export function chatState(typing: boolean): Element[] {
  return [xml(typing ? 'composing' : 'paused', { xmlns: NS_CHATSTATES }), xml('no-store', { xmlns: NS_HINTS })];
}

/** The answer to a message the user read: a receipt and/or a displayed marker, as asked for. */
export function readAnswer(id: string, wantsReceipt: boolean, markable: boolean): Element[] {
  const out: Element[] = [];
  if (wantsReceipt) out.push(xml('received', { xmlns: NS_RECEIPTS, id }));
  if (markable) out.push(xml('displayed', { xmlns: NS_MARKERS, id }));
  if (out.length > 0) out.push(xml('store', { xmlns: NS_HINTS }));
  return out;
}
