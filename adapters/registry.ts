import type { AccountSetup, AdapterFactory } from './contract.ts';
import { createEmailAdapter } from './email/adapter.ts';
import { createNativeAdapter } from './native/adapter.ts';
import { emailSetup } from './email/setup.ts';
import { createMatrixAdapter } from './matrix/adapter.ts';
import { matrixSetup } from './matrix/setup.ts';
import { createXmppAdapter } from './xmpp/adapter.ts';
import { xmppSetup } from './xmpp/setup.ts';

/**
 * Which factory builds the adapter for each protocol (or for a named test kind).
 * Core receives a registry instead of importing adapters, so tests can add a test double.
 */
export class AdapterRegistry {
  private readonly factories = new Map<string, AdapterFactory>();
  private readonly setups = new Map<string, AccountSetup>();

  /** `setup`: how to discover settings and check a login before the account is saved. */
  register(kind: string, factory: AdapterFactory, setup?: AccountSetup): this {
    this.factories.set(kind, factory);
    if (setup) this.setups.set(kind, setup);
    return this;
  }

  setup(kind: string): AccountSetup | undefined {
    return this.setups.get(kind);
  }

  get(kind: string): AdapterFactory | undefined {
    return this.factories.get(kind);
  }

  kinds(): string[] {
    return [...this.factories.keys()];
  }
}

/** The adapters that ship. Protocol adapters join here as their issues land. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry()
    .register('native', createNativeAdapter)
    .register('email', createEmailAdapter, emailSetup)
    .register('xmpp', createXmppAdapter, xmppSetup)
    .register('matrix', createMatrixAdapter, matrixSetup);
}
