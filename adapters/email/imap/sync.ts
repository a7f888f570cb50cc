/**
 * Syncs one mailbox into core: new mail since the cursor (oldest first), then the first sync's
 * backlog within the window (newest first), in batches: one `UID FETCH` of the header fields
 * the adapter needs, then the bodies of what it will show, up to the download limit. The cursor
 * moves only after core has stored a batch, so a crash re-fetches at most one batch (deduped).
 */
import type { FetchMessageObject, ImapFlow, SearchObject } from 'imapflow';
import { parseHeaderSummary } from '../mime/parse.ts';
import { HEADER_FIELDS, type FetchedMail } from '../incoming.ts';
import { readLargeMessage, type LargeMessageParts } from './large.ts';
import type { MailState } from '../mail-state.ts';

/** Messages per header fetch. */
const BATCH = 250;
/** Bytes of message sources per body fetch. */
const SOURCE_GROUP_BYTES = 8 * 1024 * 1024;
/** Bytes of message sources one batch holds in memory at most (a batch ends early rather than exceed it). */
const BATCH_BYTES = 64 * 1024 * 1024;

export interface SyncDeps {
  client: ImapFlow;
  state: MailState;
  /** Days back the first sync reaches. */
  syncDays: number;
  /** Messages larger than this are not downloaded (their headers are, and the user is told). */
  maxDownloadBytes: number;
  /**
   * Hands a batch to core and resolves once core has stored it (false: not confirmed, do not
   * advance). `body`: the batch fills in messages stored from their headers before.
   */
  deliver(batch: FetchedMail[], mode: 'message' | 'body'): Promise<boolean>;
  /** Messages of this sync done so far, of a total. */
  progress(done: number, total: number): void;
  now(): number;
  signal: AbortSignal;
  /** The mailbox was just SELECTed on a new connection, so its HIGHESTMODSEQ is current. */
  justSelected: boolean;
}

