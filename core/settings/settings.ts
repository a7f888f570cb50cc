import type { Db } from '../store/open.ts';
import type { Protocol, Settings } from '../api/types.ts';
import { stmt } from '../store/statements.ts';

/** What a new profile starts with. */
export const DEFAULT_SETTINGS: Settings = {
  padlockStyle: 'explain',
  receiptsOnWeakRoutes: false,
  securityDialogs: true,
  autoAcceptInvitations: false,
  theme: 'system',
};

const SETTINGS_KEY = 'settings';
const FIRST_USE_KEY = 'first-use-seen';

function readJson(db: Db, key: string): unknown {
  const row = stmt(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  if (!row) return undefined;
  try {
    return JSON.parse(row.value) as unknown;
  } catch {
    return undefined;
  }
}

function writeJson(db: Db, key: string, value: unknown): void {
  stmt(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    JSON.stringify(value),
  );
}

/** The user's settings; unknown or damaged values fall back to the defaults one by one. */
export function getSettings(db: Db): Settings {
  const stored = readJson(db, SETTINGS_KEY);
  const s: Settings = { ...DEFAULT_SETTINGS };
  if (stored && typeof stored === 'object') {
    const o = stored as Record<string, unknown>;
    if (o.padlockStyle === 'explain' || o.padlockStyle === 'quiet') s.padlockStyle = o.padlockStyle;
    if (typeof o.receiptsOnWeakRoutes === 'boolean') s.receiptsOnWeakRoutes = o.receiptsOnWeakRoutes;
    if (typeof o.securityDialogs === 'boolean') s.securityDialogs = o.securityDialogs;
    if (typeof o.autoAcceptInvitations === 'boolean') s.autoAcceptInvitations = o.autoAcceptInvitations;
    if (o.theme === 'system' || o.theme === 'light' || o.theme === 'dark') s.theme = o.theme;
  }
  return s;
}

export function updateSettings(db: Db, patch: Partial<Settings>): Settings {
  const next: Settings = { ...getSettings(db) };
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  }
  writeJson(db, SETTINGS_KEY, next);
  return next;
}

/** Protocols whose first-use security dialog the user has acknowledged. */
export function firstUseSeen(db: Db): Set<Protocol> {
  const v = readJson(db, FIRST_USE_KEY);
  return new Set(Array.isArray(v) ? (v.filter((p) => typeof p === 'string') as Protocol[]) : []);
}

export function markFirstUseSeen(db: Db, protocol: Protocol): void {
  const seen = firstUseSeen(db);
  seen.add(protocol);
  writeJson(db, FIRST_USE_KEY, [...seen]);
}
