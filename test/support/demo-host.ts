/**
 * A web-mode host backed by the TEST DOUBLE adapters, for looking at the UI with data in it:
 * `npx tsx test/support/demo-host.ts [--profile DIR] [--empty] [--port N]`. Not a product entry point.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCore } from '../../core/create-core.ts';
import { startHost } from '../../core/host/server.ts';
import { addTestAccounts, seedDemo } from './seed.ts';
import { TestNetwork } from './test-adapter.ts';

const { values } = parseArgs({
  options: { profile: { type: 'string' }, empty: { type: 'boolean', default: false }, port: { type: 'string', default: '0' } },
});
const profileDir = values.profile ?? mkdtempSync(join(tmpdir(), 'switchboard-demo-'));
const net = new TestNetwork();
const core = createCore({ profileDir, registry: net.registry() });
await core.start();
if (!values.empty && (await core.call('accounts.list', {})).length === 0) {
  const accounts = await addTestAccounts(core);
  await seedDemo(core, net, accounts);
}
const host = await startHost({ core, port: Number(values.port), staticDir: join(import.meta.dirname, '..', '..', 'dist', 'renderer') });
process.stdout.write(`Switchboard web mode: ${host.url}\n`);
const stop = (): void => void host.close().then(() => core.close()).finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
