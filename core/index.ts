/** The one-inbox engine, as the hosts (Electron main, web mode, tests) see it. */
import type { AdapterRegistry } from '../adapters/registry.ts';
import type { CommandName, CommandResults } from './api/commands.ts';
import type { ApiEvent } from './api/events.ts';
import type { MailDocument } from './content/mail-html.ts';

export interface CoreOptions {
  /** The profile folder: holds switchboard.sqlite. */
  profileDir: string;
  registry: AdapterRegistry;
}

export interface Core {
  /** Validates params, runs the command with a timeout; rejects with `ApiError`. */
  call<C extends CommandName>(command: C, params: unknown): Promise<CommandResults[C]>;
  onEvent(fn: (event: ApiEvent) => void): () => void;
  /**
   * The isolated view of a message's HTML with the policy to serve it with (the hosts serve it from
   * its own URL), or null when the message has no HTML. `frameAncestors`: who may frame it (CSP).
   */
  mailView(messageId: string, frameAncestors?: string): MailDocument | null;
  /** Connects every account's adapter and starts the outbox. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export { createCore } from './create-core.ts';
export { defaultRegistry } from '../adapters/registry.ts';
export { defaultProfileDir } from './host/profile-dir.ts';
export { mailViewHeaders, type MailDocument } from './content/mail-html.ts';
