/**
 * The email settings form's model: what the user edits (strings, as typed) and the settings
 * `accounts.add` takes (see adapters/email/settings.ts, which checks them again in core).
 */

export type Security = 'tls' | 'starttls' | 'none';

export interface ServerDraft {
  host: string;
  /** As typed; checked on submit. */
  port: string;
  security: Security;
}

export interface EmailDraft {
  imap: ServerDraft;
  smtp: ServerDraft;
  username: string;
}

export const SECURITY_LABEL: Record<Security, string> = {
  tls: 'TLS',
  starttls: 'STARTTLS',
  none: 'None (not encrypted)',
};

/** The usual port for each server and security, filled in when the user changes the security. */
export const USUAL_PORT: Record<'imap' | 'smtp', Record<Security, number>> = {
  imap: { tls: 993, starttls: 143, none: 143 },
  smtp: { tls: 465, starttls: 587, none: 587 },
};

/** The domain of an address, or null when it does not look like one. */
export function domainOf(address: string): string | null {
  const match = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/.exec(address.trim());
  return match?.[1]?.toLowerCase() ?? null;
}

/** What most providers use, as a starting point when nothing was found (empty without a domain). */
export function guessDraft(address: string): EmailDraft {
  const domain = domainOf(address);
  return {
    imap: { host: domain ? `imap.${domain}` : '', port: '993', security: 'tls' },
    smtp: { host: domain ? `smtp.${domain}` : '', port: '465', security: 'tls' },
    username: address.trim(),
  };
}

function serverFrom(raw: unknown): ServerDraft | null {
  if (!raw || typeof raw !== 'object') return null;
  const s = raw as Record<string, unknown>;
  if (typeof s.host !== 'string' || typeof s.port !== 'number') return null;
  if (s.security !== 'tls' && s.security !== 'starttls' && s.security !== 'none') return null;
  return { host: s.host, port: String(s.port), security: s.security };
}

/** Found or stored settings as a draft; null when they do not have the expected shape. */
export function draftFrom(settings: Record<string, unknown>, address: string): EmailDraft | null {
  const imap = serverFrom(settings.imap);
  const smtp = serverFrom(settings.smtp);
  if (!imap || !smtp) return null;
  return { imap, smtp, username: typeof settings.username === 'string' ? settings.username : address.trim() };
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** What is wrong with a server's fields, in words, or null. */
function serverProblem(label: string, s: ServerDraft): string | null {
  if (!HOST.test(s.host.trim())) return `Enter the ${label} server's name (for example mail.example.org).`;
  const port = Number(s.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return `The ${label} port is a number from 1 to 65535.`;
  return null;
}

/** The first problem with the draft, or null when it can be sent. */
export function draftProblem(d: EmailDraft): string | null {
  return serverProblem('incoming (IMAP)', d.imap) ?? serverProblem('outgoing (SMTP)', d.smtp) ?? (d.username.trim() ? null : 'Enter your user name.');
}

/** The settings `accounts.add` takes, merged over what the account already has (sync window…). */
export function settingsFrom(d: EmailDraft, base: Record<string, unknown> = {}): Record<string, unknown> {
  const server = (s: ServerDraft) => ({ host: s.host.trim(), port: Number(s.port), security: s.security });
  return { ...base, imap: server(d.imap), smtp: server(d.smtp), username: d.username.trim() };
}
