/**
 * Runs a relay: `node --import tsx native-protocol/relay/cli.ts --port N --data DIR [--host H]`.
 * Prints `Switchboard relay listening on ws://HOST:PORT` once bound; stops cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, type RelayLimits } from './limits.ts';
import { createRelayLogger } from './log.ts';
import { startRelayServer } from './server.ts';
import { SqliteRelayStorage } from './sqlite-storage.ts';

const USAGE = `usage: cli.ts --port N --data DIR [--host 127.0.0.1]
  [--max-message-bytes N] [--max-bundle-bytes N] [--quota-count N] [--quota-bytes N] [--ttl-seconds N]
  [--purge-interval-seconds N] [--rate-burst N] [--rate-per-second N]
  [--max-mailboxes-per-connection N] [--max-subscriptions-per-connection N]`;

const LIMIT_FLAGS = {
  'max-message-bytes': (l: RelayLimits, n: number) => (l.maxMessageBytes = n),
  'max-bundle-bytes': (l: RelayLimits, n: number) => (l.maxBundleBytes = n),
  'quota-count': (l: RelayLimits, n: number) => (l.quotaCount = n),
  'quota-bytes': (l: RelayLimits, n: number) => (l.quotaBytes = n),
  'ttl-seconds': (l: RelayLimits, n: number) => (l.ttlMs = n * 1000),
  'purge-interval-seconds': (l: RelayLimits, n: number) => (l.purgeIntervalMs = n * 1000),
  'rate-burst': (l: RelayLimits, n: number) => (l.rateBurst = n),
  'rate-per-second': (l: RelayLimits, n: number) => (l.ratePerSecond = n),
  'max-mailboxes-per-connection': (l: RelayLimits, n: number) => (l.maxMailboxesPerConnection = n),
  'max-subscriptions-per-connection': (l: RelayLimits, n: number) => (l.maxSubscriptionsPerConnection = n),
} as const;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const limitOptions = Object.fromEntries(Object.keys(LIMIT_FLAGS).map((k) => [k, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, data: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, ...limitOptions },
      strict: true,
    }));
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  const port = positiveInt('port', values.port as string | undefined);
  if (port > 65535) fail('--port must be at most 65535');
  const data = values.data;
  if (typeof data !== 'string' || data === '') fail('--data DIR is required');
  const host = values.host as string;

  const limits: RelayLimits = { ...DEFAULT_LIMITS };
  for (const [flag, apply] of Object.entries(LIMIT_FLAGS)) {
    const v = values[flag];
    if (typeof v === 'string') apply(limits, positiveInt(flag, v));
  }

  const log = createRelayLogger('relay');
  const storage = SqliteRelayStorage.open(data);
  const relay = await startRelayServer({ host, port, storage, limits, log });

  const stop = (signal: string): void => {
    log.info('stopping', { signal });
    relay.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('stop failed', { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Printed only after the handlers are installed: a supervisor may send SIGTERM as soon as it reads this.
  process.stdout.write(`Switchboard relay listening on ${relay.url}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`relay failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
