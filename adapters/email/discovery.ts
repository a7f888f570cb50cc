/**
 * Finding an email address's server settings, the way Thunderbird does, in this order of trust:
 *
 * 1. the provider's own file at `https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=…`
 * 2. the same at `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`
 * 3. RFC 6186 / RFC 8314 SRV records (`_submissions`, `_submission`, `_imaps`, `_imap`)
 * 4. for a hosted domain, the file published by the domain of its MX host
 *
 * Every lookup starts at once (the slowest sets the pace, not their sum); the answer is the first
 * source in that order that gave settings. HTTPS only: Thunderbird also tries plain http for the
 * autoconfig host, which anyone on the network path could answer, so we do not. Mozilla's central
 * ISPDB is not asked either: it would tell a third party which domain the user is setting up.
 */
import type { DiscoveredSettings } from '../contract.ts';
import { addressParts, parseAutoconfig } from './autoconfig-xml.ts';
import { fetchConfig, type FetchLike } from './discovery-fetch.ts';
import { mxDomains, srvSettings, systemResolveMx, systemResolveSrv, type ResolveMx, type ResolveSrv } from './discovery-dns.ts';

export interface DiscoveryOptions {
  /** Default: the global fetch. */
  fetch?: FetchLike | undefined;
  /** Default: the system's DNS. */
  resolveSrv?: ResolveSrv | undefined;
  resolveMx?: ResolveMx | undefined;
  /** The origin for a host's URLs; default `https://<host>` (tests point it at a local server). */
  originFor?: ((host: string) => string) | undefined;
  /** Each request's deadline. */
  timeoutMs?: number | undefined;
  /** Largest config file read. */
  maxBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 8_000;
/** Real config files are a few kilobytes; a megabyte is not a config file. */
const DEFAULT_MAX_BYTES = 128 * 1024;

type Lookup = () => Promise<DiscoveredSettings | null>;

/** Settings for `address`, or null when no source had any (then the user enters them). */
export async function discoverEmailSettings(address: string, opts: DiscoveryOptions = {}): Promise<DiscoveredSettings | null> {
  const parts = addressParts(address.trim());
  if (!parts) return null;
  // One controller for every lookup: once an answer is chosen the slower ones stop.
  const done = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, done.signal]) : done.signal;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const origin = opts.originFor ?? ((host: string) => `https://${host}`);
  const limits = { fetch: opts.fetch ?? ((url: string, init: RequestInit) => fetch(url, init)), timeoutMs, maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES, signal };
  const resolveSrv = opts.resolveSrv ?? systemResolveSrv(timeoutMs);
  const resolveMx = opts.resolveMx ?? systemResolveMx(timeoutMs);

  const fromFile = (url: string, source: string): Lookup => async () => {
    const settings = parseAutoconfig(await fetchConfig(url, limits), parts);
    return settings ? { settings: { ...settings }, source } : null;
  };
  const { domain } = parts;
  const lookups: Lookup[] = [
    fromFile(`${origin(`autoconfig.${domain}`)}/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(parts.address)}`, `autoconfig.${domain}`),
    fromFile(`${origin(domain)}/.well-known/autoconfig/mail/config-v1.1.xml`, `${domain}/.well-known/autoconfig`),
    async () => {
      const servers = await srvSettings(domain, resolveSrv, signal);
      return servers ? { settings: { ...servers, username: parts.address }, source: `the DNS records (SRV) of ${domain}` } : null;
    },
    async () => {
      for (const host of await mxDomains(domain, resolveMx, signal)) {
        const url = `${origin(`autoconfig.${host}`)}/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(parts.address)}`;
        const found = await quietly(fromFile(url, `autoconfig.${host} (it handles mail for ${domain})`));
        if (found) return found;
      }
      return null;
    },
  ];
  const running = lookups.map((lookup) => quietly(lookup));
  try {
    for (const result of running) {
      const found = await result;
      if (found) return found;
      if (opts.signal?.aborted) return null;
    }
    return null;
  } finally {
    done.abort();
  }
}

/**
 * A source that fails (404, timeout, broken file, a resolver that throws) simply has nothing and
 * the next one is asked. Swallowing everything also means a lookup still running when an earlier
 * source answered can never surface as an unhandled rejection.
 */
async function quietly(lookup: Lookup): Promise<DiscoveredSettings | null> {
  try {
    return await lookup();
  } catch {
    return null;
  }
}
