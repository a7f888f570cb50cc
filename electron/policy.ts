/**
 * The desktop shell's security decisions as pure functions: window options, the Content Security
 * Policy, which links may leave the app, which IPC senders and resource loads are ours.
 * No Electron at runtime (the one import is type-only), so every rule is unit-tested.
 */
import { fileURLToPath } from 'node:url';
import { isAbsolute, relative, sep } from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { MAIL_VIEW_ORIGIN } from '../core/api/wire.ts';

/** Options for every BrowserWindow the app opens. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 480,
    title: 'Switchboard',
    // Shown on 'ready-to-show', so the user never sees an unstyled flash.
    show: false,
    webPreferences: {
      preload: preloadPath,
      // The renderer is a web page: no Node, its own JS world, Chromium's OS sandbox.
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      // No <webview>: HTML mail gets an isolated view of its own, never a guest page.
      webviewTag: false,
      experimentalFeatures: false,
      enableWebSQL: false,
      // Dropping a file on the window must not navigate away from the app.
      navigateOnDragDrop: false,
      // A page cannot lock the user in a loop of alert() dialogs.
      safeDialogs: true,
      spellcheck: true,
      // The `remote` module no longer exists (removed in Electron 14), so there is nothing to turn off.
    },
  };
}

/**
 * Each directive with the reason it allows what it allows. Anything absent falls back to
 * `default-src 'none'`: no frames, media, workers, manifests, objects.
 */
const CSP_DIRECTIVES: ReadonlyArray<readonly [directive: string, sources: string]> = [
  // Refuse everything not allowed below.
  ['default-src', "'none'"],
  // Only the bundled scripts in dist/renderer: no inline script, no eval, no remote code.
  ['script-src', "'self'"],
  // Vite emits CSS files. No 'unsafe-inline': React sets `style={...}` through the CSSOM, which
  // CSP does not restrict, so inline <style> and style="" markup are never needed.
  ['style-src', "'self'"],
  // Bundled images, and data: URLs for avatars and icons inlined by the build or made by core.
  ['img-src', "'self' data:"],
  // Bundled fonts only; the app never fetches a web font.
  ['font-src', "'self'"],
  // The renderer talks to core over IPC, never over the network (web mode has its own policy).
  ['connect-src', "'none'"],
  // The one frame: the isolated HTML mail view, served by our own scheme with a sandboxing policy
  // of its own (electron/mail-protocol.ts). Nothing else may be framed.
  ['frame-src', MAIL_VIEW_ORIGIN],
  // No <base> rewriting of relative URLs, no form posts, no embedding of the app by anyone.
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

/** The renderer's Content-Security-Policy header value. */
export const CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.map(([d, s]) => `${d} ${s}`).join('; ');

const EXTERNAL_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
/** The mailto fields of RFC 6068 a mail client fills in; `attach=` and friends have leaked files. */
const MAILTO_FIELDS = new Set(['to', 'cc', 'bcc', 'subject', 'body', 'in-reply-to']);
/** Longer URLs are refused: no real link needs more, and OS URL handlers choke on huge strings. */
const MAX_EXTERNAL_URL_LENGTH = 4096;

/**
 * The normalized URL to hand to the OS, or null when the link must not leave the app.
 * Allowed: http(s) with a host and no user:password part (`https://bank.example@evil.example`
 * shows one host and opens another), and mailto with only the RFC 6068 fields.
 */
export function externalUrlToOpen(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_EXTERNAL_URL_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!EXTERNAL_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol === 'mailto:') {
    for (const key of url.searchParams.keys()) {
      if (!MAILTO_FIELDS.has(key.toLowerCase())) return null;
    }
    return url.href;
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  return url.href;
}

/** Whether a link may be opened in the user's browser or mail client. */
export function isAllowedExternalUrl(raw: unknown): boolean {
  return externalUrlToOpen(raw) !== null;
}

/** A file URL's path for comparison: decoded, and case-folded for Windows drive paths. */
function comparablePath(url: URL): string | null {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  // Windows file systems ignore case, and Chromium and Node may spell the drive letter differently.
  return /^\/[A-Za-z]:\//.test(path) ? path.toLowerCase() : path;
}

/**
 * Whether an IPC sender's frame URL is our renderer's index page. Query and fragment are ignored
 * (the renderer may route with a hash); scheme, host and path must match exactly.
 */
export function isTrustedSender(senderUrl: unknown, expectedIndexUrl: string): boolean {
  if (typeof senderUrl !== 'string' || senderUrl === '') return false;
  let actual: URL;
  let expected: URL;
  try {
    actual = new URL(senderUrl);
    expected = new URL(expectedIndexUrl);
  } catch {
    return false;
  }
  if (expected.protocol !== 'file:') return false;
  if (actual.protocol !== expected.protocol || actual.host !== expected.host) return false;
  const a = comparablePath(actual);
  return a !== null && a === comparablePath(expected);
}

/** Schemes the renderer has no business loading at all; CSP says so too, this is the second lock. */
const NETWORK_PROTOCOLS = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:']);

/** Who asks for a resource: its Electron resource type and the URL of the frame asking. */
export interface ResourceRequester {
  resourceType?: string | undefined;
  frameUrl?: string | null | undefined;
}

/**
 * Whether the app session may load a resource. A file:// page could otherwise read any file on
 * disk, so file URLs must lie inside the renderer folder; network schemes are refused, but for
 * one case: images a mail view asks for, which its own CSP lets through only after the user
 * allowed remote content for that message or its sender. Other schemes (devtools:, data:, blob:,
 * the mail view's own) pass and stay governed by the CSP.
 */
export function isAllowedResourceRequest(rawUrl: string, rendererDir: string, from: ResourceRequester = {}): boolean {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return false;
  }
  if (NETWORK_PROTOCOLS.has(url.protocol)) {
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      from.resourceType === 'image' &&
      typeof from.frameUrl === 'string' &&
      from.frameUrl.startsWith(`${MAIL_VIEW_ORIGIN}/`)
    );
  }
  if (url.protocol !== 'file:') return true;
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    // e.g. an encoded slash (%2F) or a remote host: never a file of ours.
    return false;
  }
  const rel = relative(rendererDir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Permissions a page of ours may get. Notifications (the renderer may ask), and writing plain
 * text to the clipboard (a "copy" button). Everything else (camera, microphone, location,
 * clipboard reading, devices, opening external apps) is refused.
 */
const ALLOWED_PERMISSIONS = new Set(['notifications', 'clipboard-sanitized-write']);

/** Whether a permission request or check from our renderer is granted. */
export function isAllowedPermission(permission: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission);
}
