/**
 * Adding and changing accounts: settings discovery, the login check (probe) before anything is
 * saved, and the account's secrets, sealed before they reach the database. Secrets go in through
 * `accounts.add` / `accounts.update` and come out only to build the adapter (create-core's
 * `secretsFor`): never in a result, an event or a log line.
 */
import type { AccountConfig, AccountSetup } from '../../adapters/contract.ts';
import type { AdapterRegistry } from '../../adapters/registry.ts';
import { ApiError } from '../api/commands.ts';
import type { Account } from '../api/types.ts';
import type { CoreContext } from '../context.ts';
import { createLogger, errorText } from '../log/logger.ts';
import { openSecrets, sealSecrets, type SecretBox } from '../secrets/secret-box.ts';
import { newId } from '../store/ids.ts';
import type { AccountRow } from '../store/rows.ts';
import { stmt } from '../store/statements.ts';
import { toApiError } from './adapter-errors.ts';
import type { Handlers } from './handlers.ts';

const log = createLogger('accounts');

/** A login check gives up after this long (a server that accepts the connection and then says nothing). */
export const PROBE_TIMEOUT_MS = 30_000;
/** Logging out at the server gives up after this long: removing an account must not hang on a server that is gone. */
const LOGOUT_TIMEOUT_MS = 8_000;
/** Settings discovery gives up after this long; each of its requests has its own shorter deadline. */
export const DISCOVER_TIMEOUT_MS = 25_000;

export type AccountCommand = 'accounts.add' | 'accounts.update' | 'accounts.discover';

export interface AccountHandlerDeps {
  registry: AdapterRegistry;
  secretBox: SecretBox;
  startAccount(row: AccountRow): void;
  stopAccount(accountId: string): Promise<void>;
  accountView(row: AccountRow): Account;
}

function parseSettings(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Unreadable settings are treated as none; the adapter reports what is missing.
  }
  return {};
}

/** Runs the kind's login check, if it has one, with a deadline; its refusal becomes an api error. */
async function probe(setup: AccountSetup | undefined, config: AccountConfig, secrets: Record<string, string>): Promise<void> {
  if (!setup?.probe) return;
  await refusalInWords(config, () => setup.probe!(config, secrets, AbortSignal.timeout(PROBE_TIMEOUT_MS)));
}

/**
 * Checks the login and returns the secrets to keep: what the kind's `login` returns where it has
 * one (Matrix keeps an access token and its device, not the password), else the typed secrets
 * after the probe.
 */
async function checkLogin(setup: AccountSetup | undefined, config: AccountConfig, secrets: Record<string, string>): Promise<Record<string, string>> {
  if (!setup?.login) {
    await probe(setup, config, secrets);
    return secrets;
  }
  return refusalInWords(config, () => setup.login!(config, secrets, AbortSignal.timeout(PROBE_TIMEOUT_MS)));
}

async function refusalInWords<T>(config: AccountConfig, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (e) {
    const mapped = toApiError(e);
    if (mapped instanceof ApiError) throw mapped;
    // Not a refusal in words: say what failed, without guessing more.
    log.warn('login check failed', { kind: config.protocol, error: errorText(e) });
    throw new ApiError('unavailable', `Could not check the account: ${errorText(e)}`);
  }
}

/**
 * Ends a login the kind made with `login` (the Matrix device goes). Best effort: an account is
 * removed even when its server cannot be reached; the failure is logged.
 */
export async function endLogin(setup: AccountSetup | undefined, config: AccountConfig, secrets: Record<string, string>): Promise<void> {
  if (!setup?.logout || Object.keys(secrets).length === 0) return;
  try {
    await setup.logout(config, secrets, AbortSignal.timeout(LOGOUT_TIMEOUT_MS));
  } catch (e) {
    log.warn('logging out at the server failed', { kind: config.protocol, accountId: config.id, error: errorText(e) });
  }
}

