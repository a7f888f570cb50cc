/**
 * Fetching one autoconfig file, carefully: a deadline per request, a size cap, no cookies or
 * credentials, and redirects followed by hand only while they stay on https (a redirect to http
 * could be planted by anyone on the network path and would hand them the user's settings).
 */

/** The fetch function used (injectable for tests). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface FetchLimits {
  fetch: FetchLike;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

const MAX_REDIRECTS = 3;

/** Why a config could not be fetched; the lookup just moves on to the next source. */
export class FetchConfigError extends Error {
  override readonly name = 'FetchConfigError';
}

/** The body of `url` as text, or throws `FetchConfigError` (404, timeout, too big, bad redirect…). */
export async function fetchConfig(url: string, limits: FetchLimits): Promise<string> {
  const signal = AbortSignal.any([limits.signal, AbortSignal.timeout(limits.timeoutMs)]);
  let current = url;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await limits.fetch(current, {
        redirect: 'manual',
        credentials: 'omit',
        signal,
        headers: { accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' },
      });
    } catch (e) {
      if (signal.aborted) throw new FetchConfigError(limits.signal.aborted ? 'cancelled' : `no answer within ${limits.timeoutMs} ms`);
      throw new FetchConfigError(`could not connect (${e instanceof Error ? e.message : String(e)})`);
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      const location = res.headers.get('location');
      if (!location || hop >= MAX_REDIRECTS) throw new FetchConfigError('too many redirects');
      const next = new URL(location, current);
      if (next.protocol !== 'https:') throw new FetchConfigError('refused a redirect away from https');
      current = next.href;
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new FetchConfigError(`HTTP ${res.status}`);
    }
    return readCapped(res, limits.maxBytes, signal);
  }
}

async function readCapped(res: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FetchConfigError(`larger than ${maxBytes} bytes`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new FetchConfigError(`larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FetchConfigError) throw e;
    throw new FetchConfigError(signal.aborted ? 'the answer took too long' : 'the connection broke');
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}