/** Syncs the mailbox at `path`, which the caller holds the lock of (it is selected). */
export async function syncMailbox(path: string, deps: SyncDeps): Promise<void> {
  const { client, state } = deps;
  const box = client.mailbox;
  if (!box) throw new Error(`mailbox ${path} is not selected`);
  const uidValidity = String(box.uidValidity);
  let cur = state.cursor(path);
  if (!cur || cur.uidValidity !== uidValidity) {
    // First sync, or the server renumbered the mailbox (UIDVALIDITY changed): take the window
    // again; messages already stored are deduped by Message-ID in core.
    cur = { uidValidity, lastUid: box.uidNext - 1, initialBelow: box.uidNext, windowStart: deps.now() - deps.syncDays * 86_400_000, highestModseq: null };
    state.setCursor(path, cur);
    state.flush();
  }
  // CONDSTORE: on a reconnect, a HIGHESTMODSEQ that did not move since the last complete sync
  // means nothing at all changed; skip even the search. Only right after SELECT: later the
  // selected mailbox's HIGHESTMODSEQ and UIDNEXT are as stale as that SELECT.
  if (deps.justSelected && cur.initialBelow === 0 && !cur.bodiesBelow && cur.highestModseq !== null && box.highestModseq !== undefined && cur.highestModseq === String(box.highestModseq)) return;

  // Taken before the search: imapflow raises the selected mailbox's HIGHESTMODSEQ as FETCH responses
  // come in, so a value read after the sync could cover mail that arrived during it and was not synced.
  const modseqBefore = box.highestModseq !== undefined ? String(box.highestModseq) : null;
  const seen = cur.lastUid;
  // "n:*" always matches the newest message even when its UID is below n: filter it out.
  const fresh = (await searchUids(client, { uid: `${seen + 1}:*` })).filter((u) => u > seen);
  fresh.sort((a, b) => a - b);
  const backlog = cur.initialBelow > 1 ? await searchUids(client, { uid: `1:${cur.initialBelow - 1}`, since: new Date(cur.windowStart) }) : [];
  backlog.sort((a, b) => b - a);
  const total = fresh.length + backlog.length;
  let done = 0;
  if (total > 0) deps.progress(0, total);

  for (let i = 0; i < fresh.length; ) {
    const batch = await fetchBatch(path, uidValidity, fresh.slice(i, i + BATCH), deps);
    if (!(await deps.deliver(batch.mails, 'message'))) throw notStored();
    const uids = fresh.slice(i, (i += batch.consumed));
    cur = { ...cur, lastUid: uids[uids.length - 1]! };
    state.setCursor(path, cur);
    state.flush();
    deps.progress((done += uids.length), total);
  }
  // The backlog: the newest batch whole, so recent chats are complete at once; older mail from its
  // headers only (the cheapest fetch there is), so the whole list is there quickly; its bodies next.
  for (let i = 0; i < backlog.length; ) {
    const headersOnly: boolean = (cur.bodiesBelow ?? 0) > 0;
    const batch = await fetchBatch(path, uidValidity, backlog.slice(i, i + BATCH), deps, { headersOnly });
    if (!(await deps.deliver(batch.mails, 'message'))) throw notStored();
    const uids = backlog.slice(i, (i += batch.consumed));
    const lowest = uids[uids.length - 1]!;
    cur = { ...cur, initialBelow: lowest, bodiesBelow: headersOnly ? cur.bodiesBelow : lowest };
    state.setCursor(path, cur);
    state.flush();
    deps.progress((done += uids.length), total);
  }
  if (cur.initialBelow !== 0) {
    cur = { ...cur, initialBelow: 0 };
    state.setCursor(path, cur);
    state.flush();
  }
  if ((cur.bodiesBelow ?? 0) > 1) {
    const pending = await searchUids(client, { uid: `1:${(cur.bodiesBelow ?? 1) - 1}`, since: new Date(cur.windowStart) });
    pending.sort((a, b) => b - a);
    let filled = 0;
    if (pending.length > 0) deps.progress(0, pending.length);
    for (let i = 0; i < pending.length; ) {
      const batch = await fetchBatch(path, uidValidity, pending.slice(i, i + BATCH), deps);
      if (!(await deps.deliver(batch.mails, 'body'))) throw notStored();
      const uids = pending.slice(i, (i += batch.consumed));
      cur = { ...cur, bodiesBelow: uids[uids.length - 1]! };
      state.setCursor(path, cur);
      state.flush();
      deps.progress((filled += uids.length), pending.length);
    }
  }
  cur = { ...cur, initialBelow: 0, bodiesBelow: 0, highestModseq: modseqBefore };
  state.setCursor(path, cur);
  state.flush();
}

/**
 * Core did not confirm a batch (it is stopping, or busy past the wait): the cursor stays, and the
 * connection starts over with backoff, so the batch is fetched again rather than left until the
 * next new mail.
 */
function notStored(): Error {
  return new Error('Switchboard could not confirm that the last batch of mail was stored; syncing it again.');
}

/**
 * imapflow answers a FETCH on a connection that closed meanwhile with nothing, not an error: read
 * as "those messages were expunged", the sync would move its cursor past mail it never got.
 */
function stillConnected(client: ImapFlow): void {
  if (!client.usable || !client.mailbox) throw new Error('The connection to the mail server closed during the sync.');
}

/**
 * UIDs matching a search. imapflow answers a failed SEARCH (or one on a connection that just
 * closed) with `false`, not an error: read as "nothing matched", that would mark a sync complete
 * that never ran, so it throws instead and the sync resumes from its cursor on the next connection.
 */
async function searchUids(client: ImapFlow, query: SearchObject): Promise<number[]> {
  const r = await client.search(query, { uid: true });
  if (!r) throw new Error('The mail server did not answer a search (the connection may have closed).');
  return [...r];
}

/** A compact UID set ("1:250,260,300:310") for a FETCH command. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (let i = 1; i <= sorted.length; i++) {
    const u = sorted[i];
    if (u !== undefined && prev !== undefined && u === prev + 1) {
      prev = u;
      continue;
    }
    if (start !== undefined) parts.push(start === prev ? String(start) : `${start}:${prev}`);
    start = u;
    prev = u;
  }
  return parts.join(',');
}

/**
 * Headers (and sizes, flags, dates) of a batch, then the sources of those under the limit, in
 * `uids` order; `headersOnly`: just the first fetch.
 */
