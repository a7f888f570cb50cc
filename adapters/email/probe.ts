/**
 * Checking an email login before the account is saved: log in to IMAP, then to SMTP submission,
 * and log out. One server after the other, not both at once: with a wrong password that is one
 * failed login instead of two, which matters to servers that lock an account after a few.
 */
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { AdapterActionError, type AccountConfig } from '../contract.ts';
import { imapOptions, smtpOptions } from './connection.ts';
import { describeProbeFailure, type ProbeTarget } from './probe-errors.ts';
import { emailSettings, type EmailSettings } from './settings.ts';

/** A probe waits this long for each step; the caller's signal usually ends it sooner. */
const STEP_MS = 15_000;

function settingsOf(config: AccountConfig): EmailSettings {
  try {
    return emailSettings(config.settings, config.address);
  } catch (e) {
    throw new AdapterActionError('invalid', e instanceof Error ? e.message : String(e));
  }
}

function cancelled(): AdapterActionError {
  return new AdapterActionError('unavailable', 'Checking the account took too long and was stopped. Check the server names and ports.');
}

/** Rejects as soon as the signal aborts; `stop` tears down what is still open. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, stop: () => void): Promise<T> {
  if (signal.aborted) {
    stop();
    return Promise.reject(cancelled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      stop();
      reject(cancelled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function probeImap(s: EmailSettings, password: string, signal: AbortSignal): Promise<void> {
  const target: ProbeTarget = { role: 'imap', server: s.imap, username: s.username };
  const client = new ImapFlow(
    imapOptions(s, password, { connectionTimeout: STEP_MS, greetingTimeout: STEP_MS, socketTimeout: STEP_MS, disableAutoIdle: true }),
  );
  // A dropped connection is also emitted as 'error'; connect() rejects with it, which is what counts.
  client.on('error', () => undefined);
  try {
    await untilAborted(client.connect(), signal, () => client.close());
  } catch (e) {
    client.close();
    throw e instanceof AdapterActionError ? e : describeProbeFailure(e, target);
  }
  // Logged in; a failing logout changes nothing about the answer.
  await untilAborted(client.logout(), signal, () => client.close()).catch(() => client.close());
}

async function probeSmtp(s: EmailSettings, password: string, signal: AbortSignal): Promise<void> {
  const target: ProbeTarget = { role: 'smtp', server: s.smtp, username: s.username };
  const transport = createTransport({
    ...smtpOptions(s, password),
    // verify() skips the login when the server does not advertise AUTH (common before STARTTLS);
    // a probe that never tried the password would say yes to a wrong one.
    forceAuth: true,
    connectionTimeout: STEP_MS,
    greetingTimeout: STEP_MS,
    socketTimeout: STEP_MS,
  });
  try {
    // verify() has no cancel: on abort its socket ends by itself within STEP_MS.
    await untilAborted(transport.verify(), signal, () => transport.close());
  } catch (e) {
    throw e instanceof AdapterActionError ? e : describeProbeFailure(e, target);
  } finally {
    transport.close();
  }
}

/**
 * Logs in to the account's IMAP and SMTP servers with this password and logs out. Throws
 * `AdapterActionError` with a sentence for the user; never includes the password.
 */
export async function probeEmailAccount(config: AccountConfig, secrets: Readonly<Record<string, string>>, signal: AbortSignal): Promise<void> {
  const s = settingsOf(config);
  const password = secrets.password ?? '';
  if (password === '') throw new AdapterActionError('invalid', `Enter the password for ${config.address}.`);
  await probeImap(s, password, signal);
  await probeSmtp(s, password, signal);
}
