import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The platform's user data folder for Switchboard, the same one Electron's `app.getPath('userData')`
 * uses for an app named "Switchboard", so web mode and the desktop app share a profile by default.
 */
export function defaultProfileDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Switchboard');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Switchboard');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Switchboard');
}
