/**
 * Reads a Thunderbird autoconfig file (config-v1.1.xml, the format of Mozilla's ISPDB and of
 * providers' `autoconfig.<domain>`) into email settings. Only IMAP and SMTP servers count (POP3
 * and Exchange are not spoken here); among several, TLS from the start beats STARTTLS beats plain,
 * a password login beats OAuth-only, and otherwise the file's own order stands.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ServerSettings } from './settings.ts';

/** What discovery proposes: the shape `emailSettings` reads. */
export interface ProposedSettings {
  imap: ServerSettings;
  smtp: ServerSettings;
  username: string;
}

/** An address split for the placeholders. */
export interface AddressParts {
  address: string;
  localPart: string;
  domain: string;
}

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name that is safe to put in settings and a URL (letters, digits, hyphens, dots). */
export function isHostName(host: string): boolean {
  return HOST.test(host);
}

/** Splits `ada@example.org`; null when it is not an address with a plausible domain. */
export function addressParts(address: string): AddressParts | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const domain = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (!isHostName(domain) || !domain.includes('.')) return null;
  return { address, localPart: address.slice(0, at), domain };
}

const SOCKET: Record<string, ServerSettings['security']> = { SSL: 'tls', STARTTLS: 'starttls', plain: 'none' };
const SECURITY_RANK: Record<ServerSettings['security'], number> = { tls: 0, starttls: 1, none: 2 };
const DEFAULT_PORT: Record<'imap' | 'smtp', Record<ServerSettings['security'], number>> = {
  imap: { tls: 993, starttls: 143, none: 143 },
  smtp: { tls: 465, starttls: 587, none: 587 },
};
/** Thunderbird's names for a login with the account's password (plain text inside TLS, or CRAM-MD5). */
const PASSWORD_AUTH = new Set(['password-cleartext', 'plain', 'password-encrypted', 'secure']);

interface Candidate {
  server: ServerSettings;
  username: string;
  password: boolean;
  order: number;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Strings stay strings ("0993" is not a number to be guessed at); no entity expansion at all,
  // so a hostile file cannot blow up into gigabytes.
  parseTagValue: false,
  processEntities: false,
  maxNestedTags: 20,
  isArray: (name) => ['emailProvider', 'incomingServer', 'outgoingServer', 'authentication'].includes(name),
});

/** Thrown for a file that is not a readable autoconfig document. */
export class AutoconfigError extends Error {
  override readonly name = 'AutoconfigError';
}

function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object' && '#text' in v) return text(v['#text']);
  return '';
}

function fill(template: string, a: AddressParts): string {
  return template.replaceAll('%EMAILADDRESS%', a.address).replaceAll('%EMAILLOCALPART%', a.localPart).replaceAll('%EMAILDOMAIN%', a.domain);
}

function candidate(raw: unknown, kind: 'imap' | 'smtp', order: number, a: AddressParts): Candidate | null {
  if (!raw || typeof raw !== 'object') return null;
  const s = raw as Record<string, unknown>;
  if (text(s['@_type']).toLowerCase() !== kind) return null;
  const host = fill(text(s.hostname), a).toLowerCase();
  const security = SOCKET[text(s.socketType)];
  if (!isHostName(host) || !security) return null;
  const portText = text(s.port);
  const port = portText === '' ? DEFAULT_PORT[kind][security] : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  const auths = (Array.isArray(s.authentication) ? s.authentication : []).map((x) => text(x));
  const username = fill(text(s.username), a) || a.address;
  if (username.includes('%') || username.length > 320) return null;
  return { server: { host, port, security }, username, password: auths.length === 0 || auths.some((x) => PASSWORD_AUTH.has(x)), order };
}

function best(list: Candidate[]): Candidate | null {
  const sorted = [...list].sort(
    (x, y) => Number(y.password) - Number(x.password) || SECURITY_RANK[x.server.security] - SECURITY_RANK[y.server.security] || x.order - y.order,
  );
  return sorted[0] ?? null;
}

/**
 * The settings a config file gives for this address, or null when it has no usable IMAP and SMTP
 * server. Throws `AutoconfigError` for a file that is not well-formed autoconfig XML.
 */
export function parseAutoconfig(xml: string, a: AddressParts): ProposedSettings | null {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new AutoconfigError(`not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (e) {
    throw new AutoconfigError(`unreadable XML (${e instanceof Error ? e.message : String(e)})`);
  }
  const config = (doc as { clientConfig?: unknown } | null)?.clientConfig;
  if (!config || typeof config !== 'object') throw new AutoconfigError('not an autoconfig file (no <clientConfig>)');
  const providers = (config as { emailProvider?: unknown }).emailProvider;
  const imap: Candidate[] = [];
  const smtp: Candidate[] = [];
  for (const p of Array.isArray(providers) ? (providers as Record<string, unknown>[]) : []) {
    const incoming = Array.isArray(p.incomingServer) ? (p.incomingServer as unknown[]) : [];
    const outgoing = Array.isArray(p.outgoingServer) ? (p.outgoingServer as unknown[]) : [];
    incoming.forEach((s, i) => pushIf(imap, candidate(s, 'imap', i, a)));
    outgoing.forEach((s, i) => pushIf(smtp, candidate(s, 'smtp', i, a)));
  }
  const i = best(imap);
  const o = best(smtp);
  if (!i || !o) return null;
  // One login name for both servers (EmailSettings has one): the IMAP one, which is what people read mail with.
  return { imap: i.server, smtp: o.server, username: i.username };
}

function pushIf<T>(list: T[], item: T | null): void {
  if (item) list.push(item);
}
