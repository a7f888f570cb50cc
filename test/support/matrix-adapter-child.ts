/**
 * A child process running one Matrix adapter on a profile folder's SQLite state (as core would),
 * for test/integration/matrix-e2ee.test.ts, which stops it cleanly or SIGKILLs it.
 *
 * Usage: node --import tsx test/support/matrix-adapter-child.ts <profileDir> <base64 JSON { account, secrets }>
 * Prints one JSON line per adapter event (`message`, `message-body`, `status`, `error`). Does not
 * acknowledge messages (`messagesStored`), so a restart's replay shows whether old ones still decrypt.
 * Reads JSON commands on stdin: `{ "cmd": "send", "conversation": …, "text": …, "clientId": … }`
 * (prints `{"type":"sent",…}`), `{ "cmd": "stop" }` (disconnects, exits 0).
 */
import { createInterface } from 'node:readline';
import type { AccountConfig, AdapterEvent, RemoteConversationRef } from '../../adapters/contract.ts';
import { createMatrixAdapter } from '../../adapters/matrix/adapter.ts';
import { adapterStateStore } from '../../core/store/adapter-state.ts';
import { openDatabase } from '../../core/store/open.ts';

interface Setup {
  account: AccountConfig;
  secrets: Record<string, string>;
}

type Command = { cmd: 'send'; conversation: RemoteConversationRef; text: string; clientId: string } | { cmd: 'stop' };

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function main(): Promise<void> {
  const [dir, encoded] = process.argv.slice(2);
  if (!dir || !encoded) throw new Error('usage: matrix-adapter-child.ts <profileDir> <base64 setup>');
  const { account, secrets } = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Setup;
  const db = openDatabase(dir);
  db.prepare(
    `INSERT OR IGNORE INTO accounts (id, protocol, kind, address, display_name, settings, created_at)
     VALUES (?, 'matrix', 'matrix', ?, ?, ?, 0)`,
  ).run(account.id, account.address, account.displayName, JSON.stringify(account.settings));
  const adapter = createMatrixAdapter(account, { state: adapterStateStore(db, account.id), secrets });
  const report = (e: AdapterEvent): void => print(e);
  for (const type of ['message', 'message-body', 'status', 'error'] as const) adapter.on(type, report);
  const abort = new AbortController();
  await adapter.connect(abort.signal);
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line) as Command;
    if (c.cmd === 'stop') {
      await adapter.disconnect();
      db.close();
      process.exit(0);
    }
    adapter.send({ clientId: c.clientId, accountId: account.id, conversation: c.conversation, text: c.text }).then(
      (r) => print({ type: 'sent', clientId: c.clientId, remoteId: r.remoteId }),
      (e: unknown) => print({ type: 'send-failed', clientId: c.clientId, error: (e as Error).message }),
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`child failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
