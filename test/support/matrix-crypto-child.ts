/**
 * A child process for test/integration/matrix-crypto-store.test.ts: opens the Matrix Rust crypto
 * (the real wasm OlmMachine) for @ada:test / DEV1 on a profile folder's SQLite state through the
 * journaled fake-indexeddb, creates one more Megolm room key, prints
 * `READY {"identity":..,"before":[..],"after":[..]}` and then waits to be SIGKILLed.
 *
 * Usage: node --import tsx test/support/matrix-crypto-child.ts <profileDir> <roomNumber> [--loop | --plain]
 * `--loop` then keeps creating room keys, printing `KEY <sessionId>` once each is stored, until killed.
 * `--plain` uses an unjournaled fake-indexeddb: only for checking by hand that the test then fails.
 */
import { IDBFactory } from 'fake-indexeddb';
import {
  DeviceId,
  EncryptionSettings,
  initAsync,
  type InboundGroupSession,
  OlmMachine,
  RoomId,
  StoreHandle,
  UserId,
} from '@matrix-org/matrix-sdk-crypto-wasm';
import { openJournaledIndexedDB, withGlobalIndexedDB } from '../../adapters/matrix/idb-journal.ts';
import { adapterStateStore } from '../../core/store/adapter-state.ts';
import { openDatabase } from '../../core/store/open.ts';

const ACCOUNT = 'acct-matrix-ada';

/** What the child reports: its identity keys and the room key sessions before and after it made one. */
export interface ChildReport {
  identity: { curve25519: string; ed25519: string };
  before: string[];
  after: string[];
}

async function sessionIds(machine: OlmMachine, room?: string): Promise<string[]> {
  const predicate = (s: InboundGroupSession) => room === undefined || s.roomId.toString() === room;
  const exported = JSON.parse(await machine.exportRoomKeys(predicate)) as { session_id: string }[];
  return exported.map((k) => k.session_id).sort();
}

async function main(): Promise<void> {
  const [dir, room, flag] = process.argv.slice(2);
  if (!dir || !room) throw new Error('usage: matrix-crypto-child.ts <profileDir> <roomNumber> [--plain]');
  const db = openDatabase(dir);
  db.prepare(
    `INSERT OR IGNORE INTO accounts (id, protocol, kind, address, display_name, settings, created_at)
     VALUES (?, 'matrix', 'matrix', '@ada:test', 'Ada', '{}', 0)`,
  ).run(ACCOUNT);
  const factory = flag === '--plain' ? new IDBFactory() : await openJournaledIndexedDB(adapterStateStore(db, ACCOUNT));

  await initAsync();
  const machine = await withGlobalIndexedDB(factory, async () => {
    const store = await StoreHandle.open('matrix-js-sdk');
    return (await OlmMachine.initFromStore(new UserId('@ada:test'), new DeviceId('DEV1'), store)) as OlmMachine;
  });
  const keys = machine.identityKeys;
  const identity = { curve25519: keys.curve25519.toBase64(), ed25519: keys.ed25519.toBase64() };
  const before = await sessionIds(machine);

  // While the global points at an unrelated factory: the store must keep writing to its own database.
  const decoy = new IDBFactory();
  await withGlobalIndexedDB(decoy, () => machine.shareRoomKey(new RoomId(`!room${room}:test`), [], new EncryptionSettings()) as Promise<unknown>);
  const after = await sessionIds(machine);

  const report: ChildReport = { identity, before, after };
  process.stdout.write(`READY ${JSON.stringify(report)}\n`);
  if (flag === '--loop') {
    for (let i = 0; ; i++) {
      const id = `!loop${room}-${i}:test`;
      await machine.shareRoomKey(new RoomId(id), [], new EncryptionSettings());
      for (const session of await sessionIds(machine, id)) process.stdout.write(`KEY ${session}\n`);
    }
  }
  // Stay alive (holding the profile) until the parent kills us.
  setInterval(() => undefined, 60_000);
}

main().catch((e: unknown) => {
  process.stderr.write(`matrix-crypto-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
