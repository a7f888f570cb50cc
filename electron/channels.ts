/**
 * The two IPC channels between the preload and the main process. One place, so the preload bundle
 * and the main bundle can never disagree about a name.
 */

/** Renderer → main: one api command, answered with a reply envelope. */
export const INVOKE_CHANNEL = 'switchboard:invoke';

/** Main → renderer: one `ApiEvent` pushed by core. */
export const EVENT_CHANNEL = 'switchboard:event';
