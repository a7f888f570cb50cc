/** Builds a core on a temp profile with test-double accounts, for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../core/api/types.ts';
import type { ApiEvent } from '../../core/api/events.ts';
import { createCore, type CoreInternals, type CreateCoreOptions } from '../../core/create-core.ts';
import { TEST_KIND, TestNetwork } from './test-adapter.ts';

export interface Harness {
  core: CoreInternals;
  net: TestNetwork;
  dir: string;
  events: ApiEvent[];
  /** Closes the core and opens the same profile again (a restart), with a fresh network. */
  restart(opts?: Partial<CreateCoreOptions>, net?: TestNetwork): Promise<void>;
  addAccount(protocol: Account['protocol'], address: string): Promise<Account>;
  cleanup(): Promise<void>;
}

/**
 * Security dialogs start off here, so a send is queued at once; a test of the first-use notice
 * turns them on (`settings.set`).
 */
export async function makeHarness(opts: Partial<CreateCoreOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const h: Harness = {
    core: null as unknown as CoreInternals,
    net: new TestNetwork(),
    dir,
    events: [],
    async restart(more = {}, net = new TestNetwork()) {
      await h.core.close();
      h.net = net;
      open({ ...opts, ...more });
      await h.core.start();
    },
    addAccount: (protocol, address) => h.core.call('accounts.add', { protocol, kind: TEST_KIND, address }),
    async cleanup() {
      await h.core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const open = (o: Partial<CreateCoreOptions>): void => {
    h.core = createCore({ profileDir: dir, registry: h.net.registry(), outbox: { backoff: () => 20 }, ...o });
    h.core.onEvent((e) => h.events.push(e));
  };
  open(opts);
  await h.core.start();
  await h.core.call('settings.set', { securityDialogs: false });
  return h;
}

/** Waits until a condition holds (polling), or fails with a message after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
