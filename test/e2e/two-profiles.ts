/**
 * Two Switchboard profiles in web mode (Alice and Bob), each with an email account on the real
 * Dovecot + Postfix and an encrypted-chat account on a real relay, each in its own Chromium page;
 * plus restarting a profile on its own folder, as quitting and starting the app does.
 */
import type { Browser, Page } from 'playwright-core';
import { defaultRegistry } from '../../adapters/registry.ts';
import type { Account } from '../../core/api/types.ts';
import type { MailAccount, MailServers } from '../servers/mail.ts';
import type { TestRelay } from '../servers/relay.ts';
import { emailTestSettings } from '../support/email-accounts.ts';
import { until } from '../support/harness.ts';
import { openApp, removeProfile, startApp, type App } from './support.ts';

export interface Person {
  name: string;
  user: MailAccount;
  app: App;
  page: Page;
  email: Account;
  native: Account;
}

const appOptions = { core: { registry: defaultRegistry(), outbox: { backoff: () => 200 } } };

/** Both accounts online. */
async function online(p: Pick<Person, 'app' | 'email' | 'native' | 'name'>): Promise<void> {
  const accounts = p.app.core.ctx.accounts;
  await until(() => accounts.isAvailable(p.email.id) && accounts.isAvailable(p.native.id), `${p.name} online`, 20_000);
}

/** A profile with both accounts, online, open in a page. Security notices are off: this is not their test. */
export async function person(browser: Browser, name: string, user: MailAccount, servers: MailServers, relay: TestRelay): Promise<Person> {
  const app = await startApp(appOptions);
  const email = await app.core.call('accounts.add', { protocol: 'email', address: user.address, displayName: name, settings: emailTestSettings(servers), secrets: { password: user.password } });
  const native = await app.core.call('accounts.add', { protocol: 'native', address: name, displayName: name, settings: { relays: [relay.url], backoffMs: { first: 50, max: 500 } } });
  await app.core.call('settings.set', { securityDialogs: false });
  const p = { name, user, app, email, native, page: null as unknown as Page };
  await online(p);
  p.page = await openApp(browser, app);
  return p;
}

/** Quits and starts the profile again on the same folder, and opens a new page on it. */
export async function restart(browser: Browser, p: Person): Promise<void> {
  await p.page.context().close();
  await p.app.stop();
  p.app = await startApp({ ...appOptions, profileDir: p.app.profileDir });
  await online(p);
  p.page = await openApp(browser, p.app);
}

export async function dispose(p: Person | undefined): Promise<void> {
  if (!p) return;
  await p.app.stop();
  removeProfile(p.app.profileDir);
}
