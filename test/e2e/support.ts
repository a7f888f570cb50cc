/**
 * End-to-end harness: the real web host and core on a temp profile, with the test double as the
 * accounts' adapter, driven by Playwright in Debian's Chromium.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createCore, type CoreInternals, type CreateCoreOptions } from '../../core/create-core.ts';
import { startHost, type Host } from '../../core/host/server.ts';
import { TestNetwork } from '../support/test-adapter.ts';

export const STATIC_DIR = join(import.meta.dirname, '..', '..', 'dist', 'renderer');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(join(STATIC_DIR, 'index.html'))) {
    throw new Error('dist/renderer is not built: run `npm run build:renderer` (npm test does it).');
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export interface App {
  core: CoreInternals;
  host: Host;
  net: TestNetwork;
  profileDir: string;
  /** Stops host and core (the profile stays). */
  stop(): Promise<void>;
}

/** Starts core + web host on a profile (a new temp one unless given). */
export async function startApp(opts: { profileDir?: string; core?: Partial<CreateCoreOptions>; net?: TestNetwork } = {}): Promise<App> {
  const profileDir = opts.profileDir ?? mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
  const net = opts.net ?? new TestNetwork();
  const core = createCore({ profileDir, registry: net.registry(), ...opts.core });
  await core.start();
  const host = await startHost({ core, staticDir: STATIC_DIR });
  return {
    core,
    host,
    net,
    profileDir,
    async stop() {
      await host.close();
      await core.close();
    },
  };
}

/** Errors and console errors of every page opened by `openApp` in this process. */
export const pageErrors: string[] = [];

export async function openApp(browser: Browser, app: App, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => {
    pageErrors.push(e.message);
    process.stderr.write(`page error: ${e.message}\n`);
  });
  // Console errors include CSP violations: a policy that blocks the app's own files shows here.
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(app.host.url);
  return page;
}

export function removeProfile(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
