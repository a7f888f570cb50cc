import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../core/api/commands.ts';
import type { ApiEvent } from '../core/api/events.ts';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.ts';
import {
  type CommandRunner,
  forwardEvents,
  type InvokeEventLike,
  makeInvokeHandler,
  registerInvokeHandler,
  trustedSenderCheck,
} from './ipc.ts';
import { conversation } from './test-fixtures.ts';

const INDEX = 'file:///opt/Switchboard/dist/renderer/index.html';
const MAIN_ID = 7;

function event(over: { id?: number; url?: string; parent?: unknown; frame?: null } = {}): InvokeEventLike {
  return {
    sender: { id: over.id ?? MAIN_ID },
    senderFrame: over.frame === null ? null : { url: over.url ?? INDEX, parent: over.parent ?? null },
  };
}

function fakeCore(call: CommandRunner['call'] = () => Promise.resolve({ items: [], nextCursor: null })) {
  return { call: vi.fn(call) };
}

const trusted = () => true;

describe('trustedSenderCheck', () => {
  const check = trustedSenderCheck(() => MAIN_ID, INDEX);

  it('accepts the main window showing our index page', () => {
    expect(check(event())).toBe(true);
    expect(check(event({ url: `${INDEX}#/settings` }))).toBe(true);
  });

  it('refuses another webContents, even showing our page', () => {
    expect(check(event({ id: MAIN_ID + 1 }))).toBe(false);
  });

  it('refuses a subframe of the main window', () => {
    expect(check(event({ parent: { url: INDEX } }))).toBe(false);
  });

  it('refuses a destroyed or navigated frame', () => {
    expect(check(event({ frame: null }))).toBe(false);
  });

  it('refuses the main window once it shows something else', () => {
    expect(check(event({ url: 'https://evil.example/' }))).toBe(false);
    expect(check(event({ url: 'file:///tmp/index.html' }))).toBe(false);
  });

  it('refuses everything while there is no main window', () => {
    expect(trustedSenderCheck(() => undefined, INDEX)(event())).toBe(false);
  });
});

describe('makeInvokeHandler', () => {
  it('runs a known command and wraps the result', async () => {
    const summary = conversation();
    const core = fakeCore(() => Promise.resolve(summary));
    const reply = await makeInvokeHandler(core, trusted)(event(), 'conversations.get', { conversationId: 'c1' });
    expect(reply).toEqual({ ok: true, result: summary });
    expect(core.call).toHaveBeenCalledWith('conversations.get', { conversationId: 'c1' });
  });

  it('refuses an untrusted sender without touching core, and logs it', async () => {
    const core = fakeCore();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const reply = await makeInvokeHandler(core, () => false)(event({ url: 'https://evil.example/' }), 'accounts.list', {});
      expect(reply).toEqual({ ok: false, error: { code: 'unauthorized', message: expect.any(String) as string } });
      expect(core.call).not.toHaveBeenCalled();
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('evil.example');
    } finally {
      stderr.mockRestore();
    }
  });

  it.each([['fs.readFile'], ['__proto__'], ['constructor'], [''], [42], [null], [{ toString: () => 'search' }]])(
    'refuses the unknown command %s without touching core',
    async (command) => {
      const core = fakeCore();
      const reply = await makeInvokeHandler(core, trusted)(event(), command, {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(core.call).not.toHaveBeenCalled();
    },
  );

  it('keeps the code and message of an ApiError', async () => {
    const core = fakeCore(() => Promise.reject(new ApiError('not-found', 'No such conversation.')));
    const reply = await makeInvokeHandler(core, trusted)(event(), 'conversations.get', { conversationId: 'nope' });
    expect(reply).toEqual({ ok: false, error: { code: 'not-found', message: 'No such conversation.' } });
  });

  it.each([['bad-request'], ['timeout'], ['conflict'], ['unauthorized']] as const)('keeps the ApiError code %s', async (code) => {
    const core = fakeCore(() => Promise.reject(new ApiError(code, 'x')));
    const reply = await makeInvokeHandler(core, trusted)(event(), 'search', { query: 'q' });
    expect(reply).toMatchObject({ ok: false, error: { code } });
  });

  it('turns any other failure into a safe internal error, hiding its text from the page', async () => {
    const core = fakeCore(() => Promise.reject(new Error('SQLITE_CORRUPT at /home/ada/.config/Switchboard/switchboard.sqlite')));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const reply = await makeInvokeHandler(core, trusted)(event(), 'messages.send', { conversationId: 'c1', text: 'secret body' });
      expect(reply).toMatchObject({ ok: false, error: { code: 'internal' } });
      expect(JSON.stringify(reply)).not.toContain('SQLITE_CORRUPT');
      const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(logged).toContain('messages.send');
      expect(logged).not.toContain('secret body');
    } finally {
      stderr.mockRestore();
    }
  });

  it('treats a thrown non-Error as internal too', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is the case under test
    const core = fakeCore(() => Promise.reject('a string'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const reply = await makeInvokeHandler(core, trusted)(event(), 'accounts.list', {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'internal' } });
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('registerInvokeHandler', () => {
  it('handles the invoke channel and can remove itself', async () => {
    const handlers = new Map<string, (...args: never[]) => unknown>();
    const ipcMain = {
      handle: vi.fn((channel: string, fn: (...args: never[]) => unknown) => void handlers.set(channel, fn)),
      removeHandler: vi.fn((channel: string) => void handlers.delete(channel)),
    };
    const core = fakeCore(() => Promise.resolve([]));
    const remove = registerInvokeHandler(ipcMain, core, trusted);
    const handler = handlers.get(INVOKE_CHANNEL) as ((e: InvokeEventLike, c: unknown, p: unknown) => Promise<unknown>) | undefined;
    expect(handler).toBeDefined();
    await expect(handler?.(event(), 'accounts.list', {})).resolves.toEqual({ ok: true, result: [] });
    remove();
    expect(handlers.has(INVOKE_CHANNEL)).toBe(false);
  });
});

describe('forwardEvents', () => {
  function eventCore() {
    let listener: ((e: ApiEvent) => void) | null = null;
    const unsubscribe = vi.fn();
    return {
      core: {
        onEvent: (fn: (e: ApiEvent) => void) => {
          listener = fn;
          return unsubscribe;
        },
      },
      emit: (e: ApiEvent) => listener?.(e),
      unsubscribe,
    };
  }
  const removed: ApiEvent = { type: 'conversation.removed', conversationId: 'c1' };

  it('sends each event to the window on the event channel', () => {
    const { core, emit } = eventCore();
    const send = vi.fn();
    forwardEvents(core, () => ({ isDestroyed: () => false, send }));
    emit(removed);
    expect(send).toHaveBeenCalledWith(EVENT_CHANNEL, removed);
  });

  it('skips a missing or destroyed window', () => {
    const { core, emit } = eventCore();
    const send = vi.fn();
    let target: { isDestroyed(): boolean; send: typeof send } | null = null;
    forwardEvents(core, () => target);
    emit(removed);
    target = { isDestroyed: () => true, send };
    emit(removed);
    expect(send).not.toHaveBeenCalled();
  });

  it('survives a send that throws, and returns core\'s unsubscribe', () => {
    const { core, emit, unsubscribe } = eventCore();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const stop = forwardEvents(core, () => ({
        isDestroyed: () => false,
        send: () => {
          throw new Error('An object could not be cloned.');
        },
      }));
      expect(() => emit(removed)).not.toThrow();
      stop();
      expect(unsubscribe).toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });
});
