import type { AdapterRegistry } from '../adapters/registry.ts';
import { AccountRuntime } from './accounts/runtime.ts';
import { ApiError, CALL_TIMEOUT_MS, SLOW_CALL_TIMEOUT_MS, commandSchemas, type CommandName, type CommandResults } from './api/commands.ts';
import { isCommandName } from './api/command-names.ts';
import type { ApiEvent } from './api/events.ts';
import type { CoreContext } from './context.ts';
import { mailView } from './content/original.ts';
import { createHandlers, type Handlers } from './handlers/handlers.ts';
import type { Core } from './index.ts';
import { ExpirySweeper } from './expiry/sweeper.ts';
import { Ingestor } from './ingest/ingest.ts';
import { createLogger, errorText } from './log/logger.ts';
import { Outbox, type OutboxOptions } from './outbox/outbox.ts';
import { announceRoutesChanged } from './inbox/announce.ts';
import { adapterStateStore } from './store/adapter-state.ts';
import { openDatabase } from './store/open.ts';
import type { AccountRow } from './store/rows.ts';
import { localKeySecretBox, openSecrets, type SecretBox } from './secrets/secret-box.ts';
import { SLOW_COMMANDS } from './api/command-names.ts';
import { z } from 'zod';

const log = createLogger('core');

export interface CreateCoreOptions {
  profileDir: string;
  registry: AdapterRegistry;
  /** Tests shorten retries. */
  outbox?: OutboxOptions;
  now?: () => number;
  callTimeoutMs?: number;
  /**
   * Seals account secrets (passwords) in the database. Default: the profile-key box (web mode,
   * tests); the desktop app passes the system keychain's (electron/secret-box.ts).
   */
  secretBox?: SecretBox;
}

/** A core with its internals reachable, for tests and benchmarks. */
export interface CoreInternals extends Core {
  readonly ctx: CoreContext;
  readonly ingest: Ingestor;
  readonly outbox: Outbox;
  readonly expiry: ExpirySweeper;
}

/** Opens a profile and wires store, accounts, ingest, outbox and the api handlers together. */
export function createCore(opts: CreateCoreOptions): CoreInternals {
  const db = openDatabase(opts.profileDir);
  const secretBox = opts.secretBox ?? localKeySecretBox(opts.profileDir);
  /** Opened only here, to hand to the account's adapter; a failure is the account's error status. */
  const secretsFor = (accountId: string): Record<string, string> => {
    const sealed = db.prepare('SELECT secrets FROM accounts WHERE id = ?').pluck().get(accountId) as string | undefined;
    try {
      return openSecrets(secretBox, sealed ?? '');
    } catch (e) {
      log.warn('account secrets cannot be opened', { accountId, box: secretBox.kind, error: errorText(e) });
      throw new Error(`${errorText(e)} Enter the password again (Change password in the account's settings).`, { cause: e });
    }
  };
  const listeners = new Set<(e: ApiEvent) => void>();
  const emit = (e: ApiEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        log.error('event listener threw', { type: e.type, error: errorText(err) });
      }
    }
  };
  let ingest: Ingestor | null = null;
  let outbox: Outbox | null = null;
  let expiry: ExpirySweeper | null = null;
  const accounts = new AccountRuntime(
    opts.registry,
    (e) => ingest?.push(e),
    (account) => {
      emit({ type: 'account.status', account });
      if (account.status === 'online') outbox?.accountOnline(account.id);
      // Route availability moved: padlocks of conversations reached through this account change.
      if (listeners.size > 0 && ingest) announceRoutesChanged(ctx, account.id);
    },
    (accountId) => adapterStateStore(db, accountId),
    secretsFor,
  );
  const ctx: CoreContext = {
    db,
    accounts,
    emit,
    listening: () => listeners.size > 0,
    now: opts.now ?? Date.now,
    expiry: { noteExpiry: (at) => expiry?.noteExpiry(at) },
  };
  outbox = new Outbox(ctx, opts.outbox);
  const sending = outbox;
  // A peer became reachable or a route's facts changed (a session was confirmed, say): what waits
  // in the outbox for that account after a network failure goes now, not after its backoff.
  let autoAccept: ((messageIds: readonly string[]) => void) | null = null;
  ingest = new Ingestor(ctx, {
    routesChanged: (accountId) => sending.accountOnline(accountId),
    invitationsArrived: (ids) => autoAccept?.(ids),
  });
  expiry = new ExpirySweeper(ctx);
  const handlers: Handlers = createHandlers(ctx, {
    outbox,
    startAccount: (row) => accounts.start(row),
    stopAccount: (id) => accounts.stop(id),
    registry: opts.registry,
    secretBox,
    setAutoAccept: (fn) => {
      autoAccept = fn;
    },
  });
  const timeoutMs = opts.callTimeoutMs ?? CALL_TIMEOUT_MS;
  let closed = false;

  async function call<C extends CommandName>(command: C, params: unknown): Promise<CommandResults[C]> {
    if (closed) throw new ApiError('unavailable', 'Switchboard is shutting down.');
    if (!isCommandName(command)) throw new ApiError('bad-request', `Unknown command: ${String(command).slice(0, 80)}`);
    const parsed = commandSchemas[command].safeParse(params ?? {});
    if (!parsed.success) {
      throw new ApiError('bad-request', `Invalid parameters for ${command}: ${z.prettifyError(parsed.error)}`);
    }
    const handler = handlers[command] as (p: unknown) => CommandResults[C] | Promise<CommandResults[C]>;
    let timer: NodeJS.Timeout | undefined;
    const limit = opts.callTimeoutMs ?? ((SLOW_COMMANDS as readonly string[]).includes(command) ? SLOW_CALL_TIMEOUT_MS : timeoutMs);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError('timeout', `${command} took longer than ${limit} ms.`)), limit);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => handler(parsed.data)), timeout]);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      log.error('command failed', { command, error: errorText(e) });
      throw new ApiError('internal', `${command} failed: ${errorText(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    ctx,
    ingest,
    outbox,
    expiry,
    call,
    onEvent(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    mailView(messageId, frameAncestors) {
      if (closed) return null;
      try {
        return mailView(db, messageId, frameAncestors);
      } catch (e) {
        log.error('mail view failed', { error: errorText(e) });
        return null;
      }
    },
    async start() {
      for (const row of db.prepare('SELECT * FROM accounts ORDER BY created_at').all() as AccountRow[]) accounts.start(row);
      outbox.start();
      expiry.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      expiry.stop();
      await outbox.stop();
      await accounts.stopAll();
      // Writes what adapters delivered last, once; a broken disk does not hold up shutdown.
      ingest.stop();
      listeners.clear();
      db.close();
    },
  };
}
