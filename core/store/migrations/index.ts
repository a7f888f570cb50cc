import type { Database } from 'better-sqlite3';
import { up as initialSchema } from './001-initial-schema.ts';
import { up as requestsAndAdapterState } from './002-requests-and-adapter-state.ts';
import { up as disappearingMessages } from './003-disappearing-messages.ts';
import { up as groupMembership } from './004-group-membership.ts';
import { up as messageContent } from './005-message-content.ts';
import { up as accountSecrets } from './006-account-secrets.ts';
import { up as emailUpgrade } from './007-email-upgrade.ts';
import { up as contactMerges } from './008-contact-merges.ts';
import { up as messageEdits } from './009-message-edits.ts';

/** A numbered migration. `version` is the `PRAGMA user_version` after it ran. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/** Every migration, in order. Append only: a shipped migration never changes. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '001-initial-schema', up: initialSchema },
  { version: 2, name: '002-requests-and-adapter-state', up: requestsAndAdapterState },
  { version: 3, name: '003-disappearing-messages', up: disappearingMessages },
  { version: 4, name: '004-group-membership', up: groupMembership },
  { version: 5, name: '005-message-content', up: messageContent },
  { version: 6, name: '006-account-secrets', up: accountSecrets },
  { version: 7, name: '007-email-upgrade', up: emailUpgrade },
  { version: 8, name: '008-contact-merges', up: contactMerges },
  { version: 9, name: '009-message-edits', up: messageEdits },
];
