import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../api/commands.ts';
import { isCommandName } from '../api/command-names.ts';
import { API_PATH, TOKEN_PROTOCOL_PREFIX, type ReplyFrame, type ServerFrame } from '../api/wire.ts';
import type { Core } from '../index.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { isMailViewRequest, serveMailView } from './mail-view.ts';
import { serveStatic, webCsp } from './static.ts';

const log = createLogger('host');

/** Largest api frame a browser may send. */
const MAX_FRAME_BYTES = 1024 * 1024;

export interface HostOptions {
  core: Core;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Tests may fix the token; otherwise a fresh random secret per start. */
  token?: string;
}

export interface Host {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Web mode: serves the built renderer and the api over WebSocket on 127.0.0.1 only. Static files
 * load without the token; the api needs it (as a WebSocket subprotocol, so it never sits in a URL)
 * and refuses any Origin or Host other than this host's, which stops other sites and DNS rebinding.
 */
export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const root = resolve(opts.staticDir);
  let port = 0;
  const server: Server = createServer((req, res) => {
    if (!hostAllowed(req, port)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('Wrong host.');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (isMailViewRequest(req.url)) {
      serveMailView(req, res, opts.core, token, port);
      return;
    }
    if ((req.url ?? '/').startsWith(API_PATH)) {
      res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8' }).end('The api speaks WebSocket.');
      return;
    }
    serveStatic(root, req.url ?? '/', res, webCsp(port)).catch((e: unknown) => {
      log.error('static file failed', { error: errorText(e) });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX)) ?? false,
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, why: string): void => {
      log.warn('api connection refused', { why, origin: req.headers.origin ?? null });
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if ((req.url ?? '').split('?')[0] !== API_PATH) return refuse(403, 'path');
    if (!hostAllowed(req, port)) return refuse(403, 'host');
    if (!originAllowed(req.headers.origin, port)) return refuse(403, 'origin');
    if (!tokenOffered(req.headers['sec-websocket-protocol'], token)) return refuse(401, 'token');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, opts.core));
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

function hostAllowed(req: IncomingMessage, port: number): boolean {
  const h = req.headers.host;
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

function tokenOffered(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(TOKEN_PROTOCOL_PREFIX + token);
  return header.split(',').some((p) => {
    const got = Buffer.from(p.trim());
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

function serveSocket(ws: WebSocket, core: Core): void {
  const send = (frame: ServerFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = core.onEvent((event) => send({ kind: 'event', event }));
  ws.on('close', unsubscribe);
  ws.on('error', (e) => log.warn('api socket error', { error: errorText(e) }));
  ws.on('message', (data, isBinary) => {
    void handleFrame(isBinary ? null : rawText(data), core).then((reply) => send(reply));
  });
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** One call frame → one reply frame. A malformed frame gets a clear error, never a crash. */
export async function handleFrame(text: string | null, core: Core): Promise<ReplyFrame> {
  let frame: unknown;
  try {
    frame = text === null ? null : JSON.parse(text);
  } catch {
    frame = null;
  }
  const f = frame as { kind?: unknown; id?: unknown; command?: unknown; params?: unknown } | null;
  const id = typeof f?.id === 'number' && Number.isSafeInteger(f.id) ? f.id : -1;
  if (!f || f.kind !== 'call' || id < 0) {
    return { kind: 'reply', id, ok: false, error: { code: 'bad-request', message: 'Expected a JSON call frame {kind:"call", id, command, params}.' } };
  }
  if (!isCommandName(f.command)) {
    return { kind: 'reply', id, ok: false, error: { code: 'bad-request', message: `Unknown command: ${String(f.command).slice(0, 80)}` } };
  }
  try {
    return { kind: 'reply', id, ok: true, result: await core.call(f.command, f.params) };
  } catch (e) {
    const code = e instanceof ApiError ? e.code : 'internal';
    return { kind: 'reply', id, ok: false, error: { code, message: errorText(e) } };
  }
}
