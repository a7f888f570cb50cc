/** XMPP test helpers: an account's config on the test Prosody, and a raw xmpp.js client as a peer. */
import { client as xmppClient, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { AccountConfig } from '../../adapters/contract.ts';
import { fixStreamManagementCount } from '../../adapters/xmpp/sm-count.ts';
import { tlsOptionsFor } from '../../adapters/xmpp/tls-trust.ts';
import type { TestProsody, XmppAccount } from '../servers/prosody.ts';

export function xmppAccountConfig(server: TestProsody, user: XmppAccount, id = `acct-${user.name}`): AccountConfig {
  return {
    id,
    protocol: 'xmpp',
    address: user.jid,
    displayName: user.name,
    settings: { service: `xmpp://${server.host}:${server.port}`, trustedCertificate: server.certificate, reconnectMs: 200 },
  };
}

/** Another user on the server, as a plain xmpp.js client: sends what a test says, records what it gets. */
export class XmppPeer {
  readonly client: Client;
  private readonly got: string[] = [];

  constructor(server: TestProsody, readonly user: XmppAccount, resource = 'peer', fix = true) {
    this.client = xmppClient({ service: `xmpp://${server.host}:${server.port}`, domain: server.domain, username: user.name, password: user.password, resource });
    tlsOptionsFor(this.client as never, { ca: [server.certificate], servername: server.domain });
    // The peer is an xmpp.js client too: without the fix its stream breaks the same way.
    if (fix) fixStreamManagementCount(this.client);
    this.client.reconnect.delay = 200;
    this.client.on('error', (e: Error) => this.errors.push(e.message));
    this.client.on('stanza', (s: Element) => {
      const body = s.is('message') ? s.getChildText('body') : null;
      if (body !== null) this.got.push(body);
    });
    this.client.on('online', () => void this.client.send(xml('presence')));
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  /** Sends a chat message; resolves once the server has it (or, while reconnecting, once sent). */
  async send(to: string, text: string, id = `peer-${Date.now()}-${Math.random().toString(36).slice(2)}`): Promise<void> {
    await this.online();
    await this.client.send(xml('message', { type: 'chat', to, id }, xml('body', {}, text)));
  }

  /** Sends any stanza, as a hostile client would. */
  async sendRaw(stanza: Element): Promise<void> {
    await this.online();
    await this.client.send(stanza);
  }

  received(): string[] {
    return [...this.got];
  }

  /** Errors the client reported (a stream error from the server, say). */
  readonly errors: string[] = [];

  private async online(): Promise<void> {
    const end = Date.now() + 15_000;
    while (this.client.status !== 'online') {
      if (Date.now() > end) throw new Error(`${this.user.name}'s client is not online`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.client.reconnect.stop();
    await this.client.stop().catch(() => undefined);
  }
}
