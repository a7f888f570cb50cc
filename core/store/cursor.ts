import { ApiError } from '../api/commands.ts';

/** Opaque keyset cursors: base64url JSON of the sort key of the last row handed out. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ApiError('bad-request', 'That page cursor is not one Switchboard handed out.');
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length || parsed.some((v, i) => typeof v !== shape[i])) {
    throw new ApiError('bad-request', 'That page cursor is not one Switchboard handed out.');
  }
  return parsed as (string | number)[];
}
