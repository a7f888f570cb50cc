/**
 * The relay's logger: `level relay[.module]: message {meta}` lines on stderr. Callers pass only
 * metadata (counts, codes, error text) — never blobs, capabilities, keys or IP addresses.
 */
export interface RelayLogger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const env = process.env.SWITCHBOARD_RELAY_LOG;
  return env === 'debug' || env === 'info' || env === 'warn' || env === 'error' ? ORDER[env] : ORDER.info;
}

/** A logger writing to stderr, filtered by `SWITCHBOARD_RELAY_LOG` (default info). */
export function createRelayLogger(module: string): RelayLogger {
  const min = threshold();
  const line = (level: Level, msg: string, meta?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    process.stderr.write(`${level} ${module}: ${msg}${meta ? ' ' + JSON.stringify(meta) : ''}\n`);
  };
  return {
    debug: (m, meta) => line('debug', m, meta),
    info: (m, meta) => line('info', m, meta),
    warn: (m, meta) => line('warn', m, meta),
    error: (m, meta) => line('error', m, meta),
  };
}
