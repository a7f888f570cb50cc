/**
 * The client's logger: `level native.<module>: message {meta}` on stderr, filtered by
 * `SWITCHBOARD_LOG` (default info). Callers pass metadata only: never texts, keys or capabilities.
 */
export interface ClientLogger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

const ORDER = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function createClientLogger(module: string): ClientLogger {
  const env = process.env.SWITCHBOARD_LOG;
  const min = env === 'debug' || env === 'info' || env === 'warn' || env === 'error' ? ORDER[env] : ORDER.info;
  const line = (level: 'info' | 'warn' | 'error', msg: string, meta?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    process.stderr.write(`${level} native.${module}: ${msg}${meta ? ' ' + JSON.stringify(meta) : ''}\n`);
  };
  return { info: (m, x) => line('info', m, x), warn: (m, x) => line('warn', m, x), error: (m, x) => line('error', m, x) };
}
