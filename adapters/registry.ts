import type { AdapterFactory } from './contract.ts';
import { createNativeAdapter } from './native/adapter.ts';

/**
 * Which factory builds the adapter for each protocol (or for a named test kind).
 * Core receives a registry instead of importing adapters, so tests can add a test double.
 */
export class AdapterRegistry {
  private readonly factories = new Map<string, AdapterFactory>();

  register(kind: string, factory: AdapterFactory): this {
    this.factories.set(kind, factory);
    return this;
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
  return new AdapterRegistry().register('native', createNativeAdapter);
}
