/**
 * What the email protocol offers before an account exists (registered with the email adapter in
 * adapters/registry.ts): finding an address's server settings, checking a login, and telling
 * which settings changes need that check again.
 */
import type { AccountSetup } from '../contract.ts';
import { discoverEmailSettings } from './discovery.ts';
import { probeEmailAccount } from './probe.ts';

/** The parts of the settings a login depends on, comparable as a string. */
function login(raw: Record<string, unknown>): string {
  const server = (v: unknown) => {
    const s = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
    return [s.host, s.port, s.security];
  };
  return JSON.stringify([server(raw.imap), server(raw.smtp), raw.username ?? null]);
}

export const emailSetup: AccountSetup = {
  discover: (address, signal) => discoverEmailSettings(address, { signal }),
  probe: probeEmailAccount,
  // The sync window and whose mail enters the inbox can change while the server is unreachable.
  loginChanged: (before, after) => login(before) !== login(after),
};
