/**
 * End-to-end encryption across restarts, against a real Synapse. Ada's adapter runs in a child
 * process on a SQLite profile (so it can be SIGKILLed); Bob's runs here. They talk in an encrypted
 * direct room that Ada's first message creates; Synapse's database holds only ciphertext. Ada is
 * restarted cleanly and after SIGKILL: the same device (same identity keys at the server, no new
 * device), old messages decrypt again from the replayed sync, new ones decrypt, and a new device
 * of Bob's (a new Olm session to Ada's device) is understood both ways.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, AdapterEvent } from '../../adapters/contract.ts';
import { createMatrixAdapter } from '../../adapters/matrix/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startSynapse, type MatrixAccount, type TestSynapse } from '../servers/synapse.ts';
import { loginMatrix, matrixAccountConfig, matrixApi, MatrixPeer, waitFor, type MatrixLogin } from '../support/matrix-accounts.ts';

const ROOT = join(import.meta.dirname, '..', '..');

type Line = AdapterEvent | { type: 'sent'; clientId: string; remoteId: string } | { type: 'send-failed'; clientId: string; error: string };

/** Ada's adapter in a child process, and what it printed. */
class AdaProcess {
  readonly lines: Line[] = [];
  private child: ChildProcessWithoutNullStreams | null = null;
  private stderr = '';

  constructor(
    private readonly profile: string,
    private readonly setup: string,
  ) {}

