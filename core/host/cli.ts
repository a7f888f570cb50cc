/**
 * `npm run web -- [--profile DIR] [--port N]`: the web mode. Prints one line with the address and
 * the access token (in the URL fragment, so it never reaches a server log).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultRegistry } from '../../adapters/registry.ts';
import { createCore } from '../create-core.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { defaultProfileDir } from './profile-dir.ts';
import { startHost } from './server.ts';

const log = createLogger('web');
const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { profile: { type: 'string' }, port: { type: 'string', default: '0' } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, not ${values.port}`);
  const profileDir = resolve(values.profile ?? defaultProfileDir());
  const core = createCore({ profileDir, registry: defaultRegistry() });
  await core.start();
  const host = await startHost({ core, port, staticDir: join(here, '..', '..', 'dist', 'renderer') });
  process.stdout.write(`Switchboard web mode: ${host.url}\n`);
  log.info('profile', { profileDir });
  const stop = (): void => {
    void host
      .close()
      .then(() => core.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`Switchboard web mode could not start: ${errorText(e)}\n`);
  process.exit(1);
});
