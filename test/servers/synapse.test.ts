/**
 * The Synapse test server: starts on an ephemeral port with two registered users who log in over
 * the client-server API, share a room and a message, a wrong password is refused, a restart keeps
 * users, room and history, and stop leaves no process, folder or listening port behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { listening } from './mail-process.ts';
import { startSynapse, type MatrixAccount, type TestSynapse } from './synapse.ts';

let s: TestSynapse;
beforeAll(async () => {
  s = await startSynapse({
    users: [
      { name: 'alice', password: 'alice-pw' },
      { name: 'bob', password: 'bob-pw' },
    ],
  });
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, token?: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const r = await fetch(`${s.baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** Calls and insists on 200, putting Synapse's answer and log in the failure message. */
async function ok(method: string, path: string, token?: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await call(method, path, token, body);
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}\n${s.log()}`);
  return r.body;
}

function login(name: string, password: string): Promise<Reply> {
  return call('POST', '/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: name }, password });
}

async function token(user: MatrixAccount): Promise<string> {
  const r = await login(user.name, user.password);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body['user_id']).toBe(user.userId);
  return r.body['access_token'] as string;
}

interface RoomEvent {
  type: string;
  sender: string;
  event_id: string;
  content: { body?: string };
}

async function messages(accessToken: string, roomId: string): Promise<RoomEvent[]> {
  const body = await ok('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, accessToken);
  return (body['chunk'] as RoomEvent[]).filter((e) => e.type === 'm.room.message');
}

let roomId = '';
let eventId = '';

describe('test Synapse', () => {
  it('registers the users on its server name', () => {
    expect(s.serverName).toBe('synapse.test');
    expect(s.baseUrl).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.users.map((u) => u.userId)).toEqual(['@alice:synapse.test', '@bob:synapse.test']);
  });

  it('lets two users log in, share a room, and read each other’s message', async () => {
    const [alice, bob] = s.users as [MatrixAccount, MatrixAccount];
    const aliceToken = await token(alice);
    const bobToken = await token(bob);

    roomId = (await ok('POST', '/createRoom', aliceToken, { preset: 'private_chat', name: 'test room' }))['room_id'] as string;
    expect(roomId).toMatch(/^!.+/);
    await ok('POST', `/rooms/${encodeURIComponent(roomId)}/invite`, aliceToken, { user_id: bob.userId });
    await ok('POST', `/rooms/${encodeURIComponent(roomId)}/join`, bobToken, {});

    const sent = await ok('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-1`, bobToken, {
      msgtype: 'm.text',
      body: 'hello from bob',
    });
    eventId = sent['event_id'] as string;

    const seen = (await messages(aliceToken, roomId)).find((e) => e.event_id === eventId);
    expect(seen?.sender).toBe(bob.userId);
    expect(seen?.content.body).toBe('hello from bob');
  });

  it('refuses a wrong password with 403', async () => {
    const r = await login('alice', 'wrong');
    expect(r.status).toBe(403);
    expect(r.body['errcode']).toBe('M_FORBIDDEN');
  });

  it('restarts on the same port keeping users, room and history, and stops completely', async () => {
    const [alice] = s.users as [MatrixAccount, MatrixAccount];
    const carol = await s.registerUser({ name: 'carol', password: 'carol-pw' });
    expect(carol.userId).toBe('@carol:synapse.test');
    const before = s.pid();
    await s.restart();
    expect(s.pid()).not.toBe(before);

    const aliceToken = await token(alice);
    await token(carol);
    const joined = await ok('GET', '/joined_rooms', aliceToken);
    expect(joined['joined_rooms']).toContain(roomId);
    expect((await messages(aliceToken, roomId)).map((e) => e.event_id)).toContain(eventId);

    const { dir, port } = s;
    const pid = s.pid()!;
    await s.stop();
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await listening(port)).toBe(false);
  }, 60_000);
});
