/**
 * The adapters' logger: `level <protocol>.<module>: message {meta}` on stderr, filtered by
 * `SWITCHBOARD_LOG` (default info). Adapters may not import core's logger (floors), so this mirrors
 * it. Callers pass metadata only: never message text, keys, passwords or invite links.
 */

/** A module's logger; `meta` holds ids, counts and reasons, nothing secret. */
export interface AdapterLogger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

const ORDER = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** One logger per module, e.g. `createAdapterLogger('xmpp.adapter')`. */
export function createAdapterLogger(name: string): AdapterLogger {
  const line = (level: 'info' | 'warn' | 'error', msg: string, meta?: Record<string, unknown>): void => {
    // Read per line so a test (or the user) can change the level without a restart.
    const env = process.env.SWITCHBOARD_LOG;
    const min = env === 'debug' || env === 'info' || env === 'warn' || env === 'error' ? ORDER[env] : ORDER.info;
    if (ORDER[level] < min) return;
    process.stderr.write(`${level} ${name}: ${msg}${meta ? ' ' + JSON.stringify(meta) : ''}\n`);
  };
  return { info: (m, x) => line('info', m, x), warn: (m, x) => line('warn', m, x), error: (m, x) => line('error', m, x) };
}
