/**
 * History from the server's archive (XEP-0313, Message Archive Management): on every new session
 * the messages after the last one fetched (catch-up after being offline, also what another client
 * already took from offline storage), and on the very first session the newest page (history,
 * marked as such: already read elsewhere). Results are read like live messages; the caller
 * dedupes by archive id, which is the stanza-id live messages carry.
 */
import { xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DELAY = 'urn:xmpp:delay';
/** Messages per page. */
export const MAM_PAGE = 250;
/** Pages per catch-up at most (then the rest comes at the next session). */
const MAX_PAGES = 40;

export interface ArchivedMessage {
  /** The archive id (= the stanza-id of the live message). */
  id: string;
  message: Element;
  sentAt: number;
}

export interface MamPage {
  messages: ArchivedMessage[];
  /** The id of the last result, to continue after; null when the page was empty. */
  last: string | null;
  complete: boolean;
}

/** Where to start: after an archive id, or the newest page (first sync). */
export type MamFrom = { after: string } | { newest: true };

let seq = 0;

/** Fetches one page of the account's archive. */
export async function fetchPage(c: Client, from: MamFrom): Promise<MamPage> {
  const queryid = `sb-mam-${++seq}`;
  const messages: ArchivedMessage[] = [];
  const collect = (stanza: Element): void => {
    const result = stanza.is('message') ? stanza.getChild('result', NS_MAM) : undefined;
    if (!result || result.attrs.queryid !== queryid) return;
    const forwarded = result.getChild('forwarded', NS_FORWARD);
    const message = forwarded?.getChild('message');
    const id = result.attrs.id as unknown;
    if (!message || typeof id !== 'string') return;
    const stamp = Date.parse((forwarded?.getChild('delay', NS_DELAY)?.attrs.stamp as string | undefined) ?? '');
    messages.push({ id, message, sentAt: Number.isFinite(stamp) ? stamp : Date.now() });
  };
  c.on('stanza', collect);
  try {
    const set = 'after' in from ? xml('set', { xmlns: NS_RSM }, xml('max', {}, String(MAM_PAGE)), xml('after', {}, from.after)) : xml('set', { xmlns: NS_RSM }, xml('max', {}, String(MAM_PAGE)), xml('before'));
    // The answer is an iq holding <fin/> (not the <query/> `iqCaller.set` would look for).
    const reply = await c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM, queryid }, set)));
    const fin = reply.getChild('fin', NS_MAM);
    const last = fin?.getChild('set', NS_RSM)?.getChildText('last') ?? null;
    // Results of a `before` query come oldest first too; the archive order is kept.
    return { messages, last: last ?? messages.at(-1)?.id ?? null, complete: fin?.attrs.complete === 'true' || messages.length === 0 };
  } finally {
    c.removeListener('stanza', collect);
  }
}

/** Every page after `after` (bounded), in archive order. */
export async function* catchUp(c: Client, after: string): AsyncGenerator<MamPage> {
  let from = after;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(c, { after: from });
    yield page;
    if (page.complete || page.last === null) return;
    from = page.last;
  }
}