export async function fetchBatch(
  path: string,
  uidValidity: string,
  uids: readonly number[],
  deps: Pick<SyncDeps, 'client' | 'maxDownloadBytes' | 'signal'>,
  opts: { headersOnly?: boolean } = {},
): Promise<{ mails: FetchedMail[]; consumed: number }> {
  const { client } = deps;
  const fetched = await client.fetchAll(uidSet(uids), { uid: true, flags: true, size: true, internalDate: true, headers: HEADER_FIELDS }, { uid: true });
  stillConnected(client);
  const all = new Map<number, FetchMessageObject>(fetched.map((m) => [m.uid, m]));
  // The batch ends early once its bodies would hold more than BATCH_BYTES (never before its first message).
  let consumed = 0;
  let held = 0;
  for (const uid of uids) {
    const size = all.get(uid)?.size ?? 0;
    const body = opts.headersOnly || size > deps.maxDownloadBytes ? 0 : size;
    if (consumed > 0 && held + body > BATCH_BYTES) break;
    held += body;
    consumed++;
  }
  const taken = uids.slice(0, consumed);
  const byUid = new Map<number, FetchMessageObject>(taken.flatMap((u) => (all.has(u) ? [[u, all.get(u)!] as const] : [])));
  const metas = [...byUid.values()];
  const sources = new Map<number, Buffer>();
  const wanted = opts.headersOnly ? [] : metas.filter((m) => (m.size ?? 0) <= deps.maxDownloadBytes).sort((a, b) => b.uid - a.uid);
  let group: number[] = [];
  let bytes = 0;
  const flushGroup = async (): Promise<void> => {
    if (group.length === 0) return;
    for (const m of await client.fetchAll(uidSet(group), { uid: true, source: true }, { uid: true })) if (m.source) sources.set(m.uid, m.source);
    stillConnected(client);
    group = [];
    bytes = 0;
  };
  for (const m of wanted) {
    if (deps.signal.aborted) throw new Error('sync stopped');
    if (bytes + (m.size ?? 0) > SOURCE_GROUP_BYTES) await flushGroup();
    group.push(m.uid);
    bytes += m.size ?? 0;
  }
  await flushGroup();

  // Over the limit: the text and the attachment list, without the whole message.
  const large = new Map<number, LargeMessageParts>();
  for (const m of metas) {
    if (opts.headersOnly || (m.size ?? 0) <= deps.maxDownloadBytes) continue;
    const parts = await readLargeMessage(client, m.uid).catch(() => null);
    stillConnected(client);
    if (parts) large.set(m.uid, parts);
  }

  const out: FetchedMail[] = [];
  for (const uid of taken) {
    const m = byUid.get(uid);
    if (!m) continue; // expunged between SEARCH and FETCH
    const size = m.size ?? 0;
    const source = sources.get(uid) ?? null;
    out.push({
      mailbox: path,
      uidValidity,
      uid,
      flags: m.flags ?? new Set(),
      size,
      internalDate: toMs(m.internalDate),
      headers: parseHeaderSummary(m.headers ?? new Uint8Array()),
      raw: source,
      large: large.get(uid),
      headersOnly: opts.headersOnly || undefined,
      skipped: source || large.has(uid) || opts.headersOnly ? undefined : size > deps.maxDownloadBytes ? tooLarge(size, deps.maxDownloadBytes) : 'The mail server did not send this message.',
    });
  }
  return { mails: out, consumed };
}

function toMs(d: Date | string | undefined): number {
  const t = d instanceof Date ? d.getTime() : typeof d === 'string' ? Date.parse(d) : NaN;
  return Number.isFinite(t) ? t : Date.now();
}

function tooLarge(size: number, limit: number): string {
  const mb = (n: number): string => `${Math.round(n / 1024 / 1024)} MB`;
  return `This message is ${mb(size)}; Switchboard downloads messages up to ${mb(limit)}. Open it in your webmail or another mail program.`;
}