export function accountHandlers(ctx: CoreContext, deps: AccountHandlerDeps): Pick<Handlers, AccountCommand> {
  const { db } = ctx;
  const clash = (kind: string, address: string) => {
    if (stmt(db, 'SELECT 1 FROM accounts WHERE kind = ? AND address = ?').get(kind, address)) {
      throw new ApiError('conflict', `The account ${address} is already set up.`);
    }
  };
  const loadRow = (id: string) => {
    const row = stmt(db, 'SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    if (!row) throw new ApiError('not-found', 'That account does not exist.');
    return row;
  };
  /** The stored secrets; none when they cannot be opened (the user is replacing them, or the probe says what is missing). */
  const storedSecrets = (id: string): Record<string, string> => {
    const sealed = stmt(db, 'SELECT secrets FROM accounts WHERE id = ?').pluck().get(id) as string;
    try {
      return openSecrets(deps.secretBox, sealed);
    } catch {
      return {};
    }
  };

  return {
    'accounts.discover': async (p) => {
      const setup = deps.registry.setup(p.kind ?? p.protocol);
      if (!setup?.discover) return null;
      try {
        const found = await setup.discover(p.address, AbortSignal.timeout(DISCOVER_TIMEOUT_MS));
        log.info('settings discovery', { kind: p.kind ?? p.protocol, found: found !== null });
        return found;
      } catch (e) {
        // Discovery is a convenience: when it breaks, the user types the settings in.
        log.warn('settings discovery failed', { error: errorText(e) });
        return null;
      }
    },
    'accounts.add': async (p) => {
      const kind = p.kind ?? p.protocol;
      clash(kind, p.address);
      const secrets = p.secrets ?? {};
      const config: AccountConfig = {
        id: newId(),
        protocol: p.protocol,
        address: p.address,
        displayName: p.displayName ?? p.address,
        settings: p.settings ?? {},
      };
      const setup = deps.registry.setup(kind);
      const kept = await checkLogin(setup, config, secrets);
      // The same address may have been added while the probe ran.
      try {
        clash(kind, p.address);
      } catch (e) {
        await endLogin(setup, config, setup?.login ? kept : {});
        throw e;
      }
      const row: AccountRow = {
        id: config.id,
        protocol: config.protocol,
        kind,
        address: config.address,
        display_name: config.displayName,
        settings: JSON.stringify(config.settings),
        created_at: ctx.now(),
      };
      stmt(db,
        `INSERT INTO accounts (id, protocol, kind, address, display_name, settings, secrets, created_at)
         VALUES (@id, @protocol, @kind, @address, @display_name, @settings, @secrets, @created_at)`,
      ).run({ ...row, secrets: sealSecrets(deps.secretBox, kept) });
      deps.startAccount(row);
      return deps.accountView(row);
    },
    'accounts.update': async (p) => {
      const row = loadRow(p.accountId);
      const before = parseSettings(row.settings);
      const settings = p.settings ?? before;
      const setup = deps.registry.setup(row.kind);
      const settingsChanged = JSON.stringify(settings) !== JSON.stringify(before);
      const loginChanged = settingsChanged && (setup?.loginChanged ? setup.loginChanged(before, settings) : true);
      const previousSecrets = storedSecrets(row.id);
      let secrets = p.secrets === undefined ? null : { ...previousSecrets, ...p.secrets };
      const displayName = p.displayName ?? row.display_name;
      if (!settingsChanged && secrets === null && displayName === row.display_name) return deps.accountView(row);
      if (loginChanged || secrets !== null) {
        const config: AccountConfig = { id: row.id, protocol: row.protocol, address: row.address, displayName, settings };
        const kept = await checkLogin(setup, config, secrets ?? previousSecrets);
        if (setup?.login) {
          // A new login replaces the old one (its device), which ends at the server; the typed
          // password is never kept.
          if (JSON.stringify(kept) !== JSON.stringify(previousSecrets)) await endLogin(setup, { ...config, settings: before }, previousSecrets);
          secrets = kept;
        }
      }
      const updated: AccountRow = {
        id: row.id,
        protocol: row.protocol,
        kind: row.kind,
        address: row.address,
        display_name: displayName,
        settings: JSON.stringify(settings),
        created_at: row.created_at,
      };
      db.transaction(() => {
        stmt(db, 'UPDATE accounts SET display_name = ?, settings = ? WHERE id = ?').run(updated.display_name, updated.settings, row.id);
        if (secrets !== null) stmt(db, 'UPDATE accounts SET secrets = ? WHERE id = ?').run(sealSecrets(deps.secretBox, secrets), row.id);
      })();
      // The adapter read its settings and secrets when it was built: build it again (starting
      // it announces the account, with its new name and settings, in an account.status event).
      await deps.stopAccount(row.id);
      deps.startAccount(updated);
      return deps.accountView(updated);
    },
  };
}
