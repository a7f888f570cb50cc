/**
 * What went wrong while checking an email login, in words for the person setting it up. imapflow
 * and nodemailer report failures as codes from three layers (their own, Node's sockets and DNS,
 * OpenSSL); each becomes one sentence that says what happened and, where it helps, what to try.
 */
import { AdapterActionError } from '../contract.ts';
import type { ServerSettings } from './settings.ts';

/** Which server a failure is about, and who was logging in. */
export interface ProbeTarget {
  role: 'imap' | 'smtp';
  server: ServerSettings;
  username: string;
}

interface Failure {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  responseCode?: unknown;
}

const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;
const NOT_TLS = /wrong version number|WRONG_VERSION_NUMBER|packet length too long|unknown protocol|EPROTO/i;
const TIMEOUTS = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'SOCKET_TIMEOUT']);
const NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EDNS']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNECTION', 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS']);

/**
 * nodemailer files socket failures under its own codes (ESOCKET, ECONNECTION) and keeps Node's
 * code only in the message ("connect ECONNREFUSED 127.0.0.1:25"): take Node's, which says more.
 */
function socketCode(code: string, message: string): string {
  if (code !== 'ESOCKET' && code !== 'ECONNECTION' && code !== 'EDNS') return code;
  return /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/.exec(message)?.[1] ?? code;
}

function serverName(t: ProbeTarget): string {
  return t.role === 'imap' ? `The mail server ${t.server.host}` : `The outgoing mail server ${t.server.host}`;
}

function where(t: ProbeTarget): string {
  return `${t.server.host} on port ${t.server.port}`;
}

/** A thrown value from imapflow or nodemailer as the error the user reads. */
export function describeProbeFailure(e: unknown, t: ProbeTarget): AdapterActionError {
  const f: Failure = e && typeof e === 'object' ? e : {};
  const message = typeof f.message === 'string' ? f.message : String(e);
  const code = socketCode(typeof f.code === 'string' ? f.code : '', message);
  const invalid = (text: string) => new AdapterActionError('invalid', text);
  const unavailable = (text: string) => new AdapterActionError('unavailable', text);

  if (f.authenticationFailed === true || code === 'EAUTH') {
    return invalid(`${serverName(t)} rejected the password for ${t.username}.`);
  }
  if (f.tlsFailed === true || (t.server.security === 'starttls' && code === 'ETLS' && !CERTIFICATE.test(message))) {
    return invalid(`${where(t)} does not offer STARTTLS, so Switchboard will not send the password over plain text. Try the security setting "TLS" (usually port ${t.role === 'imap' ? 993 : 465}).`);
  }
  if (CERTIFICATE.test(code) || CERTIFICATE.test(message)) {
    return invalid(`The certificate of ${t.server.host} is not valid (${message}), so Switchboard will not send the password to it.`);
  }
  if (t.server.security === 'tls' && (NOT_TLS.test(code) || NOT_TLS.test(message))) {
    return invalid(`${where(t)} does not speak TLS. Try the security setting "STARTTLS", or port ${t.role === 'imap' ? 993 : 465} for TLS.`);
  }
  if (code === 'ECONNREFUSED') return unavailable(`Could not reach ${where(t)}: connection refused.`);
  if (NOT_FOUND.has(code)) return unavailable(`Could not find the server ${t.server.host}. Check its name, and that this computer is online.`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return unavailable(`Could not reach ${where(t)}: no route to it from this computer.`);
  if (TIMEOUTS.has(code)) {
    return unavailable(`Could not reach ${where(t)}: it did not answer in time. Check the server name, port and security setting.`);
  }
  if (CLOSED.has(code)) {
    return unavailable(`${where(t)} closed the connection before the login finished. Check the port and security setting.`);
  }
  return unavailable(`Checking ${where(t)} failed: ${message.slice(0, 300)}`);
}
