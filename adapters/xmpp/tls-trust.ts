/**
 * Per-account TLS options for xmpp.js: the name the certificate must carry (the XMPP domain, also
 * when connecting to another host found by SRV or set by hand), and trusting one account's own
 * server certificate (a self-hosted server's self-signed one, or the test server's) for that
 * account's connections only — never "accept any certificate".
 *
 * xmpp.js opens TLS in two places (direct TLS, and the STARTTLS upgrade) and passes nothing but the
 * host name to `tls.connect`, so there is no option for extra trust. Every TLS socket it makes is
 * an `@xmpp/tls` Socket whose `connect(options)` calls `tls.connect(options)`: that one method is
 * wrapped (once, for the process) to add the TLS options registered for the socket being connected
 * (direct TLS) or for the plain socket being upgraded (STARTTLS). Sockets of other clients have no
 * entry and connect exactly as before, verified against the system's roots.
 */
import type { ConnectionOptions } from 'node:tls';
import TlsSocket from '@xmpp/tls/lib/Socket.js';

const extra = new WeakMap<object, ConnectionOptions>();
let installed = false;

type Connect = (this: TlsSocket, options: ConnectionOptions & { socket?: object }) => void;

function install(): void {
  if (installed) return;
  installed = true;
  const proto: { connect: Connect } = TlsSocket.prototype;
  const original: Connect = proto.connect;
  proto.connect = function connect(options) {
    const own = extra.get(this) ?? (options.socket ? extra.get(options.socket) : undefined);
    original.call(this, own ? { ...options, ...own } : options);
  };
}

/** Registers TLS options for every socket `entity` attaches from now on (their TLS connects get them). */
export function tlsOptionsFor(entity: { _attachSocket(socket: object): void }, options: ConnectionOptions): void {
  install();
  const attach = entity._attachSocket.bind(entity);
  entity._attachSocket = (socket: object) => {
    extra.set(socket, options);
    attach(socket);
  };
}
