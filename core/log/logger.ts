/**
 * One logger per module. Lines go to stderr as `level module: message`; callers pass only
 * metadata (ids, counts, error text) — never message bodies, keys or passwords.
 */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const env = (process.env.SWITCHBOARD_LOG ?? 'info') as Level;
  return ORDER[env] ?? ORDER.info;
}

/** Lines logged in this process, newest last, for tests that check a bad input was logged. */
export const recentLogLines: string[] = [];
const RECENT_MAX = 500;

export function createLogger(module: string): Logger {
  const line = (level: Level, msg: string, meta?: Record<string, unknown>): void => {
    const text = `${level} ${module}: ${msg}${meta ? ' ' + JSON.stringify(meta) : ''}`;
    recentLogLines.push(text);
    if (recentLogLines.length > RECENT_MAX) recentLogLines.shift();
    if (ORDER[level] >= threshold()) process.stderr.write(text + '\n');
  };
  return {
    debug: (m, meta) => line('debug', m, meta),
    info: (m, meta) => line('info', m, meta),
    warn: (m, meta) => line('warn', m, meta),
    error: (m, meta) => line('error', m, meta),
  };
}

/** The text of an unknown thrown value, for logs and user-facing reasons. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
