/**
 * Playwright's web-first assertions (auto-waiting `toBeVisible`, `toContainText`…) without its
 * test runner: playwright-core has no `expect`, so this is a small retrying wrapper over Vitest's.
 */
import { expect as vexpect } from 'vitest';
import type { Locator } from 'playwright-core';

const DEFAULT_TIMEOUT = 10_000;

interface Opts {
  timeout?: number;
}

async function retry(check: () => Promise<void>, timeout: number): Promise<void> {
  const end = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw last;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertions(locator: Locator, negate: boolean) {
  const is = (v: boolean) => vexpect(v).toBe(!negate);
  return {
    toBeVisible: (o: Opts = {}) => retry(async () => is(await locator.isVisible()), o.timeout ?? DEFAULT_TIMEOUT),
    toBeHidden: (o: Opts = {}) => retry(async () => vexpect(await locator.isHidden()).toBe(!negate), o.timeout ?? DEFAULT_TIMEOUT),
    toHaveCount: (n: number, o: Opts = {}) => retry(async () => is((await locator.count()) === n), o.timeout ?? DEFAULT_TIMEOUT),
    toContainText: (text: string, o: Opts = {}) =>
      retry(async () => {
        const all = (await locator.allInnerTexts()).join('\n');
        if (negate) vexpect(all).not.toContain(text);
        else vexpect(all).toContain(text);
      }, o.timeout ?? DEFAULT_TIMEOUT),
  };
}

export function expect(locator: Locator) {
  return { ...assertions(locator, false), not: assertions(locator, true) };
}
