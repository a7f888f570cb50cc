/** Decodes server frames of the WebSocket transport; anything malformed becomes null. */
import type { ApiEvent } from '../../core/api/events.ts';
import type { ServerFrame } from '../../core/api/wire.ts';
import type { ApiCallErrorCode } from './types.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ERROR_CODES: readonly string[] = ['bad-request', 'not-found', 'timeout', 'conflict', 'internal', 'unauthorized', 'unavailable'];

export function parseServerFrame(text: string): ServerFrame | null {
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch {
    return null;
  }
  if (!isRecord(data)) return null;
  if (data.kind === 'event') {
    const event = data.event;
    // Core is the only sender; a shape check on the discriminant is enough to route it.
    if (!isRecord(event) || typeof event.type !== 'string') return null;
    return { kind: 'event', event: event as unknown as ApiEvent };
  }
  if (data.kind !== 'reply' || typeof data.id !== 'number') return null;
  if (data.ok === true) return { kind: 'reply', id: data.id, ok: true, result: data.result };
  const error = data.error;
  if (!isRecord(error)) return null;
  const code = typeof error.code === 'string' && ERROR_CODES.includes(error.code) ? error.code : 'internal';
  const message = typeof error.message === 'string' ? error.message : 'Unknown error';
  return {
    kind: 'reply',
    id: data.id,
    ok: false,
    error: { code: code as Exclude<ApiCallErrorCode, 'disconnected'>, message },
  };
}
