/**
 * Code that runs inside the page (passed to Playwright's `page.evaluate`). Playwright sends each
 * function's source text, so nothing from module scope reaches it: `installInPage` puts the
 * shared frame recorder on `window` once per page, and the other functions use it from there.
 *
 * Frame figures: one rAF timestamp per frame the page produced → intervals between frames.
 * "Main-thread work per frame": from a frame's rAF timestamp until a message posted from its
 * rAF callback runs, i.e. until that frame's scroll handlers, React renders, rAF callbacks,
 * style, layout and paint are done and the main thread is free again.
 */

export interface FrameRecord {
  /** Intervals between consecutive rAF timestamps (ms). */
  intervals: number[];
  /** Main-thread time per frame (ms), see above. */
  work: number[];
  longTasks: { start: number; duration: number }[];
  /** Long animation frames (Chromium's LoAF entries, ≥ 50 ms), where supported. */
  longFrames: { start: number; duration: number; blocking: number; scripts: string[] }[];
  /** Wall time recorded (ms). */
  elapsed: number;
}

export interface ScrollRecord {
  frames: FrameRecord;
  /** Frames where the list sat at its loaded end waiting for the next page ("Loading…" showing). */
  stalledFrames: number;
  /**
   * Indexes (into frames.work) of the frames around a page of conversations landing: the list's
   * height grew at the frame's rAF, so the page rendered in it or in the one before.
   */
  pageFrames: number[];
  /** Times the list's height grew during the scroll (pages landing). */
  pagesLanded: number;
  /** Rows loaded at the end (the last row's index + 1). */
  rowsLoaded: number;
  /** Pixels scrolled. */
  scrolled: number;
  scrollHeight: number;
  timedOut: boolean;
  /** Rows in the DOM at the end (the virtual list keeps this small). */
  domRows: number;
}

export interface OpenRecord {
  /** Click → the app sent its messages.page call / got its reply (ms; NaN if not seen). */
  sentMs: number;
  replyMs: number;
  /** Click → the DOM holds the expected messages (ms). */
  domMs: number;
  /** Click → the frame showing them has been painted (ms). */
  paintMs: number;
  messagesInDom: number;
  /** From the click until `settleMs` after the paint. */
  frames: FrameRecord;
}

export interface OlderRecord {
  /** scrollTop = 0 → the older page is in the DOM (ms). */
  domMs: number;
  /** … and painted (ms). */
  paintMs: number;
  messagesBefore: number;
  messagesAfter: number;
  /** The message at the top of the view before is still in view after (the place is kept). */
  placeKept: boolean;
  frames: FrameRecord;
}

export interface RawCallRecord {
  /** Per call of a run, the time of every run (ms): first frame sent → this reply parsed. */
  ms: number[][];
  /** Items and cursor of the first call's last reply. */
  items: number;
  nextCursor: string | null;
}

interface Recorder {
  stop(): Promise<FrameRecord>;
}

interface Probe {
  recordFrames(): Recorder;
  /** After the DOM changed: resolves once the next frame has been painted (page clock). */
  afterNextPaint(): Promise<number>;
  open?: Promise<OpenRecord>;
}

type ProbeWindow = Window & { __sbProbe: Probe; __name?: unknown };

/**
 * An init script (runs before the page's own scripts): notes when the first conversation row
 * enters the DOM and when the frame showing it has been painted (page clock: ms since navigation).
 */
export function watchFirstRowInPage(): void {
  const w = window as unknown as { __sbFirstRow?: { dom: number; paint: number } };
  const mo = new MutationObserver(() => {
    if (!document.querySelector('[role="option"]')) return;
    mo.disconnect();
    const dom = performance.now();
    requestAnimationFrame(() => {
      const c = new MessageChannel();
      c.port1.onmessage = () => {
        c.port1.close();
        w.__sbFirstRow = { dom, paint: performance.now() };
      };
      c.port2.postMessage(0);
    });
  });
  mo.observe(document, { childList: true, subtree: true });
}

/**
 * An init script: notes when the app sends a newest-page `messages.page` call and when its reply
 * arrives (page clock), so an open splits into renderer-before-fetch, api and render time.
 */
