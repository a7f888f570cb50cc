/** Result types and constants of the UI benchmark, apart from bench/ui.ts so that the report can
 * read them without loading Playwright. */
import type { Summary } from './stats.ts';
import type { UiPlan, UiProfileFigures } from './ui-profile.ts';

/** The renderer's page sizes (renderer/src/state/useMessages.ts, useConversationList.ts). */
export const MESSAGE_PAGE = 50;
export const LIST_PAGE = 100;
/** One frame at 60 Hz. */
export const FRAME_MS = 1000 / 60;
/** A frame interval above this missed at least one 60 Hz frame (rAF jitter is ±0.2 ms). */
export const LATE_FRAME_MS = FRAME_MS * 1.2;

export interface FrameSummary {
  frames: number;
  interval: Summary;
  work: Summary;
  /** Frame intervals over LATE_FRAME_MS: the page missed at least one 60 Hz frame. */
  over16: number;
  over50: number;
  /** Frames whose main-thread work took over 16 ms. */
  workOver16: number;
  longTasks: number;
  longTaskMs: number;
  longestTaskMs: number;
  /** Long animation frames (≥ 50 ms) with the scripts in them, worst first (up to 5). */
  longFrames: string[];
  seconds: number;
}

/** CPU used during a phase, in percent of one core. */
export interface CpuShare {
  /** This process: core, web host and Playwright. */
  node: number;
  renderer: number;
  gpu: number;
  browser: number;
}

/** Main-thread time by kind over one phase, from CDP Performance.getMetrics (ms). */
export interface MainThreadSplit {
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  layouts: number;
  styleMs: number;
  styles: number;
  /** DOM nodes and JS heap at the end of the phase. */
  nodes: number;
  heapMb: number;
}

export interface OlderPage {
  domMs: number;
  paintMs: number;
  /** Messages in the log before and after. */
  before: number;
  after: number;
  placeKept: boolean;
}

export interface UiResult {
  plan: UiPlan;
  messages: number;
  profile: UiProfileFigures;
  dir: string;
  kept: boolean;
  chromium: string;
  viewport: { width: number; height: number };
  /** Navigation start → the first conversation row in the DOM / painted (page clock, ms). */
  firstRowMs: { dom: number; paint: number };
  /** Raw api round trips from the page (ms). */
  raw: {
    newest: Summary;
    older: Summary;
    list: Summary;
    pinned: Summary;
    /** messages.page's reply when sent together with the calls ConversationView makes with it. */
    viewPage: Summary;
  };
  /** 1-minute load average at the start and the end of the UI run. */
  loadAverage: [number, number];
  scroll: {
    stepPx: number;
    frames: FrameSummary;
    /** Median main-thread work per frame in each quarter of the scroll (rows loaded grow). */
    workP50ByQuarter: number[];
    /** Work per frame in the two frames around each page of conversations landing, and in the rest. */
    byPage: { pages: number; atPage: Summary; atPageOver16: number; elsewhere: Summary; elsewhereOver16: number };
    cpu: CpuShare;
    stalledFrames: number;
    rowsLoaded: number;
    domRows: number;
    scrolledPx: number;
    timedOut: boolean;
    split: MainThreadSplit;
  };
  open: {
    expected: number;
    /** Click → the app's messages.page call went out / its reply came in. */
    sentMs: number[];
    replyMs: number[];
    domMs: number[];
    paintMs: number[];
    /** Opening the other conversation (switching away), painted. */
    switchAwayPaintMs: number[];
    frames: FrameSummary;
    split: MainThreadSplit;
  };
  older: {
    pages: OlderPage[];
    frames: FrameSummary;
    split: MainThreadSplit;
  };
  /** Older pages once the log holds `deepMessages` (the log is not virtualised: all stay in the DOM). */
  deep: {
    pages: OlderPage[];
    frames: FrameSummary;
    split: MainThreadSplit;
  };
  wallSeconds: number;
}
