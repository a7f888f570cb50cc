/** A native account's settings as stored by core (`accounts.add` … `settings`). */
export interface NativeSettings {
  relays: string[];
  floodPerMinute?: number | undefined;
  backoffMs?: { first: number; max: number } | undefined;
}

/** Reads and checks the settings; a bad relay URL is a clear error when the account starts. */
export function nativeSettings(raw: Record<string, unknown>): NativeSettings {
  const relays = raw.relays;
  if (!Array.isArray(relays) || relays.length === 0) throw new Error('Encrypted chat needs a relay: add one in the account settings (wss://…).');
  const out: string[] = [];
  for (const r of relays) {
    if (typeof r !== 'string' || !/^wss?:\/\/[^\s/]+(\/[^\s]*)?$/.test(r)) throw new Error(`"${String(r).slice(0, 80)}" is not a relay address (it should look like wss://relay.example.org).`);
    out.push(r.replace(/\/$/, ''));
  }
  const flood = raw.floodPerMinute;
  const backoff = raw.backoffMs as { first?: unknown; max?: unknown } | undefined;
  return {
    relays: out,
    floodPerMinute: typeof flood === 'number' && flood > 0 ? flood : undefined,
    backoffMs: backoff && typeof backoff.first === 'number' && typeof backoff.max === 'number' ? { first: backoff.first, max: backoff.max } : undefined,
  };
}