export function watchApiInPage(): void {
  const w = window as unknown as { __sbApi: { sentAt: number; replyAt: number; id: number } };
  w.__sbApi = { sentAt: -1, replyAt: -1, id: -1 };
  // The originals, taken as plain functions and called with the socket as `this`.
  type Send = (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) => void;
  type Add = (this: WebSocket, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) => void;
  const send = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'send')!.value as Send;
  const add = Object.getOwnPropertyDescriptor(EventTarget.prototype, 'addEventListener')!.value as Add;
  WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
    if (typeof data === 'string' && data.includes('"messages.page"') && !data.includes('"cursor"')) {
      const frame = JSON.parse(data) as { id: number };
      w.__sbApi = { sentAt: performance.now(), replyAt: -1, id: frame.id };
    }
    send.call(this, data);
  };
  WebSocket.prototype.addEventListener = function (
    this: WebSocket,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) {
    if (type === 'message') {
      add.call(this, 'message', (e: Event) => {
        const api = w.__sbApi;
        const data = (e as MessageEvent<unknown>).data;
        if (api.replyAt < 0 && typeof data === 'string' && data.startsWith(`{"kind":"reply","id":${api.id},`)) api.replyAt = performance.now();
      });
    }
    add.call(this, type, listener, options);
  };
}

