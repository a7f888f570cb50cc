import { describe, expect, it } from 'vitest';
import { describeProbeFailure, type ProbeTarget } from './probe-errors.ts';

const imap: ProbeTarget = { role: 'imap', server: { host: 'imap.example.org', port: 993, security: 'tls' }, username: 'ada@example.org' };
const smtp: ProbeTarget = { role: 'smtp', server: { host: 'smtp.example.org', port: 587, security: 'starttls' }, username: 'ada@example.org' };

const err = (message: string, props: Record<string, unknown> = {}) => Object.assign(new Error(message), props);

describe('describeProbeFailure', () => {
  it('a refused login names the server and the user', () => {
    expect(describeProbeFailure(err('Command failed', { authenticationFailed: true }), imap).message).toBe(
      'The mail server imap.example.org rejected the password for ada@example.org.',
    );
    const e = describeProbeFailure(err('Invalid login: 535 5.7.8 Error: authentication failed', { code: 'EAUTH' }), smtp);
    expect(e.message).toBe('The outgoing mail server smtp.example.org rejected the password for ada@example.org.');
    expect(e.code).toBe('invalid');
  });

  it('an invalid certificate is a refusal to send the password', () => {
    const e = describeProbeFailure(err('certificate has expired', { code: 'CERT_HAS_EXPIRED' }), imap);
    expect(e.message).toBe('The certificate of imap.example.org is not valid (certificate has expired), so Switchboard will not send the password to it.');
    expect(describeProbeFailure(err("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), smtp).message).toMatch(
      /^The certificate of smtp.example.org is not valid/,
    );
  });

  it('a failed STARTTLS upgrade on SMTP reads like the IMAP one', () => {
    expect(describeProbeFailure(err('Error upgrading connection with STARTTLS', { code: 'ETLS' }), smtp).message).toBe(
      'smtp.example.org on port 587 does not offer STARTTLS, so Switchboard will not send the password over plain text. Try the security setting "TLS" (usually port 465).',
    );
  });

  it('network failures are "unavailable", nodemailer\'s wrapped codes included', () => {
    const refused = describeProbeFailure(err('connect ECONNREFUSED 10.0.0.1:587', { code: 'ESOCKET' }), smtp);
    expect(refused).toMatchObject({ code: 'unavailable', message: 'Could not reach smtp.example.org on port 587: connection refused.' });
    expect(describeProbeFailure(err('getaddrinfo ENOTFOUND imap.example.org', { code: 'ENOTFOUND' }), imap).message).toBe(
      'Could not find the server imap.example.org. Check its name, and that this computer is online.',
    );
    expect(describeProbeFailure(err('Greeting never received', { code: 'GREETING_TIMEOUT' }), imap).message).toMatch(/did not answer in time/);
    expect(describeProbeFailure(err('Connection closed unexpectedly', { code: 'ECONNECTION' }), smtp).message).toMatch(/closed the connection/);
    expect(describeProbeFailure('weird', imap).message).toBe('Checking imap.example.org on port 993 failed: weird');
  });
});
