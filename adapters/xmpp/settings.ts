/** An XMPP account's settings as stored by core (`accounts.add` … `settings`). */
export interface XmppSettings {
  /** Where to connect: `xmpp://host:port` (STARTTLS) or `xmpps://host:port` (direct TLS). Default: the JID's domain, port 5222. */
  service: string;
  /**
   * A certificate (PEM) to trust for this account only: a self-hosted server's self-signed one (or
   * the test server's). The server must still present a certificate for the JID's domain.
   */
  trustedCertificate: string | null;
  /** Reconnect backoff, ms (tests shorten it). */
  reconnectMs: number;
}

const SERVICE = /^xmpps?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** Reads and checks the settings; a bad value is a clear error when the account starts. */
export function xmppSettings(raw: Record<string, unknown>, domain: string): XmppSettings {
  const service = raw.service ?? `xmpp://${domain}:5222`;
  if (typeof service !== 'string' || !SERVICE.test(service)) {
    const shown = typeof service === 'string' ? service.slice(0, 80) : typeof service;
    throw new Error(`"${shown}" is not a server address (it should look like xmpp://chat.example.org:5222 or xmpps://chat.example.org:5223).`);
  }
  const cert = raw.trustedCertificate;
  if (cert !== undefined && cert !== null && (typeof cert !== 'string' || !cert.includes('-----BEGIN CERTIFICATE-----'))) {
    throw new Error('The trusted certificate must be a PEM certificate (-----BEGIN CERTIFICATE-----).');
  }
  const reconnect = raw.reconnectMs;
  return {
    service,
    trustedCertificate: typeof cert === 'string' ? cert : null,
    reconnectMs: typeof reconnect === 'number' && reconnect >= 50 ? reconnect : 3_000,
  };
}

/** Splits `user@domain` (a bare JID); throws a clear error for anything else. */
export function parseAccountJid(address: string): { local: string; domain: string } {
  const m = /^([^@/\s]{1,1023})@([A-Za-z0-9.-]{1,1023})$/.exec(address.trim());
  if (!m) throw new Error(`"${address.slice(0, 80)}" is not an XMPP address (it should look like ada@chat.example.org).`);
  return { local: m[1]!, domain: m[2]!.toLowerCase() };
}
