import type { AccountRuntime } from './accounts/runtime.ts';
import type { ApiEvent } from './api/events.ts';
import type { ExpiryNotice } from './expiry/sweeper.ts';
import type { Db } from './store/open.ts';

/** What core's modules share: the database, the running accounts and the event sink. */
export interface CoreContext {
  db: Db;
  accounts: AccountRuntime;
  emit(event: ApiEvent): void;
  /** Whether anyone listens to events; building them for nobody costs ingest time. */
  listening(): boolean;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
  /** Disappearing messages: whoever starts a countdown tells the sweeper its deadline. */
  expiry: ExpiryNotice;
}
