/**
 * The Electron main process: one instance, one window over core, locked down. The decisions live
 * in policy.ts, ipc.ts and notifier.ts; this file only wires them to Electron.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
  type Session,
  type WebContents,
} from 'electron';
import { createCore, defaultRegistry, type Core } from '../core/index.ts';
import { createLogger, errorText } from '../core/log/logger.ts';
import { localKeySecretBox } from '../core/secrets/secret-box.ts';
import { keychainSecretBox } from './secret-box.ts';
import type { NotificationContent } from './attention.ts';
import { forwardEvents, registerInvokeHandler, trustedSenderCheck } from './ipc.ts';
import { isMailViewUrl, MAIL_SCHEME_PRIVILEGES, MAIL_VIEW_SCHEME, mailProtocolHandler } from './mail-protocol.ts';
import { Notifier } from './notifier.ts';
import {
  CONTENT_SECURITY_POLICY,
  externalUrlToOpen,
  isAllowedPermission,
  isAllowedResourceRequest,
  isTrustedSender,
  windowOptions,
} from './policy.ts';

const log = createLogger('electron/main');

const APP_NAME = 'Switchboard';
const APP_ID = 'org.switchboard.app';
// This file is bundled to dist/electron/main.cjs (CommonJS), so __dirname is dist/electron.
const PRELOAD_PATH = join(__dirname, 'preload.cjs');
const RENDERER_DIR = join(__dirname, '..', 'renderer');
const INDEX_PATH = join(RENDERER_DIR, 'index.html');
const INDEX_URL = pathToFileURL(INDEX_PATH).href;
const CONVERSATION_PAGE = 500;

let core: Core | null = null;
let mainWindow: BrowserWindow | null = null;
let quitState: 'running' | 'closing' | 'closed' = 'running';
/** Shown notifications, held so their click handlers are not garbage-collected while on screen. */
const liveNotifications = new Set<Notification>();

function isMainContents(contents: WebContents | null): boolean {
  return contents !== null && mainWindow !== null && !mainWindow.isDestroyed() && contents.id === mainWindow.webContents.id;
}

/** Opens a link in the user's browser or mail client, if policy.ts allows it. */
function openExternal(raw: string): void {
  const url = externalUrlToOpen(raw);
  if (url === null) {
    log.warn('refused to open a link', { scheme: raw.split(':', 1)[0]?.slice(0, 20) ?? '' });
    return;
  }
  shell.openExternal(url).catch((err: unknown) => log.warn('could not open a link', { error: errorText(err) }));
}

/** No popups, no navigation away from the app, no <webview>: for every webContents ever created. */
function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    // A link clicked without target=_blank lands here: it opens outside, the app page stays.
    event.preventDefault();
    openExternal(event.url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** CSP on every response, resource loads confined to the renderer folder, permissions refused. */
function applySessionPolicy(ses: Session): void {
  ses.webRequest.onHeadersReceived((details, callback) => {
    // The mail view brings its own, stricter policy (sandboxed, no script); ours would replace it.
    if (isMailViewUrl(details.url)) {
      callback({});
      return;
    }
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      // Ours replaces any other policy instead of being combined with a looser one.
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedResourceRequest(details.url, RENDERER_DIR, { resourceType: details.resourceType, frameUrl: frameUrlOf(details.frame) });
    // Only the scheme is logged: a full URL can carry a user's data.
    if (!allowed) log.warn('blocked a resource load', { scheme: details.url.split(':', 1)[0]?.slice(0, 20) ?? '' });
    callback({ cancel: !allowed });
  });
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isAllowedPermission(permission) && isMainContents(contents) && isTrustedSender(details.requestingUrl, INDEX_URL));
  });
  ses.setPermissionCheckHandler((contents, permission) => isAllowedPermission(permission) && isMainContents(contents));
}

/** A requesting frame's URL; null once it navigated away or was destroyed (then no exception applies). */
function frameUrlOf(frame: Electron.WebFrameMain | null | undefined): string | null {
  try {
    return frame?.url ?? null;
  } catch {
    return null;
  }
}

