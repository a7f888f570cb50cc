/**
 * An email account's settings as stored by core (`accounts.add` … `settings`); the password is a
 * secret (`AdapterServices.secrets.password`), never a setting.
 */
import { z } from 'zod';

/** How to reach one server. `tls`: TLS from the start; `starttls`: upgrade, refused if the server cannot; `none`: plain TCP. */
export interface ServerSettings {
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
}

export interface EmailSettings {
  imap: ServerSettings;
  smtp: ServerSettings;
  /** The login name on both servers (most servers: the address). */
  username: string;
  /** How many days back the first sync reaches. */
  syncDays: number;
  /**
   * Whose mail enters the inbox: `accepted`, only people the user has written to or accepted (the
   * rest waits in requests, like Delta Chat's "show classic e-mails: accepted contacts"); `all`.
   */
  showMailFrom: 'accepted' | 'all';
  /** Reconnect backoff (tests shorten it). */
  backoffMs: { first: number; max: number };
  /** IDLE is ended and re-issued after this long (servers drop IDLE at 29 minutes, RFC 2177). */
  idleRestartMs: number;
}

export const DEFAULT_SYNC_DAYS = 90;

const server = z.strictObject({
  host: z.string().trim().min(1).max(253).regex(/^[^\s/:@]+$/, 'a host name has no spaces, slashes, colons or @'),
  port: z.number().int().min(1).max(65_535),
  security: z.enum(['tls', 'starttls', 'none']),
});

const schema = z.object({
  imap: server,
  smtp: server,
  username: z.string().min(1).max(320).optional(),
  syncDays: z.number().int().min(1).max(3650).optional(),
  showMailFrom: z.enum(['accepted', 'all']).optional(),
  backoffMs: z.strictObject({ first: z.number().int().min(10), max: z.number().int().min(10) }).optional(),
  idleRestartMs: z.number().int().min(1_000).max(28 * 60_000).optional(),
});

/** Reads and checks the settings; bad ones are a clear error naming the field. */
export function emailSettings(raw: Record<string, unknown>, address: string): EmailSettings {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'settings';
    throw new Error(`The email account's ${where} setting is not valid: ${issue?.message ?? 'unknown problem'}.`);
  }
  const s = parsed.data;
  return {
    imap: s.imap,
    smtp: s.smtp,
    username: s.username ?? address,
    syncDays: s.syncDays ?? DEFAULT_SYNC_DAYS,
    showMailFrom: s.showMailFrom ?? 'accepted',
    backoffMs: s.backoffMs ?? { first: 1_000, max: 5 * 60_000 },
    idleRestartMs: s.idleRestartMs ?? 10 * 60_000,
  };
}
