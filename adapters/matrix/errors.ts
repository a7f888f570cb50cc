/** Homeserver and SDK failures as the errors core understands: send failures classed for retries, action failures in words. */
import { AdapterActionError, AdapterSendError } from '../contract.ts';

/** An SDK or homeserver failure while sending, classed for the outbox's retries. */
export function sendError(e: unknown, what: string): AdapterSendError {
  const err = e as { httpStatus?: number; errcode?: string; message?: string };
  const status = err.httpStatus ?? 0;
  if (status === 401 || err.errcode === 'M_UNKNOWN_TOKEN') return new AdapterSendError('auth', `${what}: the login is no longer valid.`);
  if (status === 403 || status === 400 || status === 404) return new AdapterSendError('permanent', `${what}: ${err.message ?? err.errcode ?? status}.`);
  return new AdapterSendError('network', `${what}: ${err.message ?? 'no answer'}.`);
}

export function actionError(e: unknown, what: string): AdapterActionError {
  const err = e as { httpStatus?: number; errcode?: string; message?: string };
  if (err.httpStatus === 404 || err.errcode === 'M_NOT_FOUND') return new AdapterActionError('not-found', `${what}: the homeserver does not know that room.`);
  if (err.httpStatus === 403) return new AdapterActionError('invalid', `${what}: not allowed (${err.message ?? 'forbidden'}).`);
  return new AdapterActionError('unavailable', `${what}: ${err.message ?? 'the homeserver did not answer'}.`);
}

