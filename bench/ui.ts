/**
 * The UI benchmark: the built renderer in Debian's Chromium (headless, software rendering) against
 * the real web host and core, on a profile with N conversations and one conversation of B
 * messages fed through the real ingest path.
 *
 *   scroll  — the conversation list scrolled top to bottom, a fixed step per frame, paging in as
 *             the app does; frame intervals, main-thread work per frame, long tasks.
 *   open    — click the big conversation → its 50 newest messages painted; switch away and back.
 *   older   — scroll the open log to the top → one older page painted, several times.
 *   raw     — the same api calls over a WebSocket of the page's own (same host, same token), so
 *             the ratio shows the renderer's share.
 *
 * Prints figures, never asserts timings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { createCore } from '../core/create-core.ts';
import { launchBrowser, startApp, type App } from '../test/e2e/support.ts';
import { TestNetwork } from '../test/support/test-adapter.ts';
import { addBenchAccounts } from './ingest.ts';
import { percentile, summarise } from './stats.ts';
import {
  armOpenInPage,
  awaitOpenInPage,
  installInPage,
  loadOlderInPage,
  rawCallsInPage,
  scrollListInPage,
  watchApiInPage,
  watchFirstRowInPage,
  type FrameRecord,
  type OlderRecord,
  type OpenRecord,
} from './ui-page.ts';
import { feedUiProfile, makeUiPlan, uiPlanMessages, type UiPlan, type UiProfileFigures } from './ui-profile.ts';
import { LATE_FRAME_MS, LIST_PAGE, MESSAGE_PAGE, type CpuShare, type FrameSummary, type MainThreadSplit, type OlderPage, type UiResult } from './ui-types.ts';

export type { UiResult } from './ui-types.ts';

export interface UiBenchOptions {
  conversations: number;
  bigMessages: number;
  perConversation?: number;
  /** Opens of the big conversation (each after switching away). */
  opens?: number;
  /** Older pages loaded by scrolling the log to the top. */
  olderPages?: number;
  /** Then read on until the log holds this many messages and time 3 more pages there. */
  deepMessages?: number;
  /** Raw api calls per baseline. */
  rawRuns?: number;
  /** Pixels the list scrolls per frame. */
  stepPx?: number;
  scrollMaxMs?: number;
  /** Write a Chromium trace of the scroll and the opens here (open it in chrome://tracing or Perfetto). */
  traceFile?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export async function runUiBenchmark(opts: UiBenchOptions): Promise<UiResult> {
  const log = opts.log ?? (() => {});
  const wall = process.hrtime.bigint();
  const loadStart = loadavg()[0]!;
  const plan = makeUiPlan(opts.conversations, opts.bigMessages, opts.perConversation ?? 2);
  const messages = uiPlanMessages(plan);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-ui-bench-'));
  const profileDir = join(dir, 'profile');
  let app: App | null = null;
  let browser: Browser | null = null;
  try {
    log(`UI profile ${profileDir}: ${plan.conversations} conversations, ${messages} messages (${plan.bigMessages} in the big one)`);
    const profile = await buildProfile(profileDir, plan, messages, log);
    log(`ingested ${profile.messagesStored} messages / ${profile.conversationsStored} conversations in ${profile.seconds.toFixed(1)} s`);

    // Reopen the profile as the app would: a fresh core and the web host on it.
    app = await startApp({ profileDir });
    const newest = await app.core.call('messages.page', { conversationId: profile.bigConversationId, limit: MESSAGE_PAGE });
    const top = await app.core.call('conversations.list', { limit: 2 });
    const other = top.items.find((c) => c.id !== profile.bigConversationId);
    if (top.items[0]?.id !== profile.bigConversationId || !other) throw new Error('the big conversation should top the inbox');
    const otherNewest = await app.core.call('messages.page', { conversationId: other.id, limit: MESSAGE_PAGE });
    const expected = Math.min(MESSAGE_PAGE, profile.bigConversationStored);

    browser = await launchBrowser();
    const chromium = browser.version();
    const page = await openPage(browser, app);
    await page.locator(`[role="option"][data-conversation-id="${profile.bigConversationId}"]`).waitFor();
    const firstRow = await page.waitForFunction(() => (window as unknown as { __sbFirstRow?: { dom: number; paint: number } }).__sbFirstRow);
    const firstRowMs = (await firstRow.jsonValue())!;
    const viewport = page.viewportSize() ?? { width: 0, height: 0 };
    await page.evaluate(installInPage);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    if (opts.traceFile) await browser.startTracing(page, { path: opts.traceFile, screenshots: false });

    const rawRuns = opts.rawRuns ?? 30;
    log(`raw api baselines (${rawRuns} runs each)`);
    const token = app.host.token;
    const raw = async (...calls: { command: string; params: unknown }[]) => page.evaluate(rawCallsInPage, { token, calls, runs: rawRuns });
    const conversationId = profile.bigConversationId;
    const pageCall = { command: 'messages.page', params: { conversationId, limit: MESSAGE_PAGE } };
    const pinnedCall = { command: 'messages.pinned', params: { conversationId } };
    const rawNewest = await raw(pageCall);
    const rawOlder = await raw({ command: 'messages.page', params: { conversationId, cursor: rawNewest.nextCursor, limit: MESSAGE_PAGE } });
    const rawList = await raw({ command: 'conversations.list', params: { limit: LIST_PAGE } });
    const rawPinned = await raw(pinnedCall);
    // What ConversationView sends when it mounts, in its order (useConversation, useMessages,
    // usePinnedMessages): the page's reply waits for whatever core does before it.
    const rawView = await raw({ command: 'conversations.get', params: { conversationId } }, pageCall, pinnedCall);

    const stepPx = opts.stepPx ?? 360;
    log(`scroll: ${plan.conversations} rows, ${stepPx} px per frame`);
    let before = await metrics(cdp);
    const cpuBefore = await cpuTimes(browser);
    const scroll = await page.evaluate(scrollListInPage, { stepPx, maxMs: opts.scrollMaxMs ?? 180_000 });
    const scrollCpu = cpuShare(cpuBefore, await cpuTimes(browser));
    const scrollSplit = split(before, await metrics(cdp));
    log(`scroll: ${scroll.rowsLoaded} rows loaded, ${scroll.frames.intervals.length} frames in ${(scroll.frames.elapsed / 1000).toFixed(1)} s`);

    // Back to the top, where the big conversation and the one to switch to are.
    await page.evaluate(() => {
      const list = document.querySelector('[role="listbox"][aria-label="Conversations"]');
      if (list) list.scrollTop = 0;
    });
    const bigRow = page.locator(`[role="option"][data-conversation-id="${profile.bigConversationId}"]`);
    const otherRow = page.locator(`[role="option"][data-conversation-id="${other.id}"]`);
    await bigRow.waitFor();

    const opens = opts.opens ?? 7;
    log(`open: ${opens} × (switch away, open the ${profile.bigConversationStored}-message conversation)`);
    const openRecords: OpenRecord[] = [];
    const awayRecords: OpenRecord[] = [];
    const settleMs = 300;
    before = await metrics(cdp);
    for (let i = 0; i < opens; i++) {
      if (i > 0) {
        awayRecords.push(
          await timedOpen(page, otherRow, { newestId: otherNewest.items.at(-1)!.id, expected: Math.min(MESSAGE_PAGE, otherNewest.items.length), settleMs }),
        );
      }
      openRecords.push(await timedOpen(page, bigRow, { newestId: newest.items.at(-1)!.id, expected, settleMs }));
    }
    const openSplit = split(before, await metrics(cdp));

    const olderPages = Math.min(opts.olderPages ?? 10, Math.ceil(profile.bigConversationStored / MESSAGE_PAGE) - 1);
    log(`older: ${olderPages} pages by scrolling the log to the top`);
    const olderRecords: OlderRecord[] = [];
    before = await metrics(cdp);
    for (let i = 0; i < olderPages; i++) {
      olderRecords.push(await page.evaluate(loadOlderInPage, { pageSize: MESSAGE_PAGE, settleMs: 200, maxMs: 15_000 }));
    }
    const olderSplit = split(before, await metrics(cdp));

    // The log keeps every loaded message in the DOM: read on to `deepMessages`, then time pages there.
    const stored = profile.bigConversationStored;
    let loaded = olderRecords.at(-1)?.messagesAfter ?? expected;
    const deepTarget = Math.min(opts.deepMessages ?? 2_000, stored - 3 * MESSAGE_PAGE);
    if (loaded < deepTarget) log(`older: reading on to ${deepTarget} messages, then timing pages there`);
    while (loaded < deepTarget) {
      loaded = (await page.evaluate(loadOlderInPage, { pageSize: MESSAGE_PAGE, settleMs: 0, maxMs: 30_000 })).messagesAfter;
    }
    const deepRecords: OlderRecord[] = [];
    before = await metrics(cdp);
    for (let i = 0; i < Math.min(3, Math.floor((stored - loaded) / MESSAGE_PAGE)); i++) {
      deepRecords.push(await page.evaluate(loadOlderInPage, { pageSize: MESSAGE_PAGE, settleMs: 200, maxMs: 30_000 }));
    }
    const deepSplit = split(before, await metrics(cdp));
    if (opts.traceFile) {
      await browser.stopTracing();
      log(`trace written to ${opts.traceFile}`);
    }

    return {
      plan,
      messages,
      profile,
      dir,
      kept: !!opts.keep,
      chromium,
      viewport,
      firstRowMs,
      raw: {
        newest: summarise(rawNewest.ms[0]!),
        older: summarise(rawOlder.ms[0]!),
        list: summarise(rawList.ms[0]!),
        pinned: summarise(rawPinned.ms[0]!),
        viewPage: summarise(rawView.ms[1]!),
      },
      loadAverage: [loadStart, loadavg()[0]!],
      scroll: {
        stepPx,
        frames: summariseFrames([scroll.frames]),
        workP50ByQuarter: quarters(scroll.frames.work).map((q) => percentile(q, 50)),
        byPage: pageFrameWork(scroll.frames.work, scroll.pageFrames, scroll.pagesLanded),
        cpu: scrollCpu,
        stalledFrames: scroll.stalledFrames,
        rowsLoaded: scroll.rowsLoaded,
        domRows: scroll.domRows,
        scrolledPx: scroll.scrolled,
        timedOut: scroll.timedOut,
        split: scrollSplit,
      },
      open: {
        expected,
        sentMs: openRecords.map((r) => r.sentMs),
        replyMs: openRecords.map((r) => r.replyMs),
        domMs: openRecords.map((r) => r.domMs),
        paintMs: openRecords.map((r) => r.paintMs),
        switchAwayPaintMs: awayRecords.map((r) => r.paintMs),
        frames: summariseFrames(openRecords.map((r) => r.frames)),
        split: openSplit,
      },
      older: {
        pages: olderRecords.map(pageFigures),
        frames: summariseFrames(olderRecords.map((r) => r.frames)),
        split: olderSplit,
      },
      deep: {
        pages: deepRecords.map(pageFigures),
        frames: summariseFrames(deepRecords.map((r) => r.frames)),
        split: deepSplit,
      },
      wallSeconds: Number(process.hrtime.bigint() - wall) / 1e9,
    };
  } finally {
    await browser?.close();
    await app?.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the profile in a core of its own, closed afterwards, like the core benchmark. */
async function buildProfile(profileDir: string, plan: UiPlan, messages: number, log: (line: string) => void): Promise<UiProfileFigures> {
  const net = new TestNetwork();
  const core = createCore({ profileDir, registry: net.registry() });
  try {
    await core.start();
    const accounts = await addBenchAccounts(core);
    const step = Math.max(Math.floor(messages / 5), 1);
    let next = step;
    const figures = await feedUiProfile(core, net, accounts, plan, (done, s) => {
      if (done >= next) {
        log(`UI profile ingest ${done}/${messages} (${Math.round(done / s)} msg/s)`);
        next += step;
      }
    });
    core.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    return figures;
  } finally {
    await core.close();
  }
}

/**
 * openApp from test/e2e/support.ts, plus init scripts: esbuild's __name helper (tsx compiles with
 * keepNames, and page-side copies of named inner functions call it), the first-row watch and the
 * messages.page watch.
 */
async function openPage(browser: Browser, app: App): Promise<Page> {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
  await context.addInitScript(watchFirstRowInPage);
  await context.addInitScript(watchApiInPage);
  const page = await context.newPage();
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.goto(app.host.url);
  return page;
}

/** Arms the in-page probe, clicks the row as a user would and waits for the messages to paint. */
async function timedOpen(
  page: Page,
  row: ReturnType<Page['locator']>,
  probe: { newestId: string; expected: number; settleMs: number },
): Promise<OpenRecord> {
  await row.scrollIntoViewIfNeeded();
  await page.evaluate(armOpenInPage, { ...probe, maxMs: 15_000 });
  await row.click();
  return page.evaluate(awaitOpenInPage);
}

export function summariseFrames(records: readonly FrameRecord[]): FrameSummary {
  const intervals = records.flatMap((r) => r.intervals);
  const work = records.flatMap((r) => r.work);
  const longTasks = records.flatMap((r) => r.longTasks);
  const longFrames = records.flatMap((r) => r.longFrames).sort((a, b) => b.duration - a.duration);
  // rAF timestamps are vsync-aligned frame times but jitter by ±0.2 ms (16.5–16.8 on an idle
  // page), and a missed frame shows as ≥ 33 ms: anything over 20 ms is a frame over budget.
  return {
    frames: intervals.length,
    interval: summarise(intervals),
    work: summarise(work),
    over16: intervals.filter((x) => x > LATE_FRAME_MS).length,
    over50: intervals.filter((x) => x > 50).length,
    workOver16: work.filter((x) => x > 16).length,
    longTasks: longTasks.length,
    longTaskMs: longTasks.reduce((a, t) => a + t.duration, 0),
    longestTaskMs: longTasks.reduce((a, t) => Math.max(a, t.duration), 0),
    longFrames: longFrames.slice(0, 5).map((f) => `${Math.round(f.duration)} ms (blocking ${Math.round(f.blocking)}): ${f.scripts.join(', ') || 'no script'}`),
    seconds: records.reduce((a, r) => a + r.elapsed, 0) / 1000,
  };
}

type Metrics = Map<string, number>;

async function metrics(cdp: CDPSession): Promise<Metrics> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return new Map(metrics.map((m) => [m.name, m.value]));
}

function split(a: Metrics, b: Metrics): MainThreadSplit {
  const d = (name: string) => (b.get(name) ?? 0) - (a.get(name) ?? 0);
  return {
    taskMs: d('TaskDuration') * 1000,
    scriptMs: d('ScriptDuration') * 1000,
    layoutMs: d('LayoutDuration') * 1000,
    layouts: d('LayoutCount'),
    styleMs: d('RecalcStyleDuration') * 1000,
    styles: d('RecalcStyleCount'),
    nodes: b.get('Nodes') ?? 0,
    heapMb: (b.get('JSHeapUsedSize') ?? 0) / (1024 * 1024),
  };
}

function pageFigures(r: OlderRecord): OlderPage {
  return { domMs: r.domMs, paintMs: r.paintMs, before: r.messagesBefore, after: r.messagesAfter, placeKept: r.placeKept };
}

/** Work per frame around page arrivals and elsewhere: which frames go over budget. */
function pageFrameWork(work: readonly number[], pageFrames: readonly number[], pages: number): UiResult['scroll']['byPage'] {
  const around = new Set(pageFrames);
  const at = work.filter((_, i) => around.has(i));
  const rest = work.filter((_, i) => !around.has(i));
  return {
    pages,
    atPage: summarise(at),
    atPageOver16: at.filter((x) => x > 16).length,
    elsewhere: summarise(rest),
    elsewhereOver16: rest.filter((x) => x > 16).length,
  };
}

/** Four consecutive quarters of a series (the scroll's frames: early rows to late rows). */
function quarters(xs: readonly number[]): number[][] {
  return [0, 1, 2, 3].map((i) => xs.slice(Math.floor((i * xs.length) / 4), Math.floor(((i + 1) * xs.length) / 4)));
}

interface CpuTimes {
  at: number;
  node: number;
  /** Chromium process type → CPU seconds. */
  chromium: Map<string, number>;
}

/** CPU time so far of this process (core, host, Playwright) and of Chromium's processes by type. */
async function cpuTimes(browser: Browser): Promise<CpuTimes> {
  const session = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await session.send('SystemInfo.getProcessInfo');
    const chromium = new Map<string, number>();
    for (const p of processInfo) chromium.set(p.type, (chromium.get(p.type) ?? 0) + p.cpuTime);
    const u = process.cpuUsage();
    return { at: performance.now(), node: (u.user + u.system) / 1e6, chromium };
  } finally {
    await session.detach();
  }
}

/** Percent of one core each used between two readings. */
function cpuShare(a: CpuTimes, b: CpuTimes): CpuShare {
  const seconds = (b.at - a.at) / 1000;
  const pct = (x: number) => (100 * x) / seconds;
  const of = (type: string) => pct((b.chromium.get(type) ?? 0) - (a.chromium.get(type) ?? 0));
  return { node: pct(b.node - a.node), renderer: of('renderer'), gpu: of('GPU'), browser: of('browser') };
}