  async start(): Promise<void> {
    this.lines.length = 0;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/matrix-adapter-child.ts', this.profile, this.setup], {
      cwd: ROOT,
      env: { ...process.env, SWITCHBOARD_LOG: 'warn' },
    });
    this.child = child;
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += String(d);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) this.lines.push(JSON.parse(line) as Line);
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + String(d)).slice(-4000)));
    await waitFor(() => this.lines.some((l) => l.type === 'status' && l.status === 'online'), `Ada online (stderr: ${this.stderr})`, 60_000);
  }

  texts(): string[] {
    return this.lines.flatMap((l) => (l.type === 'message' ? [l.text] : []));
  }

  send(conversation: unknown, text: string, clientId: string): void {
    this.child?.stdin.write(`${JSON.stringify({ cmd: 'send', conversation, text, clientId })}\n`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin.write(`${JSON.stringify({ cmd: 'stop' })}\n`);
    await exited;
    this.child = null;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}

/** The ed25519 key the server publishes for a device (what a changed identity would change). */
async function deviceKey(server: TestSynapse, token: string, userId: string, deviceId: string): Promise<string | undefined> {
  const res = await matrixApi<{ device_keys: Record<string, Record<string, { keys: Record<string, string> }>> }>(server, token, 'POST', '/keys/query', {
    device_keys: { [userId]: [] },
  });
  return res.device_keys[userId]?.[deviceId]?.keys[`ed25519:${deviceId}`];
}

describe('Matrix end-to-end encryption across restarts (real Synapse)', () => {
  let server: TestSynapse;
  let ada: MatrixAccount;
  let bob: MatrixAccount;
  let adaLogin: MatrixLogin;
  let bobLogin: MatrixLogin;
  let profile: string;
  let adaProcess: AdaProcess;
  let bobAdapter: Adapter;
  const bobEvents: AdapterEvent[] = [];
  const abort = new AbortController();
  let roomId = '';
  let adaKey: string | undefined;
  let adaDevices: string[] = [];
  const toBob = () => ({ kind: 'direct' as const, peer: { address: bob.userId } });
  const toAda = () => ({ kind: 'direct' as const, peer: { address: ada.userId } });
  const bobTexts = () => bobEvents.flatMap((e) => (e.type === 'message' ? [e.text] : []));
  let n = 0;
  const clientId = () => `01JE2EE${String(++n).padStart(6, '0')}${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startSynapse({ users: [{ name: 'ada', password: 'ada-pw-e2ee' }, { name: 'bob', password: 'bob-pw-e2ee' }] });
    [ada, bob] = server.users as [MatrixAccount, MatrixAccount];
    adaLogin = await loginMatrix(server, ada, 'Switchboard');
    bobLogin = await loginMatrix(server, bob, 'Switchboard');
    adaDevices = await devicesOf(server, adaLogin.accessToken);
    profile = mkdtempSync(join(tmpdir(), 'sb-mx-e2ee-'));
    const setup = Buffer.from(JSON.stringify({ account: matrixAccountConfig(server, ada), secrets: adaLogin })).toString('base64');
    adaProcess = new AdaProcess(profile, setup);
    await adaProcess.start();
    bobAdapter = createMatrixAdapter(matrixAccountConfig(server, bob), { state: new MemoryStorage(), secrets: { ...bobLogin } });
    for (const type of ['message', 'message-body', 'status'] as const) bobAdapter.on(type, (e) => bobEvents.push(e));
    await bobAdapter.connect(abort.signal);
    await waitFor(() => bobEvents.some((e) => e.type === 'status' && e.status === 'online'), 'Bob online');
  }, 120_000);

  afterAll(async () => {
    abort.abort();
    await bobAdapter?.disconnect();
    await adaProcess?.kill();
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('a first message makes an encrypted direct room; Bob accepts the request and both read each other', async () => {
    adaProcess.send(toBob(), 'secret one', clientId());
    await waitFor(() => adaProcess.lines.some((l) => l.type === 'sent'), 'Ada’s send');
    // Bob sees an invitation as a message request first.
    await waitFor(() => bobEvents.some((e) => e.type === 'message' && e.request === true), 'the request at Bob');
    const request = bobEvents.find((e) => e.type === 'message' && e.request === true);
    expect(request).toMatchObject({ conversation: { kind: 'direct', peer: { address: ada.userId } }, sender: { address: ada.userId } });
    bobAdapter.peerAccepted?.(toAda());
    await waitFor(() => bobTexts().includes('secret one'), 'Bob to decrypt secret one');
    const got = bobEvents.find((e) => e.type === 'message' && e.text === 'secret one');
    expect(got).toMatchObject({ facts: { endToEnd: 'all', forwardSecrecy: true } });
    roomId = got?.type === 'message' && got.conversation.kind === 'direct' ? ((await roomOf(server, bobLogin.accessToken, ada.userId)) ?? '') : '';
    expect(roomId).toMatch(/^!/);

    await bobAdapter.send({ clientId: clientId(), accountId: bobAdapter.accountId, conversation: toAda(), text: 'secret two' });
    await waitFor(() => adaProcess.texts().includes('secret two'), 'Ada to decrypt secret two');
    adaKey = await deviceKey(server, bobLogin.accessToken, ada.userId, adaLogin.deviceId);
    expect(adaKey).toBeTypeOf('string');
  }, 60_000);

  it('the homeserver holds only ciphertext for them', () => {
    const db = new Database(join(server.dir, 'homeserver.db'), { readonly: true, fileMustExist: true });
    try {
      const types = db.prepare("SELECT type, count(*) AS n FROM events WHERE room_id = ? AND type IN ('m.room.message', 'm.room.encrypted') GROUP BY type").all(roomId) as {
        type: string;
        n: number;
      }[];
      expect(types).toEqual([{ type: 'm.room.encrypted', n: 2 }]);
    } finally {
      db.close();
    }
    // Nowhere in the database files, not even in the write-ahead log, is the text readable.
    for (const file of ['homeserver.db', 'homeserver.db-wal']) {
      const path = join(server.dir, file);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      expect(bytes.includes('secret one'), file).toBe(false);
      expect(bytes.includes('secret two'), file).toBe(false);
    }
  });

  it('a clean restart keeps the device: old messages decrypt again, new ones decrypt', async () => {
    await adaProcess.stop();
    await bobAdapter.send({ clientId: clientId(), accountId: bobAdapter.accountId, conversation: toAda(), text: 'secret three' });
    await adaProcess.start();
    await waitFor(() => adaProcess.texts().includes('secret three'), 'Ada to decrypt secret three after a restart');
    // The replayed sync brings the old message again (the child does not acknowledge): still readable.
    await waitFor(() => adaProcess.texts().includes('secret two'), 'the old message, decrypted, after a restart');
    expect(adaProcess.texts().some((t) => t.startsWith('Waiting for this message'))).toBe(false);
    expect(await deviceKey(server, bobLogin.accessToken, ada.userId, adaLogin.deviceId)).toBe(adaKey);
  }, 90_000);

  it('after SIGKILL: same device, old and new messages decrypt, and a new device of Bob’s is understood both ways', async () => {
    await adaProcess.kill();
    await bobAdapter.send({ clientId: clientId(), accountId: bobAdapter.accountId, conversation: toAda(), text: 'secret four' });
    await adaProcess.start();
    await waitFor(() => adaProcess.texts().includes('secret four'), 'Ada to decrypt secret four after SIGKILL');
    await waitFor(() => adaProcess.texts().includes('secret two') && adaProcess.texts().includes('secret three'), 'old messages after SIGKILL');
    expect(adaProcess.texts().some((t) => t.startsWith('Waiting for this message'))).toBe(false);
    expect(await deviceKey(server, bobLogin.accessToken, ada.userId, adaLogin.deviceId)).toBe(adaKey);
    // No new device per launch: the same ones as before Switchboard first started.
    expect(await devicesOf(server, adaLogin.accessToken)).toEqual(adaDevices);
    expect(adaDevices).toContain(adaLogin.deviceId);

    // Bob on a second device: its room key reaches Ada's device over a new Olm session.
    const bobPhone = new MatrixPeer(server, bob);
    await bobPhone.start();
    try {
      await bobPhone.send(roomId, 'secret five, from a new device');
      await waitFor(() => adaProcess.texts().includes('secret five, from a new device'), 'Ada to decrypt a new device’s message');
      adaProcess.send(toBob(), 'secret six', clientId());
      await waitFor(() => bobPhone.received(roomId).includes('secret six'), 'Bob’s new device to decrypt Ada’s reply');
    } finally {
      await bobPhone.stop();
    }
  }, 120_000);

  it('a long time away: everything missed is fetched, not just the newest events a sync brings', async () => {
    await adaProcess.stop();
    const missed = Array.from({ length: 120 }, (_, i) => `missed ${i + 1}`);
    for (const text of missed) await bobAdapter.send({ clientId: clientId(), accountId: bobAdapter.accountId, conversation: toAda(), text });
    await adaProcess.start();
    await waitFor(() => missed.every((t) => adaProcess.texts().includes(t)), 'every missed message at Ada', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}: got ${missed.filter((t) => adaProcess.texts().includes(t)).length} of ${missed.length}`);
    });
    // They are news, not history: they count as unread.
    const reported = adaProcess.lines.filter((l) => l.type === 'message' && missed.includes(l.text));
    expect(reported.every((l) => l.type === 'message' && !l.historical)).toBe(true);
  }, 120_000);
});

/** The direct room Bob's account has with Ada, from his `m.direct`. */
async function roomOf(server: TestSynapse, token: string, peer: string): Promise<string | undefined> {
  const me = await matrixApi<{ user_id: string }>(server, token, 'GET', '/account/whoami');
  const direct = await matrixApi<Record<string, string[]>>(server, token, 'GET', `/user/${encodeURIComponent(me.user_id)}/account_data/m.direct`);
  return direct[peer]?.[0];
}

async function devicesOf(server: TestSynapse, token: string): Promise<string[]> {
  const res = await matrixApi<{ devices: { device_id: string }[] }>(server, token, 'GET', '/devices');
  return res.devices.map((d) => d.device_id).sort();
}
