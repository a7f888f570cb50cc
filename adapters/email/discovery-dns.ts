/**
 * Email settings from DNS: RFC 6186 SRV records (with RFC 8314's `_submissions`), and the MX host,
 * whose domain may publish an autoconfig file for the domains it hosts.
 */
import { Resolver } from 'node:dns/promises';
import { isHostName } from './autoconfig-xml.ts';
import type { ServerSettings } from './settings.ts';

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

export type ResolveSrv = (name: string, signal: AbortSignal) => Promise<SrvRecord[]>;
export type ResolveMx = (domain: string, signal: AbortSignal) => Promise<MxRecord[]>;

/** A lookup through the system's DNS servers, cancelled with the signal. No records: an empty list. */
function withResolver<T>(timeoutMs: number, signal: AbortSignal, run: (r: Resolver) => Promise<T[]>): Promise<T[]> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  const cancel = () => resolver.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  return run(resolver)
    .catch(() => [] as T[])
    .finally(() => signal.removeEventListener('abort', cancel));
}

export function systemResolveSrv(timeoutMs: number): ResolveSrv {
  return (name, signal) => withResolver(timeoutMs, signal, (r) => r.resolveSrv(name));
}

export function systemResolveMx(timeoutMs: number): ResolveMx {
  return (domain, signal) => withResolver(timeoutMs, signal, (r) => r.resolveMx(domain));
}

interface Offer {
  server: ServerSettings;
  priority: number;
  weight: number;
}

/** The services, implicit TLS first (RFC 8314 prefers it when priorities tie). */
const SERVICES = {
  imap: [
    { label: '_imaps._tcp', security: 'tls' },
    { label: '_imap._tcp', security: 'starttls' },
  ],
  smtp: [
    { label: '_submissions._tcp', security: 'tls' },
    { label: '_submission._tcp', security: 'starttls' },
  ],
} as const;

const SECURITY_RANK: Record<ServerSettings['security'], number> = { tls: 0, starttls: 1, none: 2 };

/**
 * The preferred server for IMAP or submission from SRV records, or null. A "." target says the
 * service is not offered (RFC 2782); the lowest priority wins, then implicit TLS, then the highest
 * weight. `_imap`/`_submission` mean STARTTLS: SRV never leads to a plain-text login.
 */
async function srvServer(kind: 'imap' | 'smtp', domain: string, resolve: ResolveSrv, signal: AbortSignal): Promise<ServerSettings | null> {
  const lists = await Promise.all(
    SERVICES[kind].map(async (service) => {
      const records = await resolve(`${service.label}.${domain}`, signal).catch(() => []);
      return records.flatMap((r): Offer[] => {
        const host = r.name.replace(/\.$/, '').toLowerCase();
        if (host === '' || !isHostName(host) || !Number.isInteger(r.port) || r.port < 1 || r.port > 65_535) return [];
        return [{ server: { host, port: r.port, security: service.security }, priority: r.priority, weight: r.weight }];
      });
    }),
  );
  const offers = lists.flat().sort(
    (a, b) => a.priority - b.priority || SECURITY_RANK[a.server.security] - SECURITY_RANK[b.server.security] || b.weight - a.weight,
  );
  return offers[0]?.server ?? null;
}

/** IMAP and submission servers from SRV records, or null unless both are offered. */
export async function srvSettings(domain: string, resolve: ResolveSrv, signal: AbortSignal): Promise<{ imap: ServerSettings; smtp: ServerSettings } | null> {
  const [imap, smtp] = await Promise.all([srvServer('imap', domain, resolve, signal), srvServer('smtp', domain, resolve, signal)]);
  return imap && smtp ? { imap, smtp } : null;
}

/**
 * The domains to ask for an autoconfig file on behalf of a hosted domain: the preferred MX host's
 * parent domain (mx1.mail.host.net → mail.host.net), then its last two labels (host.net). Without
 * the public suffix list this misses providers under a two-label suffix (example.co.uk) only when
 * the MX host has no parent beyond it; the first candidate covers the common case.
 */
export async function mxDomains(domain: string, resolve: ResolveMx, signal: AbortSignal): Promise<string[]> {
  const records = await resolve(domain, signal).catch(() => []);
  const exchange = [...records]
    .filter((r) => isHostName(r.exchange.replace(/\.$/, '')))
    .sort((a, b) => a.priority - b.priority)[0]
    ?.exchange.replace(/\.$/, '')
    .toLowerCase();
  if (!exchange) return [];
  const labels = exchange.split('.');
  const out: string[] = [];
  if (labels.length >= 3) out.push(labels.slice(1).join('.'));
  if (labels.length >= 2) out.push(labels.slice(-2).join('.'));
  // The user's own domain was asked already; an MX inside it adds nothing.
  return [...new Set(out)].filter((d) => d !== domain && d.includes('.'));
}
