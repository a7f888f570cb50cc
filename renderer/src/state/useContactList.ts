/** The people reachable through one account (who can be put in its group chats), by name. */
import { useEffect, useState } from 'react';
import type { ContactBrief } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useBridge, useResyncEpoch } from './bridgeContext.ts';

/** The most a checklist offers; past that the user narrows it down with the filter. */
const LIST_LIMIT = 500;

export interface ContactListState {
  /** null until loaded. */
  contacts: ContactBrief[] | null;
  failure: string | null;
}

/** Loads `contacts.list` for the account (nothing while `accountId` is null). */
export function useContactList(accountId: string | null): ContactListState {
  const bridge = useBridge();
  const epoch = useResyncEpoch();
  const [state, setState] = useState<ContactListState>({ contacts: null, failure: null });

  useEffect(() => {
    if (accountId === null) return;
    let live = true;
    bridge.call('contacts.list', { accountId, limit: LIST_LIMIT }).then(
      (contacts) => live && setState({ contacts, failure: null }),
      (error: unknown) => live && setState({ contacts: null, failure: describeError(error) }),
    );
    return () => {
      live = false;
    };
  }, [bridge, accountId, epoch]);

  return state;
}
