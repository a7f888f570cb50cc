import { beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES, type CommandName } from '../core/api/command-names.ts';
import type { ApiEvent } from '../core/api/events.ts';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.ts';
import { createPreloadApi, type IpcRendererLike } from './preload-api.ts';

type IpcListener = (event: unknown, ...args: unknown[]) => void;

/** An ipcRenderer that records calls and lets the test push events. */
function fakeIpc(reply: (channel: string, ...args: unknown[]) => Promise<unknown> = () => Promise.resolve({ ok: true, result: null })) {
  const listeners = new Map<string, IpcListener[]>();
  const ipc = {
    invoke: vi.fn(reply),
    on: vi.fn((channel: string, listener: IpcListener) => {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
    }),
  } satisfies IpcRendererLike;
  const push = (payload: unknown) => {
    const sender = { secret: 'the IpcRendererEvent, which must not reach the page' };
    for (const l of listeners.get(EVENT_CHANNEL) ?? []) l(sender, payload);
  };
  return { ipc, push, listeners };
}

const removed: ApiEvent = { type: 'conversation.removed', conversationId: 'c1' };

describe('createPreloadApi', () => {
  it('exposes exactly invoke and on, frozen', () => {
    const api = createPreloadApi(fakeIpc().ipc);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('forwards every command in COMMAND_NAMES over the invoke channel', async () => {
    const { ipc } = fakeIpc();
    const api = createPreloadApi(ipc);
    for (const name of COMMAND_NAMES) {
      await expect(api.invoke(name, { p: 1 })).resolves.toEqual({ ok: true, result: null });
    }
    expect(ipc.invoke.mock.calls.map((c) => c[1])).toEqual([...COMMAND_NAMES]);
    for (const call of ipc.invoke.mock.calls) expect(call[0]).toBe(INVOKE_CHANNEL);
  });

  it.each([['fs.readFile'], ['search '], ['__proto__'], [''], [42], [undefined], [{ toString: () => 'search' }]])(
    'answers the unknown command %s itself, without IPC',
    async (command) => {
      const { ipc } = fakeIpc();
      const api = createPreloadApi(ipc);
      const reply = await api.invoke(command as CommandName, {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(ipc.invoke).not.toHaveBeenCalled();
    },
  );

  it('passes an error reply from main through unchanged', async () => {
    const error = { code: 'not-found', message: 'No such conversation.' };
    const api = createPreloadApi(fakeIpc(() => Promise.resolve({ ok: false, error })).ipc);
    await expect(api.invoke('conversations.get', { conversationId: 'x' })).resolves.toEqual({ ok: false, error });
  });

  it('never rejects: an IPC failure or a malformed reply becomes an internal error', async () => {
    const failing = createPreloadApi(fakeIpc(() => Promise.reject(new Error("No handler registered for 'switchboard:invoke'"))).ipc);
    await expect(failing.invoke('accounts.list', {})).resolves.toMatchObject({ ok: false, error: { code: 'internal' } });
    const throwing = createPreloadApi(
      fakeIpc(() => {
        throw new Error('An object could not be cloned.');
      }).ipc,
    );
    await expect(throwing.invoke('accounts.list', {})).resolves.toMatchObject({ ok: false, error: { code: 'internal' } });
    const garbled = createPreloadApi(fakeIpc(() => Promise.resolve('garbage')).ipc);
    await expect(garbled.invoke('accounts.list', {})).resolves.toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  describe('on', () => {
    let push: (payload: unknown) => void;
    let api: ReturnType<typeof createPreloadApi>;
    let ipc: ReturnType<typeof fakeIpc>['ipc'];

    beforeEach(() => {
      const fake = fakeIpc();
      push = fake.push;
      ipc = fake.ipc;
      api = createPreloadApi(ipc);
    });

    it('delivers the api event alone, never the IPC event object', () => {
      const listener = vi.fn();
      api.on(listener);
      push(removed);
      expect(listener).toHaveBeenCalledTimes(1);
      expect(listener.mock.calls[0]).toEqual([removed]);
    });

    it('stops delivering after unsubscribe, and unsubscribing twice is harmless', () => {
      const listener = vi.fn();
      const off = api.on(listener);
      off();
      off();
      push(removed);
      expect(listener).not.toHaveBeenCalled();
    });

    it('subscribes to IPC once, however many listeners there are', () => {
      for (let i = 0; i < 50; i++) api.on(() => undefined);
      expect(ipc.on).toHaveBeenCalledTimes(1);
      expect(ipc.on).toHaveBeenCalledWith(EVENT_CHANNEL, expect.any(Function));
    });

    it('keeps delivering to others when one listener throws', () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const after = vi.fn();
        api.on(() => {
          throw new Error('boom');
        });
        api.on(after);
        push(removed);
        expect(after).toHaveBeenCalledWith(removed);
      } finally {
        consoleError.mockRestore();
      }
    });

    it('drops payloads that are not events', () => {
      const listener = vi.fn();
      api.on(listener);
      push(null);
      push('text');
      push({ kind: 'no type' });
      expect(listener).not.toHaveBeenCalled();
    });

    it('refuses a listener that is not a function', () => {
      expect(() => api.on('nope' as unknown as (e: ApiEvent) => void)).toThrow(TypeError);
    });
  });
});

// vi.mock is hoisted above the imports, so its fakes must be hoisted too.
const { exposeInMainWorld, ipcRenderer } = vi.hoisted(() => ({
  exposeInMainWorld: vi.fn(),
  ipcRenderer: { invoke: vi.fn(), on: vi.fn() },
}));
vi.mock('electron', () => ({ contextBridge: { exposeInMainWorld }, ipcRenderer }));

describe('preload.ts', () => {
  it('exposes the api as window.switchboard and nothing else', async () => {
    await import('./preload.ts');
    expect(exposeInMainWorld).toHaveBeenCalledTimes(1);
    const [key, api] = exposeInMainWorld.mock.calls[0] as [string, object];
    expect(key).toBe('switchboard');
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.values(api)).not.toContain(ipcRenderer);
    expect(ipcRenderer.on).toHaveBeenCalledWith(EVENT_CHANNEL, expect.any(Function));
  });
});
