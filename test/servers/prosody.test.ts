/**
 * The Prosody test server: starts on ephemeral ports with registered users, a client logs in over
 * STARTTLS and direct TLS trusting only this server's certificate, an untrusting client is refused,
 * a restart keeps the users, and stop leaves no process behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '@xmpp/client';
import { existsSync } from 'node:fs';
import { tlsOptionsFor } from '../../adapters/xmpp/tls-trust.ts';
import { startProsody, type TestProsody } from './prosody.ts';

let p: TestProsody;
beforeAll(async () => {
  p = await startProsody({ users: [{ name: 'alice', password: 'alice-pw' }] });
}, 30_000);
afterAll(async () => {
  await p?.stop();
});

async function login(service: string, trust: boolean, password = 'alice-pw'): Promise<string> {
  const c = client({ service, domain: p.domain, username: 'alice', password, resource: 'test' });
  c.on('error', () => undefined);
  if (trust) tlsOptionsFor(c as never, { ca: [p.certificate], servername: p.domain });
  try {
    await c.start();
    return c.jid?.toString() ?? '';
  } finally {
    await c.stop().catch(() => undefined);
  }
}

describe('test Prosody', () => {
  it('lets a registered user in over STARTTLS and direct TLS when the client trusts its certificate', async () => {
    expect(await login(`xmpp://${p.host}:${p.port}`, true)).toBe('alice@xmpp.test/test');
    expect(await login(`xmpps://${p.host}:${p.tlsPort}`, true)).toBe('alice@xmpp.test/test');
  });

  it('is refused by a client that does not trust the certificate, and refuses a wrong password', async () => {
    await expect(login(`xmpp://${p.host}:${p.port}`, false)).rejects.toThrow(/self-signed certificate/);
    await expect(login(`xmpp://${p.host}:${p.port}`, true, 'wrong')).rejects.toThrow(/not-authorized/);
  });

  it('adds users, restarts on the same ports keeping them, and stops completely', async () => {
    await p.addUser({ name: 'bob', password: 'bob-pw' });
    const before = p.pid();
    await p.restart();
    expect(p.pid()).not.toBe(before);
    expect(await login(`xmpp://${p.host}:${p.port}`, true)).toBe('alice@xmpp.test/test');
    const dir = p.dir;
    const pid = p.pid()!;
    await p.stop();
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
