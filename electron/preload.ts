/**
 * The sandboxed preload: puts `window.switchboard` ({ invoke, on }) in the page and nothing else.
 * Sandboxed preloads can require only 'electron', so build.mjs bundles this file into one CJS file.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './preload-api.ts';

contextBridge.exposeInMainWorld('switchboard', createPreloadApi(ipcRenderer));
