import { describe, expect, it } from 'vitest';
import { addressParts, AutoconfigError, parseAutoconfig, type AddressParts } from './autoconfig-xml.ts';

const ADA = addressParts('ada.lovelace@example.org') as AddressParts;

function config(servers: string, prolog = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${prolog}
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <displayName>Example Mail</displayName>
    ${servers}
  </emailProvider>
</clientConfig>`;
}

const server = (dir: 'incoming' | 'outgoing', type: string, host: string, port: number | null, socket: string, extra = '') =>
  `<${dir}Server type="${type}"><hostname>${host}</hostname>${port === null ? '' : `<port>${port}</port>`}<socketType>${socket}</socketType>${extra}</${dir}Server>`;

describe('addressParts', () => {
  it('splits at the last @ and lower-cases the domain', () => {
    expect(addressParts('"a@b"@Example.ORG')).toEqual({ address: '"a@b"@Example.ORG', localPart: '"a@b"', domain: 'example.org' });
  });

  it('refuses what is not an address with a domain', () => {
    for (const bad of ['', 'ada', '@example.org', 'ada@', 'ada@localhost', 'ada@exa mple.org', 'ada@example.org/x', 'ada@-x.org']) {
      expect(addressParts(bad)).toBeNull();
    }
  });
});

describe('parseAutoconfig', () => {
  it('reads IMAP and SMTP with every placeholder filled in', () => {
    const xml = config(
      server('incoming', 'imap', 'imap.%EMAILDOMAIN%', 993, 'SSL', '<username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>') +
        server('outgoing', 'smtp', 'smtp.example.org', 587, 'STARTTLS', '<username>%EMAILADDRESS%</username>'),
    );
    expect(parseAutoconfig(xml, ADA)).toEqual({
      imap: { host: 'imap.example.org', port: 993, security: 'tls' },
      smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' },
      username: 'ada.lovelace',
    });
  });

  it('prefers TLS over STARTTLS over plain, whatever the order in the file', () => {
    const xml = config(
      server('incoming', 'imap', 'plain.example.org', 143, 'plain') +
        server('incoming', 'imap', 'starttls.example.org', 143, 'STARTTLS') +
        server('incoming', 'imap', 'tls.example.org', 993, 'SSL') +
        server('outgoing', 'smtp', 'plain.example.org', 25, 'plain') +
        server('outgoing', 'smtp', 'starttls.example.org', 587, 'STARTTLS'),
    );
    const s = parseAutoconfig(xml, ADA);
    expect(s?.imap.host).toBe('tls.example.org');
    expect(s?.smtp).toEqual({ host: 'starttls.example.org', port: 587, security: 'starttls' });
  });

  it('keeps a password login over an OAuth-only server, skips POP3, and defaults the port and user name', () => {
    const xml = config(
      server('incoming', 'pop3', 'pop.example.org', 995, 'SSL') +
        server('incoming', 'imap', 'oauth.example.org', 993, 'SSL', '<authentication>OAuth2</authentication>') +
        server('incoming', 'imap', 'imap.example.org', null, 'STARTTLS', '<authentication>OAuth2</authentication><authentication>password-cleartext</authentication>') +
        server('outgoing', 'smtp', 'smtp.example.org', null, 'SSL'),
    );
    expect(parseAutoconfig(xml, ADA)).toEqual({
      imap: { host: 'imap.example.org', port: 143, security: 'starttls' },
      smtp: { host: 'smtp.example.org', port: 465, security: 'tls' },
      username: 'ada.lovelace@example.org',
    });
  });

  it('has nothing without both an IMAP and an SMTP server, or with unusable ones', () => {
    expect(parseAutoconfig(config(server('incoming', 'imap', 'imap.example.org', 993, 'SSL')), ADA)).toBeNull();
    expect(parseAutoconfig(config(server('outgoing', 'smtp', 'smtp.example.org', 465, 'SSL')), ADA)).toBeNull();
    const bad =
      server('incoming', 'imap', 'imap.example.org/evil', 993, 'SSL') +
      server('incoming', 'imap', 'imap.example.org', 99_999, 'SSL') +
      server('incoming', 'imap', 'imap.example.org', 993, 'TLS1.3') +
      server('incoming', 'imap', '%REALNAME%.example.org', 993, 'SSL') +
      server('outgoing', 'smtp', 'smtp.example.org', 465, 'SSL');
    expect(parseAutoconfig(config(bad), ADA)).toBeNull();
    expect(parseAutoconfig('<clientConfig version="1.1"></clientConfig>', ADA)).toBeNull();
  });

  it('refuses broken XML and documents that are not autoconfig, saying why', () => {
    expect(() => parseAutoconfig('<clientConfig><emailProvider></clientConfig>', ADA)).toThrow(AutoconfigError);
    expect(() => parseAutoconfig('<html><body>Not found</body></html>', ADA)).toThrow(/no <clientConfig>/);
    expect(() => parseAutoconfig('', ADA)).toThrow(AutoconfigError);
  });

  it('expands no entities (a billion laughs stays small)', () => {
    const lol = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>`;
    const xml = config(server('incoming', 'imap', 'imap.example.org', 993, 'SSL', '<username>&lol2;</username>') + server('outgoing', 'smtp', 'smtp.example.org', 465, 'SSL'), lol);
    const s = parseAutoconfig(xml, ADA);
    expect(s?.username).not.toContain('lollol');
  });
});
