/** The one-inbox engine, as the hosts (Electron main, web mode, tests) see it. */
import type { AdapterRegistry } from '../adapters/registry.ts';
import type { CommandName, CommandResults } from './api/commands.ts';
import type { ApiEvent } from './api/events.ts';

export interface CoreOptions {
  /** The profile folder: holds switchboard.sqlite. */
  profileDir: string;
  registry: AdapterRegistry;
}

export interface Core {
  /** Validates params, runs the command with a timeout; rejects with `ApiError`. */
  call<C extends CommandName>(command: C, params: unknown): Promise<CommandResults[C]>;
  onEvent(fn: (event: ApiEvent) => void): () => void;
  /** Connects every account's adapter and starts the outbox. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export { createCore } from './create-core.ts';
export { defaultRegistry } from '../adapters/registry.ts';
export { defaultProfileDir } from './host/profile-dir.ts';
