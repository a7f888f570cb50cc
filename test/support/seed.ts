/**
 * Fills a profile through the real api and ingest path, with the test double as the accounts'
 * adapter. Used by the e2e tests and the demo host.
 */
import type { Account } from '../../core/api/types.ts';
import type { CoreInternals } from '../../core/create-core.ts';
import { TEST_KIND, type TestNetwork } from './test-adapter.ts';

export interface DemoAccounts {
  email: Account;
  xmpp: Account;
  matrix: Account;
  native: Account;
}

export async function addTestAccounts(core: CoreInternals): Promise<DemoAccounts> {
  const add = (protocol: Account['protocol'], address: string, displayName: string) =>
    core.call('accounts.add', { protocol, kind: TEST_KIND, address, displayName });
  return {
    email: await add('email', 'me@example.org', 'Work mail'),
    xmpp: await add('xmpp', 'me@jabber.example', 'Jabber'),
    matrix: await add('matrix', '@me:matrix.example', 'Matrix'),
    native: await add('native', 'me-native', 'Switchboard'),
  };
}

const PEOPLE = [
  ['Ada Lovelace', 'ada'],
  ['Grace Hopper', 'grace'],
  ['Alan Turing', 'alan'],
  ['Katherine Johnson', 'katherine'],
  ['Linus Pauling', 'linus'],
  ['Margaret Hamilton', 'margaret'],
  ['Claude Shannon', 'claude'],
  ['Hedy Lamarr', 'hedy'],
  ['Tim Berners-Lee', 'tim'],
  ['Radia Perlman', 'radia'],
] as const;

const LINES = [
  'Are we still on for Thursday?',
  'I sent the draft over, let me know what you think.',
  'Ha, that is brilliant 😄',
  'Can you call me when you have a minute?',
  'The train is late again, be there in 20.',
  'Thanks for dinner yesterday!',
  'Did you see the new release notes?',
  'Lunch at the usual place?',
];

/** A realistic small inbox across every protocol, with a group room and some history. */
export async function seedDemo(core: CoreInternals, net: TestNetwork, accounts: DemoAccounts, base = Date.now()): Promise<void> {
  const routes: Account[] = [accounts.email, accounts.xmpp, accounts.matrix, accounts.native];
  PEOPLE.forEach(([name, handle], i) => {
    const account = routes[i % routes.length]!;
    const address =
      account.protocol === 'email' ? `${handle}@example.com` : account.protocol === 'xmpp' ? `${handle}@jabber.example` : account.protocol === 'matrix' ? `@${handle}:matrix.example` : `${handle}-native-key`;
    for (let j = 0; j < 6; j++) {
      net.receive(account.id, { address, displayName: name }, LINES[(i + j) % LINES.length]!, {
        sentAt: base - (i * 3 + (6 - j)) * 37 * 60_000,
      });
    }
  });
  for (let j = 0; j < 5; j++) {
    net.receiveInRoom(accounts.matrix.id, '!oss:matrix.example', 'Open-source maintainers', { address: `@dev${j}:matrix.example`, displayName: `Dev ${j}` }, LINES[j % LINES.length]!, base - (40 - j) * 60_000);
  }
  await core.ingest.idle();
}
