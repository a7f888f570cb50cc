/**
 * Matrix test helpers: logging a test user in (the secrets an account keeps), an account's config
 * on the test Synapse, and a peer: a plain matrix-js-sdk client with Rust crypto in memory that
 * joins what it is invited to and records the texts it receives, decrypted.
 */
import {
  ClientEvent,
  createClient,
  EventType,
  MsgType,
  Preset,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import type { AccountConfig } from '../../adapters/contract.ts';
import { quietCryptoTracing } from '../../adapters/matrix/sdk.ts';
import type { MatrixAccount, TestSynapse } from '../servers/synapse.ts';

export interface MatrixLogin {
  accessToken: string;
  deviceId: string;
}

/** Logs a user in with the password, as `accounts.add` does through the setup (a new device). */
export async function loginMatrix(server: TestSynapse, user: MatrixAccount, deviceName = 'test'): Promise<MatrixLogin> {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, initial_device_display_name: deviceName }),
  });
  if (!res.ok) throw new Error(`login of ${user.userId} failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; device_id: string };
  return { accessToken: body.access_token, deviceId: body.device_id };
}

export function matrixAccountConfig(server: TestSynapse, user: MatrixAccount, id = `acct-${user.name}`): AccountConfig {
  return { id, protocol: 'matrix', address: user.userId, displayName: user.name, settings: { homeserver: server.baseUrl } };
}

/** A raw client-server API call with a token (what a test does behind the adapter's back). */
export async function matrixApi<T = unknown>(server: TestSynapse, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const quiet = (): void => undefined;
const silent: Logger = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet, getChild: () => silent };

/** Another user with their own client: joins invitations, records texts it receives (decrypted). */
export class MatrixPeer {
  client!: MatrixClient;
  private readonly got: { roomId: string; text: string; id: string; sender: string }[] = [];

  constructor(
    readonly server: TestSynapse,
    readonly user: MatrixAccount,
  ) {}

  async start(): Promise<void> {
    const login = await loginMatrix(this.server, this.user, 'peer');
    this.client = createClient({ baseUrl: this.server.baseUrl, userId: this.user.userId, deviceId: login.deviceId, accessToken: login.accessToken, logger: silent });
    // initRustCrypto turns the crypto's (process-wide) tracing on at debug level: keep it at warnings.
    quietCryptoTracing();
    await this.client.initRustCrypto({ useIndexedDB: false });
    this.client.on(RoomEvent.MyMembership, (room, membership) => {
      if (membership === 'invite') void this.client.joinRoom(room.roomId).catch(() => undefined);
    });
    this.client.on(RoomEvent.Timeline, (ev: MatrixEvent, room, _start, removed) => {
      if (removed || !room || ev.status !== null) return;
      void this.client.decryptEventIfNeeded(ev).then(() => {
        if (ev.getType() !== (EventType.RoomMessage as string) || ev.getSender() === this.user.userId) return;
        const body: unknown = ev.getContent()['body'];
        if (typeof body === 'string' && !this.got.some((g) => g.id === ev.getId())) this.got.push({ roomId: room.roomId, text: body, id: ev.getId()!, sender: ev.getSender()! });
      });
    });
    const ready = new Promise<void>((resolve) => {
      const on = (state: SyncState): void => {
        if (state === SyncState.Prepared) {
          this.client.off(ClientEvent.Sync, on);
          resolve();
        }
      };
      this.client.on(ClientEvent.Sync, on);
    });
    await this.client.startClient({ lazyLoadMembers: true, initialSyncLimit: 10 });
    await ready;
  }

  received(roomId?: string): string[] {
    return this.got.filter((g) => roomId === undefined || g.roomId === roomId).map((g) => g.text);
  }

  /** Makes an encrypted direct room with `userId` invited, recorded in this peer's `m.direct`. */
  async createDirect(userId: string): Promise<string> {
    const { room_id } = await this.client.createRoom({
      preset: Preset.TrustedPrivateChat,
      is_direct: true,
      invite: [userId],
      initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await this.client.setAccountData(EventType.Direct, { [userId]: [room_id] });
    return room_id;
  }

  /**
   * Waits until this peer's crypto knows that device of `userId`: a message encrypted before then
   * would not carry its key to it (any Matrix client has this race right after someone's new login).
   */
  async knowsDevice(userId: string, deviceId: string): Promise<void> {
    const crypto = this.client.getCrypto()!;
    const end = Date.now() + 30_000;
    while (!(await crypto.getUserDeviceInfo([userId], true)).get(userId)?.has(deviceId)) {
      if (Date.now() > end) throw new Error(`${this.user.name} never learnt of ${userId}'s device ${deviceId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async send(roomId: string, text: string): Promise<string> {
    await waitFor(() => this.client.getRoom(roomId)?.getMyMembership() === 'join', `${this.user.name} in ${roomId}`);
    const res = await this.client.sendEvent(roomId, EventType.RoomMessage, { msgtype: MsgType.Text, body: text });
    return res.event_id;
  }

  async stop(): Promise<void> {
    this.client.stopClient();
  }
}

/** Joins a room for `user` behind the adapter's back and records it as direct with `peer` (as Element would). */
export async function joinAsDirect(server: TestSynapse, token: string, roomId: string, peer: string): Promise<void> {
  await matrixApi(server, token, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
  const whoami = await matrixApi<{ user_id: string }>(server, token, 'GET', '/account/whoami');
  await matrixApi(server, token, 'PUT', `/user/${encodeURIComponent(whoami.user_id)}/account_data/m.direct`, { [peer]: [roomId] });
}

export async function waitFor(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
