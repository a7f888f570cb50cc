/**
 * A fix for xmpp.js 0.14's stream management counter (XEP-0198 'h'), which Prosody checks.
 *
 * The count of received stanzas starts at 0 when `<enabled/>` arrives. xmpp.js counts received
 * stanzas synchronously as each element is parsed, but zeroes the counter only in the continuation
 * of the promise `<enabled/>` resolves: several microtasks later, after the rest of the network
 * chunk was parsed. Seen against Prosody 0.12 (see test/integration/xmpp-stream-management.test.ts):
 * the client sends its first presence before `<enable/>`, the server answers with presence and
 * offline messages (not counted by the server), then `<enabled/>`, a result and `<r/>`, all in one
 * chunk; xmpp.js answers the `<r/>` with the stale count (those pre-enable stanzas included)
 * before its reset runs, and Prosody ends the stream: "Client acknowledged more stanzas than sent
 * by server". Stanzas after `<enabled/>` in that chunk are also counted and then wiped, so later
 * acknowledgements fall short (the server resends them after a reconnect).
 *
 * The fix zeroes the counter synchronously when `<enabled/>` is parsed, in a middleware of our own,
 * and makes xmpp.js's late reset a no-op (the counter is an accessor while the reset is pending).
 */
import type { Element } from '@xmpp/xml';

const NS_SM = 'urn:xmpp:sm:3';

interface SmState {
  inbound: number;
}

interface Middleware {
  use(fn: (ctx: { stanza: Element }, next: () => Promise<unknown>) => Promise<unknown>): unknown;
}

export function fixStreamManagementCount(client: { middleware: Middleware; streamManagement: SmState }): void {
  const sm = client.streamManagement;
  let value = sm.inbound;
  // The reset xmpp.js does when its enable promise settles, which already happened here.
  let lateResetPending = false;
  Object.defineProperty(sm, 'inbound', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v: number) => {
      if (v === 0 && lateResetPending) {
        lateResetPending = false;
        return;
      }
      value = v;
    },
  });
  client.middleware.use((ctx, next) => {
    if (ctx.stanza.is('enabled', NS_SM)) {
      value = 0;
      lateResetPending = true;
    }
    return next();
  });
}
