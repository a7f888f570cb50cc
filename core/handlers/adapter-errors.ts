/**
 * An adapter's refusal (`AdapterActionError`, with words for the user) as an api error. Shared by
 * every handler that asks an adapter to act: invites, safety numbers, groups, timers.
 */
import type { AdapterActionError } from '../../adapters/contract.ts';
import { ApiError, type ApiErrorShape } from '../api/commands.ts';

/** How each refusal of an adapter reads at the api. */
const ACTION_ERROR_CODES: Record<AdapterActionError['code'], ApiErrorShape['code']> = {
  invalid: 'bad-request',
  expired: 'conflict',
  revoked: 'conflict',
  'used-up': 'conflict',
  'not-found': 'not-found',
  unavailable: 'unavailable',
};

/**
 * An adapter's refusal as an api error, keeping its user-facing message; anything else unchanged
 * (the api turns it into `internal`). Matched by name and code rather than `instanceof`, so a
 * second copy of the contract module in a bundle cannot turn a refusal into an internal error.
 */
export function toApiError(e: unknown): unknown {
  if (!(e instanceof Error) || e.name !== 'AdapterActionError') return e;
  const code = (e as Partial<AdapterActionError>).code;
  if (typeof code !== 'string' || !Object.hasOwn(ACTION_ERROR_CODES, code)) return e;
  return new ApiError(ACTION_ERROR_CODES[code], e.message);
}

/** Runs a synchronous adapter action, mapping its refusals. */
export function attempt<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toApiError(e);
  }
}

/** Runs an asynchronous adapter action, mapping its refusals. */
export async function attemptAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toApiError(e);
  }
}
