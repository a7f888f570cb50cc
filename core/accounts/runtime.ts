import type {
  AccountConfig,
  AccountStatus,
  Adapter,
  AdapterEvent,
  AdapterEventType,
  AdapterStateStore,
  PresenceState,
  SecurityFacts,
} from '../../adapters/contract.ts';
import type { AdapterRegistry } from '../../adapters/registry.ts';
import type { Account } from '../api/types.ts';
import type { AccountRow } from '../store/rows.ts';
import { createLogger, errorText } from '../log/logger.ts';

const log = createLogger('accounts');

/** Every adapter event type, each listened to (a type added to the contract fails to compile here until listed). */
const LISTENED: Record<AdapterEventType, true> = {
  message: true,
  'message-body': true,
  'message-edit': true,
  'message-redacted': true,
  delivery: true,
  status: true,
  'route-facts': true,
  error: true,
  peer: true,
  group: true,
  disappearing: true,
  changed: true,
  sync: true,
  presence: true,
  typing: true,
  verification: true,
};
const ADAPTER_EVENT_TYPES = Object.keys(LISTENED) as AdapterEventType[];

interface Live {
  row: AccountRow;
  adapter: Adapter | null;
  status: AccountStatus;
  error?: string | undefined;
  /** The latest sync progress, until it finishes. */
  sync: { done: number; total: number } | null;
  abort: AbortController;
  unsubscribe: (() => void)[];
}

/**
 * The running adapters, one per account, and their status. Everything adapters say goes to
 * `onAdapterEvent`; nothing here decides what it means.
 */
export class AccountRuntime {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly registry: AdapterRegistry,
    private readonly onAdapterEvent: (e: unknown) => void,
    private readonly onStatus: (account: Account) => void,
    /** The durable state store handed to each account's adapter. */
    private readonly stateFor: (accountId: string) => AdapterStateStore,
    /** The account's decrypted secrets, read when its adapter is built. */
    private readonly secretsFor: (accountId: string) => Readonly<Record<string, string>>,
  ) {}

  /** Builds and connects the adapter of an account. A missing or failing adapter is a status, not a crash. */
  start(row: AccountRow): void {
    if (this.live.has(row.id)) return;
    const entry: Live = { row, adapter: null, status: 'connecting', sync: null, abort: new AbortController(), unsubscribe: [] };
    this.live.set(row.id, entry);
    const factory = this.registry.get(row.kind);
    if (!factory) {
      this.setStatus(row.id, 'error', `Switchboard has no adapter for ${row.kind} accounts yet.`);
      return;
    }
    try {
      entry.adapter = factory(accountConfigOf(row), { state: this.stateFor(row.id), secrets: this.secretsFor(row.id) });
    } catch (e) {
      this.setStatus(row.id, 'error', `Could not set up the account: ${errorText(e)}`);
      return;
    }
    const adapter = entry.adapter;
    if (adapter.protocol !== row.protocol) {
      this.setStatus(row.id, 'error', `The ${row.kind} adapter speaks ${adapter.protocol}, not ${row.protocol}.`);
      return;
    }
    for (const type of ADAPTER_EVENT_TYPES) {
      entry.unsubscribe.push(
        adapter.on(type, (e: AdapterEvent) => {
          // An adapter speaks for its own account only: an event naming another account would
          // let one network plant messages (or green padlocks) in another's conversations.
          const claimed = (e as { accountId?: unknown } | null)?.accountId;
          if (claimed !== row.id) {
            log.warn('adapter event for another account dropped', { accountId: row.id, type });
            return;
          }
          if (e.type === 'status') this.setStatus(row.id, e.status, e.error);
          if (e.type === 'sync') {
            this.setSync(row.id, e.done, e.total);
            return;
          }
          this.onAdapterEvent(e);
        }),
      );
    }
    this.onStatus(this.view(row.id)!);
    adapter.connect(entry.abort.signal).catch((e: unknown) => {
      log.warn('connect failed', { accountId: row.id, error: errorText(e) });
      this.setStatus(row.id, 'error', errorText(e));
    });
  }

  async stop(accountId: string): Promise<void> {
    const entry = this.live.get(accountId);
    if (!entry) return;
    this.live.delete(accountId);
    entry.abort.abort();
    for (const u of entry.unsubscribe) u();
    if (entry.adapter) {
      try {
        await entry.adapter.disconnect();
      } catch (e) {
        log.warn('disconnect failed', { accountId, error: errorText(e) });
      }
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.stop(id)));
  }

  adapter(accountId: string): Adapter | null {
    return this.live.get(accountId)?.adapter ?? null;
  }

  isAvailable(accountId: string): boolean {
    const e = this.live.get(accountId);
    return !!e && !!e.adapter && e.status === 'online';
  }

  /** What the adapter says about a route now, or null when it cannot say. */
  factsFor(accountId: string, target: string): SecurityFacts | null {
    const adapter = this.adapter(accountId);
    if (!adapter) return null;
    try {
      return adapter.securityFacts({ accountId, target });
    } catch (e) {
      log.warn('securityFacts failed', { accountId, error: errorText(e) });
      return null;
    }
  }

  view(accountId: string): Account | null {
    const e = this.live.get(accountId);
    if (!e) return null;
    return {
      id: e.row.id,
      protocol: e.row.protocol,
      kind: e.row.kind,
      address: e.row.address,
      displayName: e.row.display_name,
      status: e.status,
      error: e.error,
      canCreateGroups: !!e.adapter?.groups,
      canJoinGroups: !!e.adapter?.groups?.join,
      sync: e.sync,
      settings: accountSettings(e.row),
    };
  }

  private setSync(accountId: string, done: number, total: number): void {
    const e = this.live.get(accountId);
    if (!e) return;
    const finished = done >= total;
    if (finished && !e.sync) return;
    e.sync = finished ? null : { done: Math.max(0, done), total: Math.max(0, total) };
    this.onStatus(this.view(accountId)!);
  }

  /** A peer's presence as the account's adapter sees it, or null when it cannot say (or the account is not online). */
  presenceOf(accountId: string, address: string): PresenceState | null {
    const e = this.live.get(accountId);
    if (!e?.adapter?.presenceOf || e.status !== 'online') return null;
    try {
      return e.adapter.presenceOf(address);
    } catch (err) {
      log.warn('presenceOf failed', { accountId, error: errorText(err) });
      return null;
    }
  }

  private setStatus(accountId: string, status: AccountStatus, error?: string): void {
    const e = this.live.get(accountId);
    if (!e) return;
    if (e.status === status && e.error === error) return;
    e.status = status;
    e.error = status === 'error' ? error : undefined;
    this.onStatus(this.view(accountId)!);
  }
}

/** An account's stored settings (never its secrets, which live in their own sealed column). */
export function accountSettings(row: AccountRow): Record<string, unknown> {
  try {
    const parsed = JSON.parse(row.settings) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    log.warn('account settings unreadable; using none', { accountId: row.id });
  }
  return {};
}

/** The account as its adapter and its setup see it. */
export function accountConfigOf(row: AccountRow): AccountConfig {
  return { id: row.id, protocol: row.protocol, address: row.address, displayName: row.display_name, settings: accountSettings(row) };
}
