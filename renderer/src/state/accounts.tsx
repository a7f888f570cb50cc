/** The account list, kept current by `account.status` events, shared by context. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { CommandParams } from '../../../core/api/commands.ts';
import type { Account } from '../../../core/api/types.ts';
import { useApiEvent, useBridge, useResyncEpoch } from './bridgeContext.ts';
import { describeError } from '../format/errors.ts';
import { useNotify } from './notify.tsx';

interface AccountsState {
  /** null until loaded. */
  accounts: Account[] | null;
  add: (params: CommandParams['accounts.add']) => Promise<Account>;
  remove: (accountId: string) => Promise<void>;
  /** Changes an account's name, settings or password (`accounts.update`). */
  update: (params: CommandParams['accounts.update']) => Promise<Account>;
}

const AccountsContext = createContext<AccountsState | null>(null);

export function useAccounts(): AccountsState {
  const state = useContext(AccountsContext);
  if (!state) throw new Error('useAccounts outside <AccountsProvider>');
  return state;
}

function upsert(accounts: Account[] | null, account: Account): Account[] {
  const list = accounts ?? [];
  return list.some((a) => a.id === account.id)
    ? list.map((a) => (a.id === account.id ? account : a))
    : [...list, account];
}

export function AccountsProvider({ children }: { children: ReactNode }) {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const notify = useNotify();
  const [accounts, setAccounts] = useState<Account[] | null>(null);

  useEffect(() => {
    let live = true;
    bridge.call('accounts.list', {}).then(
      (list) => live && setAccounts(list),
      (error: unknown) => live && notify(`Couldn't load accounts: ${describeError(error)}`),
    );
    return () => {
      live = false;
    };
  }, [bridge, epoch, notify]);

  useApiEvent((event) => {
    if (event.type === 'account.status') setAccounts((list) => upsert(list, event.account));
  });

  const add = useCallback(
    async (params: CommandParams['accounts.add']) => {
      const account = await bridge.call('accounts.add', params);
      setAccounts((list) => upsert(list, account));
      return account;
    },
    [bridge],
  );

  const remove = useCallback(
    async (accountId: string) => {
      await bridge.call('accounts.remove', { accountId });
      setAccounts((list) => (list ?? []).filter((a) => a.id !== accountId));
    },
    [bridge],
  );

  const update = useCallback(
    async (params: CommandParams['accounts.update']) => {
      const account = await bridge.call('accounts.update', params);
      setAccounts((list) => upsert(list, account));
      return account;
    },
    [bridge],
  );

  const value = useMemo(() => ({ accounts, add, remove, update }), [accounts, add, remove, update]);
  return <AccountsContext value={value}>{children}</AccountsContext>;
}
