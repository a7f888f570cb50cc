import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHost, type Host } from '../../core/host/server.ts';
import { LOCK_FILE } from '../../core/store/profile-lock.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let host: Host;
const staticDir = mkdtempSync(join(tmpdir(), 'switchboard-static-'));

beforeAll(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Switchboard</title>');
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  h = await makeHarness();
  host = await startHost({ core: h.core, staticDir });
});
afterAll(async () => {
  await host.close();
  await h.cleanup();
});

/** Opens the api socket the way a browser would; resolves with the HTTP status on refusal. */
function connect(opts: { token?: string; origin?: string; host?: string }): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const protocols = opts.token === undefined ? [] : [`switchboard.token.${opts.token}`];
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, protocols, {
      origin: opts.origin ?? `http://127.0.0.1:${host.port}`,
      headers: opts.host ? { host: opts.host } : {},
    });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => resolve({ status: -1 }));
  });
}

function call(ws: WebSocket, frame: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMsg = (d: Buffer) => {
      const f = JSON.parse(d.toString()) as Record<string, unknown>;
      if (f.kind === 'reply') {
        ws.off('message', onMsg);
        resolve(f);
      }
    };
    ws.on('message', onMsg);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('web mode host', () => {
  it('serves the renderer without the token, with a strict CSP', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Switchboard');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const js = await fetch(`http://127.0.0.1:${host.port}/assets/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });

  it('does not serve files outside the renderer', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(await res.text()).not.toContain('root:');
  });

  it('refuses an api connection without the token, with a wrong token, from a foreign Origin or Host', async () => {
    expect((await connect({})).status).toBe(401);
    expect((await connect({ token: 'x'.repeat(64) })).status).toBe(401);
    expect((await connect({ token: host.token, origin: 'http://evil.example' })).status).toBe(403);
    expect((await connect({ token: host.token, origin: 'null' })).status).toBe(403);
    expect((await connect({ token: host.token, host: `evil.example:${host.port}` })).status).toBe(403);
  });

  it('answers calls with the token, and bad frames with clear errors without closing', async () => {
    const { ws } = await connect({ token: host.token });
    expect(ws).toBeDefined();
    const ok = await call(ws!, { kind: 'call', id: 1, command: 'settings.get', params: {} });
    expect(ok).toMatchObject({ id: 1, ok: true, result: { padlockStyle: 'explain' } });
    const garbage = await call(ws!, 'not json');
    expect(garbage).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const unknown = await call(ws!, { kind: 'call', id: 2, command: 'db.drop', params: {} });
    expect(unknown).toMatchObject({ id: 2, ok: false, error: { code: 'bad-request', message: 'Unknown command: db.drop' } });
    const bad = await call(ws!, { kind: 'call', id: 3, command: 'messages.page', params: { conversationId: 5 } });
    expect(bad).toMatchObject({ id: 3, ok: false, error: { code: 'bad-request' } });
    const still = await call(ws!, { kind: 'call', id: 4, command: 'accounts.list', params: {} });
    expect(still).toMatchObject({ id: 4, ok: true, result: [] });
    ws!.close();
  });

  it('pushes events to connected clients', async () => {
    const { ws } = await connect({ token: host.token });
    const got = new Promise<Record<string, unknown>>((resolve) =>
      ws!.on('message', (d: Buffer) => {
        const f = JSON.parse(d.toString()) as Record<string, unknown>;
        if (f.kind === 'event') resolve(f);
      }),
    );
    await h.core.call('settings.set', { theme: 'dark' });
    expect(await got).toMatchObject({ event: { type: 'settings.changed', settings: { theme: 'dark' } } });
    ws!.close();
  });
});

describe('npm run web (the CLI)', () => {
  it('prints one line with a fresh token and serves on 127.0.0.1', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    const lines: string[] = [];
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'core/host/cli.ts', '--profile', profile, '--port', '0'], {
          cwd: join(import.meta.dirname, '..', '..'),
          env: { ...process.env, SWITCHBOARD_LOG: 'warn' },
        });
        let line = '';
        child.stdout.on('data', (d: Buffer) => {
          if (line) return;
          line = String(d).trim();
          lines.push(line);
          child.kill('SIGTERM');
        });
        // Resolve once it has exited (and released the profile), so the next run may open it.
        child.on('exit', (code) => (line ? resolve(line) : reject(new Error(`exited ${code}`))));
      });
    const first = await run();
    const second = await run();
    const re = /^Switchboard web mode: http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64})$/;
    expect(first).toMatch(re);
    expect(second).toMatch(re);
    expect(first.match(re)![2]).not.toBe(second.match(re)![2]);
  });

  it('refuses to open a profile another Switchboard has open, and frees it on a clean stop', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    const start = () =>
      spawn(process.execPath, ['--import', 'tsx', 'core/host/cli.ts', '--profile', profile, '--port', '0'], {
        cwd: join(import.meta.dirname, '..', '..'),
        env: { ...process.env, SWITCHBOARD_LOG: 'warn' },
      });
    const exited = (child: ReturnType<typeof start>) =>
      new Promise<number | null>((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.once('exit', (code) => ok(code))));
    const first = start();
    try {
      await new Promise<void>((ok, fail) => {
        first.stdout.once('data', () => ok());
        first.once('exit', (code) => fail(new Error(`the first web mode exited ${code}`)));
      });
      const second = start();
      let stderr = '';
      second.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      expect(await exited(second)).toBe(1);
      expect(stderr).toContain(
        `Switchboard web mode could not start: This profile is already open in another Switchboard (process ${first.pid}). ` +
          'Close it first, or use another profile with --profile.',
      );
      first.kill('SIGTERM');
      expect(await exited(first)).toBe(0);
      expect(existsSync(join(profile, LOCK_FILE))).toBe(false);
    } finally {
      first.kill('SIGKILL');
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
