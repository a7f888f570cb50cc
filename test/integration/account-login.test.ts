/**
 * Accounts whose kind logs in for good (`AccountSetup.login`, Matrix): core keeps what the login
 * returns, never the typed password; a new password logs in again and ends the old login; removing
 * the account ends its login, and a server that cannot be reached does not stop the removal. The
 * protocol itself is tested against Synapse (matrix-core, matrix-setup); this is core's side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountSetup } from '../../adapters/contract.ts';
import { AdapterRegistry } from '../../adapters/registry.ts';
import { makeHarness, type Harness } from '../support/harness.ts';
import { TEST_KIND, TestNetwork } from '../support/test-adapter.ts';

const KIND = 'login-double';
let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

function setup() {
  const net = new TestNetwork();
  const factory = net.registry().get(TEST_KIND)!;
  const secretsSeen = new Map<string, Readonly<Record<string, string>>>();
  const logins: Record<string, string>[] = [];
  const logouts: Record<string, string>[] = [];
  let n = 0;
  const accountSetup: AccountSetup = {
    login: async (_account, secrets) => {
      logins.push({ ...secrets });
      if (secrets['password'] === 'wrong') throw new Error('refused');
      return { token: `tok-${++n}` };
    },
    logout: async (_account, secrets) => {
      logouts.push({ ...secrets });
      throw new Error('the server is gone');
    },
  };
  const registry = new AdapterRegistry().register(
    KIND,
    (account, services) => {
      secretsSeen.set(account.id, services.secrets);
      return factory(account, services);
    },
    accountSetup,
  );
  return { registry, secretsSeen, logins, logouts };
}

describe('accounts that log in for good', () => {
  it('keeps the login, not the password; a new password ends the old login; removing ends the last one', async () => {
    const s = setup();
    h = await makeHarness({ registry: s.registry });
    const account = await h.core.call('accounts.add', { protocol: 'matrix', kind: KIND, address: '@ada:example.org', secrets: { password: 'pw-1' } });
    expect(s.logins).toEqual([{ password: 'pw-1' }]);
    expect(s.secretsSeen.get(account.id)).toEqual({ token: 'tok-1' });

    await h.core.call('accounts.update', { accountId: account.id, secrets: { password: 'pw-2' } });
    expect(s.logins.at(-1)).toEqual({ token: 'tok-1', password: 'pw-2' });
    expect(s.logouts).toEqual([{ token: 'tok-1' }]);
    expect(s.secretsSeen.get(account.id)).toEqual({ token: 'tok-2' });

    await h.core.call('accounts.remove', { accountId: account.id });
    expect(s.logouts.at(-1)).toEqual({ token: 'tok-2' });
    expect(await h.core.call('accounts.list', {})).toEqual([]);
  });

  it('a refused login saves nothing', async () => {
    const s = setup();
    h = await makeHarness({ registry: s.registry });
    await expect(h.core.call('accounts.add', { protocol: 'matrix', kind: KIND, address: '@ada:example.org', secrets: { password: 'wrong' } })).rejects.toThrow();
    expect(await h.core.call('accounts.list', {})).toEqual([]);
    expect(s.logouts).toEqual([]);
  });
});
