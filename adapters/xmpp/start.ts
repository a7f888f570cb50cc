/**
 * Starting an xmpp.js client without `client.start()`: when the connection fails while the
 * stream is being opened (a reset, a TLS port spoken to in plain XML), start() leaves its inner
 * wait for 'online' rejected with nobody listening, and an unhandled rejection ends a Node process.
 * Here every failure rejects the one promise returned.
 */
import type { Client } from '@xmpp/client';

export function startClient(c: Client, service: string, domain: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown): void => {
      c.removeListener('online', onOnline);
      c.removeListener('error', onError);
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'the connection failed'));
    };
    const onOnline = (): void => done();
    const onError = (e: unknown): void => done(e ?? new Error('the connection failed'));
    c.on('online', onOnline);
    c.on('error', onError);
    c.connect(service)
      .then(() => c.open({ domain }))
      .catch(onError);
  });
}

/**
 * Drops a client's connection at once, without a polite close: after a failure there is nothing to
 * log out of, and xmpp.js's stop() can wait for ever on a server that does not answer.
 */
export function dropSocket(c: Client): void {
  // A TCP socket (net.Socket), or @xmpp/tls's wrapper around a TLSSocket.
  const socket = c.socket as unknown as { destroy?: () => void; socket?: { destroy(): void } | null } | null;
  if (socket?.socket) socket.socket.destroy();
  else socket?.destroy?.();
}
