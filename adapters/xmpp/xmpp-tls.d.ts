/** The one internal module of @xmpp/tls that tls-trust.ts wraps; it has no published types. */
declare module '@xmpp/tls/lib/Socket.js' {
  /** The TLS socket xmpp.js makes for direct TLS and for the STARTTLS upgrade. */
  export default class Socket {
    connect(options: import('node:tls').ConnectionOptions & { socket?: object }): void;
  }
}
