import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RelayLimits } from './limits.ts';
import type { RelayLogger } from './log.ts';
import { RelaySession, waitingFrame, type SubscriptionRegistry } from './session.ts';
import type { RelayStorage } from './storage.ts';
import { PROTOCOL_VERSION } from './wire.ts';

/** What it takes to run a relay. */
export interface RelayServerOptions {
  host: string;
  port: number;
  storage: RelayStorage;
  limits: RelayLimits;
  log: RelayLogger;
  now?: () => number;
}

/** A listening relay. `close` stops accepting, closes every connection and the storage. */
export interface RunningRelay {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 30_000;

/**
 * In-process subscriptions: a deposit wakes every connection subscribed to its mailbox. Each
 * subscribed mailbox keeps its `waiting` frame ready, encoded once for all its subscribers.
 */
function createRegistry(): SubscriptionRegistry {
  const byMailbox = new Map<string, { sessions: Set<RelaySession>; frame: Buffer }>();
  return {
    add(mailbox, session) {
      let entry = byMailbox.get(mailbox);
      if (!entry) byMailbox.set(mailbox, (entry = { sessions: new Set(), frame: waitingFrame(mailbox) }));
      entry.sessions.add(session);
    },
    remove(mailbox, session) {
      const entry = byMailbox.get(mailbox);
      if (!entry) return;
      entry.sessions.delete(session);
      if (entry.sessions.size === 0) byMailbox.delete(mailbox);
    },
    notify(mailbox) {
      const entry = byMailbox.get(mailbox);
      if (entry) for (const s of entry.sessions) s.wake(mailbox, entry.frame);
    },
  };
}

function health(req: IncomingMessage, res: ServerResponse): void {
  const ok = req.method === 'GET' && (req.url === '/health' || req.url?.startsWith('/health?'));
  const body = ok ? { ok: true, protocol: PROTOCOL_VERSION } : { ok: false, error: 'not found' };
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts the HTTP (health) + WebSocket relay on host:port (port 0 picks a free one). */
export async function startRelayServer(opts: RelayServerOptions): Promise<RunningRelay> {
  const { storage, limits, log } = opts;
  const now = opts.now ?? Date.now;
  const http = createServer(health);
  // maxPayload is the hard cap: anything bigger is never buffered (ws closes with 1009).
  // Frames between maxFrameBytes and this get a `bad-frame` reply and the connection stays.
  const wss = new WebSocketServer({ server: http, maxPayload: limits.hardFrameBytes });
  const registry = createRegistry();
  const alive = new WeakMap<WebSocket, boolean>();

  wss.on('connection', (ws, req) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    // req.socket is the TCP connection ws writes to (the one the upgrade came on).
    new RelaySession(ws, { storage, limits, registry, log, now }, req.socket);
  });
  wss.on('error', (e) => log.error('websocket server error', { error: e.message }));

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const purge = setInterval(() => {
    storage.purgeExpired(now()).then(
      (n) => n > 0 && log.info('purged expired messages', { count: n }),
      (e: unknown) => log.error('purge failed', { error: e instanceof Error ? e.message : String(e) }),
    );
  }, limits.purgeIntervalMs);
  purge.unref();
  await storage.purgeExpired(now());

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  return {
    host: opts.host,
    port,
    url: `ws://${hostInUrl}:${port}`,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        clearInterval(purge);
        for (const ws of wss.clients) ws.close(1001, 'relay shutting down');
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await storage.close();
      })();
      return closing;
    },
  };
}
