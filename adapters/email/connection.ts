/**
 * How an email account's settings become imapflow and nodemailer connection options: the one
 * place that decides TLS (certificates are always verified; `none` is plain TCP, rated red).
 */
import type { ImapFlowOptions } from 'imapflow';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { EmailSettings, ServerSettings } from './settings.ts';

/** Connection and socket deadlines: long enough for a slow server, short enough to notice a dead one. */
const CONNECT_MS = 20_000;
const SOCKET_MS = 5 * 60_000;

export function imapOptions(s: EmailSettings, password: string, extra: Partial<ImapFlowOptions> = {}): ImapFlowOptions {
  return {
    host: s.imap.host,
    port: s.imap.port,
    secure: s.imap.security === 'tls',
    // `starttls`: upgrade or fail, never log in over plain text; `none`: never try.
    doSTARTTLS: s.imap.security === 'starttls' ? true : s.imap.security === 'none' ? false : undefined,
    servername: s.imap.host,
    auth: { user: s.username, pass: password },
    logger: false,
    connectionTimeout: CONNECT_MS,
    greetingTimeout: CONNECT_MS,
    socketTimeout: SOCKET_MS,
    clientInfo: { name: 'Switchboard' },
    ...extra,
  };
}

export function smtpOptions(s: EmailSettings, password: string): SMTPTransport.Options {
  return {
    host: s.smtp.host,
    port: s.smtp.port,
    secure: s.smtp.security === 'tls',
    requireTLS: s.smtp.security === 'starttls',
    ignoreTLS: s.smtp.security === 'none',
    auth: { user: s.username, pass: password },
    connectionTimeout: CONNECT_MS,
    greetingTimeout: CONNECT_MS,
    socketTimeout: 60_000,
    name: 'switchboard.invalid',
    logger: false,
  };
}

/** True when both servers are reached over TLS. */
export function bothEncrypted(s: EmailSettings): boolean {
  const enc = (x: ServerSettings): boolean => x.security !== 'none';
  return enc(s.imap) && enc(s.smtp);
}