/** Installs the frame recorder. Run once per page before the other functions. */
export function installInPage(): void {
  const w = window as unknown as ProbeWindow;
  // tsx compiles with esbuild's keepNames, which wraps named inner functions in __name(…):
  // page-side copies of them need it defined.
  w.__name ??= (f: unknown) => f;
  const afterNextPaint = () =>
    new Promise<number>((resolve) => {
      requestAnimationFrame(() => {
        const c = new MessageChannel();
        c.port1.onmessage = () => {
          c.port1.close();
          resolve(performance.now());
        };
        c.port2.postMessage(0);
      });
    });
  const recordFrames = (): Recorder => {
    const started = performance.now();
    const intervals: number[] = [];
    const work: number[] = [];
    const longTasks: FrameRecord['longTasks'] = [];
    const longFrames: FrameRecord['longFrames'] = [];
    const observers: { o: PerformanceObserver; fn: (e: PerformanceEntry) => void }[] = [];
    const observe = (type: string, fn: (e: PerformanceEntry) => void) => {
      if (!PerformanceObserver.supportedEntryTypes.includes(type)) return;
      const o = new PerformanceObserver((l) => l.getEntries().forEach(fn));
      o.observe({ type });
      observers.push({ o, fn });
    };
    observe('longtask', (e) => longTasks.push({ start: e.startTime, duration: e.duration }));
    observe('long-animation-frame', (e) => {
      const f = e as PerformanceEntry & { blockingDuration?: number; scripts?: { invoker?: string; duration?: number }[] };
      longFrames.push({
        start: e.startTime,
        duration: e.duration,
        blocking: f.blockingDuration ?? 0,
        scripts: (f.scripts ?? []).map((s) => `${s.invoker ?? '?'} ${Math.round(s.duration ?? 0)}ms`),
      });
    });
    const channel = new MessageChannel();
    let frameStart = 0;
    channel.port1.onmessage = () => work.push(performance.now() - frameStart);
    let last = -1;
    let running = true;
    const tick = (ts: number) => {
      if (!running) return;
      if (last >= 0) intervals.push(ts - last);
      last = ts;
      frameStart = ts;
      channel.port2.postMessage(0);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return {
      stop: () =>
        new Promise<FrameRecord>((resolve) => {
          running = false;
          // Let the last posted message and observer callbacks land before reading.
          setTimeout(() => {
            for (const { o, fn } of observers) {
              o.takeRecords().forEach(fn);
              o.disconnect();
            }
            channel.port1.close();
            resolve({ intervals, work, longTasks, longFrames, elapsed: performance.now() - started });
          }, 50);
        }),
    };
  };
  w.__sbProbe = { recordFrames, afterNextPaint };
}

/**
 * Scrolls the conversation list from the top to the bottom, `stepPx` per frame (set in rAF), the
 * app paging in as it goes, until the bottom is reached with nothing more to load or `maxMs`.
 */
export function scrollListInPage(args: { stepPx: number; maxMs: number }): Promise<ScrollRecord> {
  const probe = (window as unknown as ProbeWindow).__sbProbe;
  const list = document.querySelector<HTMLElement>('[role="listbox"][aria-label="Conversations"]');
  if (!list) throw new Error('no conversation list');
  list.scrollTop = 0;
  return new Promise<ScrollRecord>((resolve) => {
    const recorder = probe.recordFrames();
    const started = performance.now();
    let stalledFrames = 0;
    let doneFrames = 0;
    let scrolled = 0;
    let frame = -1;
    let height = list.scrollHeight;
    const pageFrames: number[] = [];
    let pagesLanded = 0;
    const finish = async (timedOut: boolean) => {
      const frames = await recorder.stop();
      const rows = list.querySelectorAll<HTMLElement>('[role="option"]');
      const lastRow = rows[rows.length - 1];
      resolve({
        frames,
        stalledFrames,
        pageFrames,
        pagesLanded,
        rowsLoaded: lastRow ? Number(lastRow.dataset.index) + 1 : 0,
        scrolled,
        scrollHeight: list.scrollHeight,
        timedOut,
        domRows: rows.length,
      });
    };
    // Registered right after the recorder's, so both run in the same frames: frame i here is
    // work[i] there.
    const tick = (ts: number) => {
      frame++;
      if (list.scrollHeight !== height) {
        height = list.scrollHeight;
        pagesLanded++;
        if (frame > 0) pageFrames.push(frame - 1);
        pageFrames.push(frame);
      }
      const max = list.scrollHeight - list.clientHeight;
      const before = list.scrollTop;
      if (before >= max - 1) {
        if (list.querySelector('.row-loading')) {
          stalledFrames++;
          doneFrames = 0;
        } else if (++doneFrames >= 20) {
          // At the bottom for 20 frames and no loading row: everything is loaded.
          void finish(false);
          return;
        }
      } else doneFrames = 0;
      if (ts - started > args.maxMs) {
        void finish(true);
        return;
      }
      list.scrollTop = before + args.stepPx;
      scrolled += list.scrollTop - before;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/**
 * Arms a probe that resolves once the message log holds `expected` messages including
 * `newestId`, timed from the next click's event time. Call it, click, then `awaitOpenInPage`.
 * Frames are recorded from the click until `settleMs` after the paint (replies such as
 * markRead and the renders they cause land in that window).
 */
export function armOpenInPage(args: { newestId: string; expected: number; settleMs: number; maxMs: number }): void {
  const probe = (window as unknown as ProbeWindow).__sbProbe;
  probe.open = new Promise<OpenRecord>((resolve, reject) => {
    let clickAt = -1;
    let recorder: Recorder | null = null;
    let messagesInDom = 0;
    const timer = setTimeout(() => {
      cleanup();
      void recorder?.stop();
      reject(new Error(`open: not ${args.expected} messages with ${args.newestId} after ${args.maxMs} ms (saw ${messagesInDom})`));
    }, args.maxMs);
    const onClick = (e: Event) => {
      if (clickAt >= 0) return;
      clickAt = e.timeStamp;
      recorder = probe.recordFrames();
    };
    const mo = new MutationObserver(() => {
      if (clickAt < 0) return;
      const log = document.querySelector('[role="log"][aria-label="Messages"]');
      if (!log) return;
      messagesInDom = log.querySelectorAll('[data-message-id]').length;
      if (messagesInDom < args.expected || !log.querySelector(`[data-message-id="${CSS.escape(args.newestId)}"]`)) return;
      const domAt = performance.now();
      cleanup();
      void probe.afterNextPaint().then((paintAt) =>
        setTimeout(() => {
          void recorder!.stop().then((frames) => {
            const api = (window as unknown as { __sbApi?: { sentAt: number; replyAt: number } }).__sbApi;
            const since = (t: number | undefined) => (t !== undefined && t >= clickAt ? t - clickAt : Number.NaN);
            resolve({ sentMs: since(api?.sentAt), replyMs: since(api?.replyAt), domMs: domAt - clickAt, paintMs: paintAt - clickAt, messagesInDom, frames });
          });
        }, args.settleMs),
      );
    });
    const cleanup = () => {
      clearTimeout(timer);
      mo.disconnect();
      window.removeEventListener('click', onClick, { capture: true });
    };
    window.addEventListener('click', onClick, { capture: true });
    mo.observe(document.body, { childList: true, subtree: true });
  });
}

export function awaitOpenInPage(): Promise<OpenRecord> {
  const open = (window as unknown as ProbeWindow).__sbProbe.open;
  if (!open) throw new Error('armOpenInPage was not called');
  return open;
}

/** Scrolls the open message log to its top and times until one more page is in and painted. */
export function loadOlderInPage(args: { pageSize: number; settleMs: number; maxMs: number }): Promise<OlderRecord> {
  const probe = (window as unknown as ProbeWindow).__sbProbe;
  const log = document.querySelector<HTMLElement>('[role="log"][aria-label="Messages"]');
  if (!log) throw new Error('no message log');
  const count = () => log.querySelectorAll('[data-message-id]').length;
  const before = count();
  // Scrolled to the top, the first message is the one the reader sees; it must stay in view.
  const topId = log.querySelector<HTMLElement>('[data-message-id]')?.dataset.messageId ?? '';
  const inView = (id: string) => {
    const box = log.getBoundingClientRect();
    const el = log.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > box.top && r.top < box.bottom;
  };
  return new Promise<OlderRecord>((resolve, reject) => {
    const recorder = probe.recordFrames();
    const started = performance.now();
    const timer = setTimeout(() => {
      mo.disconnect();
      void recorder.stop();
      reject(new Error(`older page: still ${count()} messages after ${args.maxMs} ms (had ${before})`));
    }, args.maxMs);
    const mo = new MutationObserver(() => {
      if (count() < before + args.pageSize) return;
      const domAt = performance.now();
      mo.disconnect();
      clearTimeout(timer);
      void probe.afterNextPaint().then((paintAt) => {
        const placeKept = topId === '' || inView(topId);
        setTimeout(() => {
          void recorder.stop().then((frames) =>
            resolve({ domMs: domAt - started, paintMs: paintAt - started, messagesBefore: before, messagesAfter: count(), placeKept, frames }),
          );
        }, args.settleMs);
      });
    });
    mo.observe(log, { childList: true, subtree: true });
    log.scrollTop = 0;
  });
}

/**
 * The baseline: raw api calls over a WebSocket of the page's own (same host, same token). Each
 * run sends `calls` back to back (as a view does when it mounts) and times every reply from the
 * moment the first frame went out to its parsed reply; runs follow one another.
 */
export function rawCallsInPage(args: { token: string; calls: { command: string; params: unknown }[]; runs: number }): Promise<RawCallRecord> {
  return new Promise<RawCallRecord>((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/api`, [`switchboard.token.${args.token}`]);
    const ms: number[][] = args.calls.map(() => []);
    let run = 0;
    let nextId = 0;
    let firstId = 0;
    let pending = 0;
    let sentAt = 0;
    let items = 0;
    let nextCursor: string | null = null;
    const send = () => {
      sentAt = performance.now();
      firstId = nextId + 1;
      pending = args.calls.length;
      for (const c of args.calls) ws.send(JSON.stringify({ kind: 'call', id: ++nextId, command: c.command, params: c.params }));
    };
    ws.onopen = send;
    ws.onerror = () => reject(new Error('raw api socket failed'));
    ws.onmessage = (e: MessageEvent<string>) => {
      const frame = JSON.parse(e.data) as {
        kind: string;
        id?: number;
        ok?: boolean;
        result?: { items?: unknown[]; nextCursor?: string | null };
        error?: { message: string };
      };
      if (frame.kind !== 'reply' || frame.id === undefined || frame.id < firstId) return;
      const index = frame.id - firstId;
      ms[index]!.push(performance.now() - sentAt);
      if (!frame.ok) {
        ws.close();
        reject(new Error(`raw ${args.calls[index]?.command}: ${frame.error?.message ?? 'failed'}`));
        return;
      }
      if (index === 0) {
        items = frame.result?.items?.length ?? 0;
        nextCursor = frame.result?.nextCursor ?? null;
      }
      if (--pending > 0) return;
      if (++run < args.runs) send();
      else {
        ws.close();
        resolve({ ms, items, nextCursor });
      }
    };
  });
}
