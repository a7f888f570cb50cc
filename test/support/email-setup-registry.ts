/**
 * A registry for tests of adding email accounts: the real `emailSetup` (the login check, and
 * discovery pointed at local servers) with, by default, a stand-in adapter that only records what
 * core gave it (its settings and secrets) and says it is online; or the real adapter.
 */
import type {
  AccountConfig,
  Adapter,
  AdapterEvent,
  AdapterEventType,
  AdapterFactory,
  AdapterServices,
  SecurityFacts,
} from '../../adapters/contract.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import { discoverEmailSettings, type DiscoveryOptions } from '../../adapters/email/discovery.ts';
import { emailSetup } from '../../adapters/email/setup.ts';

/** What each stand-in adapter was built with, newest last. */
export interface BuiltAdapter {
  config: AccountConfig;
  secrets: Readonly<Record<string, string>>;
}

const FACTS: SecurityFacts = {
  transport: 'none',
  endToEnd: 'none',
  forwardSecrecy: false,
  identity: 'none',
  metadataProtection: false,
  postQuantum: false,
  downgradeResistant: false,
};

function standIn(config: AccountConfig): Adapter {
  const listeners = new Map<AdapterEventType, Set<(e: AdapterEvent) => void>>();
  const emit = (e: AdapterEvent) => listeners.get(e.type)?.forEach((fn) => fn(e));
  return {
    protocol: 'email',
    accountId: config.id,
    connect: async () => emit({ type: 'status', accountId: config.id, status: 'online' }),
    disconnect: async () => undefined,
    send: () => Promise.reject(new Error('the stand-in adapter does not send')),
    securityFacts: () => FACTS,
    on(type, fn) {
      const set = listeners.get(type) ?? new Set();
      set.add(fn as (e: AdapterEvent) => void);
      listeners.set(type, set);
      return () => set.delete(fn as (e: AdapterEvent) => void);
    },
  };
}

/**
 * The email kind with the real setup; `discovery` points discovery at local servers and DNS
 * answers; `factory` replaces the stand-in (the real email adapter). `probes` counts login checks.
 */
export function emailSetupRegistry(
  discovery: DiscoveryOptions = {},
  factory: AdapterFactory = (config) => standIn(config),
): { registry: AdapterRegistry; built: BuiltAdapter[]; probes: { count: number } } {
  const built: BuiltAdapter[] = [];
  const probes = { count: 0 };
  const registry = new AdapterRegistry().register(
    'email',
    (config: AccountConfig, services: AdapterServices) => {
      built.push({ config, secrets: services.secrets });
      return factory(config, services);
    },
    {
      ...emailSetup,
      discover: (address, signal) => discoverEmailSettings(address, { ...discovery, signal }),
      probe: (config, secrets, signal) => {
        probes.count += 1;
        return emailSetup.probe!(config, secrets, signal);
      },
    },
  );
  return { registry, built, probes };
}
