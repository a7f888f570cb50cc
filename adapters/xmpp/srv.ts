/**
 * Where an XMPP domain's clients connect, from its DNS SRV records: `_xmpps-client._tcp`
 * (TLS from the first byte, XEP-0368) and `_xmpp-client._tcp` (STARTTLS, RFC 6120 §3.2).
 */
import { Resolver } from 'node:dns/promises';
import { createAdapterLogger } from '../log.ts';
import { xmppSettings } from './settings.ts';

const log = createAdapterLogger('xmpp.srv');

/** One SRV answer, as node:dns gives it. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** Looks up one SRV name; no records is an empty list (or a rejection, treated the same). */
export type ResolveSrv = (name: string, signal: AbortSignal) => Promise<SrvRecord[]>;

/** What the records say about the domain's client service. */
export type SrvAnswer =
  /** The service to use (`xmpps://host:port` or `xmpp://host:port`) and the record's name. */
  | { kind: 'found'; service: string; record: string }
  /** No SRV records at all: RFC 6120 §3.2.2 says connect to the domain itself. */
  | { kind: 'none' }
  /** Records exist, but none can be used: every target is "." (not offered) or not a host name. */
  | { kind: 'unusable' };

/** node:dns/promises' resolveSrv through the system's DNS servers, cancelled with the signal. */
export function systemResolveSrv(timeoutMs: number): ResolveSrv {
  return async (name, signal) => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    const cancel = () => resolver.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      return await resolver.resolveSrv(name);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  };
}

const SERVICES = [
  { label: '_xmpps-client._tcp', scheme: 'xmpps', rank: 0 },
  { label: '_xmpp-client._tcp', scheme: 'xmpp', rank: 1 },
] as const;

interface Offer {
  service: string;
  record: string;
  priority: number;
  weight: number;
  rank: number;
}

/** DNS answers that mean "no such records", as opposed to a lookup that failed. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * One lookup: its records, or an empty list (with the failure's code when it was not simply "no
 * records"). Settles as soon as the signal aborts, whether or not the resolver listens to it.
 */
function lookup(resolve: ResolveSrv, name: string, signal: AbortSignal): Promise<{ records: SrvRecord[]; failed?: string }> {
  if (signal.aborted) return Promise.resolve({ records: [] });
  return new Promise((done) => {
    const onAbort = () => done({ records: [] });
    signal.addEventListener('abort', onAbort, { once: true });
    resolve(name, signal)
      .then(
        (records) => done({ records: Array.isArray(records) ? records : [] }),
        (e: unknown) => {
          const code = e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : 'unknown';
          done(NO_RECORDS.has(code) ? { records: [] } : { records: [], failed: code });
        },
      )
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A record's target as a service, or null when it is not one settings.ts would accept: the DNS
 * answer may be hostile (spaces, slashes, a user@ part, a path, an absurd port) and must not become
 * a stored setting. The check is settings.ts's own, so the two can never disagree.
 */
function serviceOf(scheme: string, r: SrvRecord, domain: string): string | null {
  if (typeof r.name !== 'string' || !Number.isInteger(r.port) || r.port < 1 || r.port > 65_535) return null;
  if (!Number.isInteger(r.priority) || !Number.isInteger(r.weight)) return null;
  const host = r.name.replace(/\.$/, '').toLowerCase();
  if (host === '' || host.length > 253) return null;
  const service = `${scheme}://${host}:${r.port}`;
  try {
    return xmppSettings({ service }, domain).service;
  } catch {
    return null;
  }
}

/**
 * The preferred client service of `domain` from its SRV records. Both lists are merged and ordered
 * by priority (lowest first, RFC 2782), then direct TLS before STARTTLS, then weight (highest first).
 *
 * Direct TLS wins a tie in priority: XEP-0368 lets a domain publish both at once, and with TLS from
 * the first byte nothing is said in plain text (no STARTTLS offer an attacker could strip) and the
 * login needs one round trip fewer. A lower priority number still wins across kinds: the domain's
 * own order comes first. RFC 2782's weight is a share of load for a random choice; one stored
 * setting cannot be random, so it takes the record with the largest share.
 *
 * A target of "." means "this service is decidedly not available at this domain" (RFC 2782):
 * such a record is never used, and a domain whose records are all "." gets no default either
 * (`unusable`, not `none`): falling back to `<domain>:5222` would ignore what the domain said.
 */
export async function srvService(domain: string, resolve: ResolveSrv, signal: AbortSignal): Promise<SrvAnswer> {
  let answered = false;
  const offers: Offer[] = [];
  await Promise.all(
    SERVICES.map(async ({ label, scheme, rank }) => {
      const record = `${label}.${domain}`;
      const { records, failed } = await lookup(resolve, record, signal);
      // A failed lookup (timeout, server failure) counts as no records, as RFC 6120 §3.2.2 falls back then too.
      if (failed && !signal.aborted) log.warn('SRV lookup failed', { record, code: failed });
      if (records.length > 0) answered = true;
      for (const r of records) {
        if (r.name === '.' || r.name === '') continue;
        const service = serviceOf(scheme, r, domain);
        if (service) offers.push({ service, record, priority: r.priority, weight: r.weight, rank });
      }
    }),
  );
  if (!answered) return { kind: 'none' };
  const best = offers.sort((a, b) => a.priority - b.priority || a.rank - b.rank || b.weight - a.weight)[0];
  return best ? { kind: 'found', service: best.service, record: best.record } : { kind: 'unusable' };
}