function showMainWindow(): void {
  if (mainWindow === null || mainWindow.isDestroyed()) {
    if (core !== null) createMainWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

function createMainWindow(): void {
  const win = new BrowserWindow(windowOptions(PRELOAD_PATH));
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.webContents.on('render-process-gone', (_event, details) => log.error('renderer gone', { reason: details.reason }));
  win.loadFile(INDEX_PATH).catch((err: unknown) => log.error('could not load the renderer', { error: errorText(err) }));
}

function showNotification(content: NotificationContent): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title: content.title, body: content.body });
  liveNotifications.add(notification);
  const forget = () => liveNotifications.delete(notification);
  notification.on('click', () => {
    forget();
    showMainWindow();
  });
  notification.on('close', forget);
  notification.on('failed', forget);
  notification.show();
}

function startNotifier(running: Core): void {
  const notifier = new Notifier({
    getConversation: (conversationId) => running.call('conversations.get', { conversationId }),
    listConversations: (folder, cursor) => running.call('conversations.list', { folder, cursor, limit: CONVERSATION_PAGE }),
    setBadge: (count) => {
      app.setBadgeCount(count);
    },
    notify: showNotification,
    now: () => Date.now(),
  });
  running.onEvent((event) => {
    notifier.handle(event).catch((err: unknown) => log.error('notification failed', { type: event.type, error: errorText(err) }));
  });
  notifier.seed().catch((err: unknown) => log.warn('could not load unread counts', { error: errorText(err) }));
}

async function start(): Promise<void> {
  applySessionPolicy(session.defaultSession);
  const profileDir = app.getPath('userData');
  // After 'ready': before it, safeStorage cannot tell whether a keychain exists.
  const secretBox = keychainSecretBox(safeStorage, localKeySecretBox(profileDir), process.platform, createLogger('electron/secrets'));
  const created = createCore({ profileDir, registry: defaultRegistry(), secretBox });
  // The isolated HTML mail view, on its own scheme (see mail-protocol.ts).
  session.defaultSession.protocol.handle(MAIL_VIEW_SCHEME, mailProtocolHandler(created));
  // Wired before start, so no event of the accounts coming up is missed.
  registerInvokeHandler(ipcMain, created, trustedSenderCheck(() => mainWindow?.webContents.id, INDEX_URL));
  forwardEvents(created, () => (mainWindow === null || mainWindow.isDestroyed() ? null : mainWindow.webContents));
  startNotifier(created);
  try {
    await created.start();
  } catch (err) {
    // Half-started: release the database and any connected adapter before reporting.
    await created.close().catch(() => undefined);
    throw err;
  }
  core = created;
  createMainWindow();
  log.info('started', { profileDir });
}

function fatal(err: unknown): void {
  log.error('startup failed', { error: err instanceof Error ? (err.stack ?? err.message) : errorText(err) });
  dialog.showErrorBox(`${APP_NAME} could not start`, errorText(err));
  app.exit(1);
}

/** Closes core (outbox, adapters, database) before the process ends; Electron does not wait for promises. */
function onWillQuit(event: Electron.Event): void {
  if (core === null || quitState === 'closed') return;
  event.preventDefault();
  if (quitState === 'closing') return;
  quitState = 'closing';
  core
    .close()
    .catch((err: unknown) => log.error('core did not close cleanly', { error: errorText(err) }))
    .finally(() => {
      quitState = 'closed';
      app.quit();
    });
}

// Before 'ready': the profile folder, the sandbox for every renderer, the Windows toast identity.
app.setName(APP_NAME);
// Pinned explicitly (not left to the package name) so it is the folder core/host/profile-dir.ts
// computes, and web mode and the desktop app share one profile.
app.setPath('userData', join(app.getPath('appData'), APP_NAME));
app.enableSandbox();
protocol.registerSchemesAsPrivileged([{ scheme: MAIL_VIEW_SCHEME, privileges: MAIL_SCHEME_PRIVILEGES }]);
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the profile (SQLite, the outbox); it gets focused by 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', () => showMainWindow());
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('window-all-closed', () => {
    // macOS apps stay alive without windows; the dock icon brings the window back.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => showMainWindow());
  app.on('will-quit', onWillQuit);
  app.whenReady().then(start).catch(fatal);
}
