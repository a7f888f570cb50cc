/**
 * `npm run bench` — prints every figure of ../shared/PERFORMANCE.md that the core can produce,
 * each beside its raw baseline from the same run.
 *
 *   tsx bench/run.ts [--conversations N] [--messages M] [--quick] [--keep] [--in-process]
 *                    [--no-ui | --ui-only] [--ui-conversations N] [--ui-messages B] [--ui-trace FILE]
 *                    [--no-relay | --relay-only] [--relay-messages N] [--relay-per-mailbox]
 *                    [--no-native | --native-only]
 *                    [--no-email | --email-only] [--email-messages N]
 *                    [--no-xmpp | --xmpp-only] [--xmpp-messages N]
 *                    [--no-matrix | --matrix-only] [--matrix-rooms N] [--matrix-events N]
 *
 * Defaults: 10 000 conversations / 1 000 000 messages; --quick: 1 000 / 50 000.
 * Then the UI benchmark (bench/ui.ts, headless Chromium on the built renderer): 10 000
 * conversations, one of them with 100 000 messages; --quick: 2 000 / 20 000. --no-ui skips it,
 * --ui-only runs only it.
 * Then the relay benchmark (bench/relay.ts, a real relay process on loopback): 1 000 mailboxes,
 * 200 000 messages saturating, then 20 000 msg/s paced for 5 s; --quick: 50 000 and 2 s.
 * --no-relay skips it, --relay-only runs only it; --relay-per-mailbox makes its receiver fetch and
 * ack one mailbox per request instead of batching across mailboxes.
 * Then the native-protocol benchmark (bench/native.ts): 5 000 messages encrypted and decrypted
 * through the client vs raw libsignal calls, PQXDH setups, and a backlog decrypted into a core;
 * --quick: 1 000. --no-native skips it, --native-only runs only it.
 * Then the email benchmark (bench/email.ts, real Dovecot + Postfix on loopback, needs root): initial
 * sync of 10 000 messages through the email adapter vs raw imapflow UID FETCH of the same headers
 * (and headers + source), alternating rounds, then IDLE delivery latency (Maildir file and SMTP
 * submission → message event); --quick: 1 000. --no-email skips it, --email-only runs only it,
 * --email-messages N sets the mailbox size.
 * Then the XMPP benchmark (bench/xmpp.ts, a real Prosody on loopback, the adapter inside a core):
 * a burst of 10 000 chat messages received and stored vs a raw xmpp.js client receiving the same,
 * and the catch-up after being offline (offline storage + MAM) vs a raw MAM query and a raw
 * client's offline delivery; --quick: 1 000. --no-xmpp skips it, --xmpp-only runs only it,
 * --xmpp-messages N sets the burst size.
 * Then the Matrix benchmark (bench/matrix.ts, a real Synapse on loopback, the adapter inside a core):
 * initial sync of a fresh account in 200 rooms holding 20 000 messages vs a raw matrix-js-sdk
 * client and a raw /sync, and the decrypt rate of 2 000 encrypted messages caught up after being
 * offline vs a raw matrix-js-sdk client with Rust crypto; --quick: 50 rooms / 5 000 messages / 500
 * encrypted. The filled server is kept as a snapshot in node_modules/.cache and reused. --no-matrix
 * skips it, --matrix-only runs only it, --matrix-rooms N and --matrix-events N set the fill.
 */
import { runBenchmark } from './benchmark.ts';
import { formatReport, formatUiReport } from './report.ts';

// The logger reads this on every line, so setting it here (before anything logs) is enough.
process.env.SWITCHBOARD_LOG ??= 'warn';

function parseArgs(argv: readonly string[]) {
  const opts = {
    conversations: 10_000,
    messages: 1_000_000,
    keep: false,
    isolate: true,
    core: true,
    ui: true,
    uiConversations: 10_000,
    uiMessages: 100_000,
    uiDeepMessages: 2_000,
    uiTrace: undefined as string | undefined,
    relay: true,
    native: true,
    nativeMessages: 5_000,
    nativeSetups: 200,
    email: true,
    emailMessages: 10_000,
    xmpp: true,
    xmppMessages: 10_000,
    matrix: true,
    matrixRooms: 200,
    matrixEvents: 20_000,
    matrixEncrypted: 2_000,
    relayMessages: 200_000,
    relayPacedSeconds: 5,
    relayReceiver: 'batch' as 'batch' | 'per-mailbox',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive whole number`);
      return v;
    };
    switch (a) {
      case '--quick':
        opts.conversations = 1_000;
        opts.messages = 50_000;
        opts.uiConversations = 2_000;
        opts.uiMessages = 20_000;
        opts.uiDeepMessages = 1_000;
        opts.relayMessages = 50_000;
        opts.relayPacedSeconds = 2;
        opts.nativeMessages = 1_000;
        opts.nativeSetups = 50;
        opts.emailMessages = 1_000;
        opts.xmppMessages = 1_000;
        opts.matrixRooms = 50;
        opts.matrixEvents = 5_000;
        opts.matrixEncrypted = 500;
        break;
      case '--conversations':
        opts.conversations = num();
        break;
      case '--messages':
        opts.messages = num();
        break;
      case '--keep':
        opts.keep = true;
        break;
      case '--in-process':
        opts.isolate = false;
        break;
      case '--no-ui':
        opts.ui = false;
        break;
      case '--ui-only':
        opts.core = false;
        opts.relay = false;
        opts.native = false;
        opts.email = false;
        opts.xmpp = false;
        opts.matrix = false;
        break;
      case '--no-relay':
        opts.relay = false;
        break;
      case '--relay-only':
        opts.core = false;
        opts.ui = false;
        opts.native = false;
        opts.email = false;
        opts.xmpp = false;
        opts.matrix = false;
        break;
      case '--no-native':
        opts.native = false;
        break;
      case '--native-only':
        opts.core = false;
        opts.ui = false;
        opts.relay = false;
        opts.email = false;
        opts.xmpp = false;
        opts.matrix = false;
        break;
      case '--no-email':
        opts.email = false;
        break;
      case '--email-only':
        opts.core = false;
        opts.ui = false;
        opts.relay = false;
        opts.native = false;
        opts.xmpp = false;
        opts.matrix = false;
        break;
      case '--email-messages':
        opts.emailMessages = num();
        break;
      case '--no-xmpp':
        opts.xmpp = false;
        break;
      case '--xmpp-only':
        opts.core = false;
        opts.ui = false;
        opts.relay = false;
        opts.native = false;
        opts.email = false;
        opts.matrix = false;
        break;
      case '--xmpp-messages':
        opts.xmppMessages = num();
        break;
      case '--no-matrix':
        opts.matrix = false;
        break;
      case '--matrix-only':
        opts.core = false;
        opts.ui = false;
        opts.relay = false;
        opts.native = false;
        opts.email = false;
        opts.xmpp = false;
        break;
      case '--matrix-rooms':
        opts.matrixRooms = num();
        break;
      case '--matrix-events':
        opts.matrixEvents = num();
        break;
      case '--relay-messages':
        opts.relayMessages = num();
        break;
      case '--relay-per-mailbox':
        opts.relayReceiver = 'per-mailbox';
        break;
      case '--ui-conversations':
        opts.uiConversations = num();
        break;
      case '--ui-messages':
        opts.uiMessages = num();
        break;
      case '--ui-trace': {
        const file = argv[++i];
        if (!file) throw new Error('--ui-trace needs a file name');
        opts.uiTrace = file;
        break;
      }
      default:
        throw new Error(
          `unknown option ${a}; use --conversations N --messages M --quick --keep --in-process --no-ui --ui-only --ui-conversations N --ui-messages B --ui-trace FILE --no-relay --relay-only --relay-messages N --relay-per-mailbox --no-native --native-only --no-email --email-only --email-messages N --no-xmpp --xmpp-only --xmpp-messages N --no-matrix --matrix-only --matrix-rooms N --matrix-events N`,
        );
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
if (!opts.core && !opts.ui && !opts.relay && !opts.native && !opts.email && !opts.xmpp && !opts.matrix) throw new Error('those options together leave nothing to run');
const log = (line: string) => process.stdout.write(`  ${line}\n`);
const started = new Date();
if (opts.core) {
  const result = await runBenchmark({ ...opts, log });
  process.stdout.write(`${formatReport(result)}\n(started ${started.toISOString()}, node ${process.version})\n`);
}
if (opts.ui) {
  // Loaded only when wanted: it brings Playwright and the web host.
  const { runUiBenchmark } = await import('./ui.ts');
  const uiStarted = new Date();
  const ui = await runUiBenchmark({
    conversations: opts.uiConversations,
    bigMessages: opts.uiMessages,
    deepMessages: opts.uiDeepMessages,
    traceFile: opts.uiTrace,
    keep: opts.keep,
    log,
  });
  process.stdout.write(`${formatUiReport(ui)}\n(started ${uiStarted.toISOString()}, node ${process.version})\n`);
}
if (opts.relay) {
  // Loaded only when wanted, like the UI benchmark.
  const { runRelayBenchmark } = await import('./relay.ts');
  const { formatRelayReport } = await import('./relay-report.ts');
  const relayStarted = new Date();
  const relay = await runRelayBenchmark({
    messages: opts.relayMessages,
    pacedSeconds: opts.relayPacedSeconds,
    receiver: opts.relayReceiver,
    keep: opts.keep,
    log,
  });
  process.stdout.write(`${formatRelayReport(relay)}\n(started ${relayStarted.toISOString()}, node ${process.version})\n`);
}
if (opts.native) {
  const { runNativeBenchmark, formatNativeReport } = await import('./native.ts');
  const nativeStarted = new Date();
  const native = await runNativeBenchmark({ messages: opts.nativeMessages, setups: opts.nativeSetups });
  process.stdout.write(`${formatNativeReport(native)}\n(started ${nativeStarted.toISOString()}, node ${process.version})\n`);
}
if (opts.email) {
  // Loaded only when wanted: it starts Dovecot and Postfix.
  const { runEmailBenchmark } = await import('./email.ts');
  const { formatEmailReport } = await import('./email-report.ts');
  const emailStarted = new Date();
  const email = await runEmailBenchmark({ messages: opts.emailMessages, log });
  process.stdout.write(`${formatEmailReport(email)}\n(started ${emailStarted.toISOString()}, node ${process.version})\n`);
}
if (opts.xmpp) {
  // Loaded only when wanted: it starts Prosody.
  const { runXmppBenchmark } = await import('./xmpp.ts');
  const { formatXmppReport } = await import('./xmpp-report.ts');
  const xmppStarted = new Date();
  const xmpp = await runXmppBenchmark({ messages: opts.xmppMessages, log });
  process.stdout.write(`${formatXmppReport(xmpp)}\n(started ${xmppStarted.toISOString()}, node ${process.version})\n`);
}
if (opts.matrix) {
  // Loaded only when wanted: it starts Synapse.
  const { runMatrixBenchmark } = await import('./matrix.ts');
  const { formatMatrixReport } = await import('./matrix-report.ts');
  const matrixStarted = new Date();
  const matrix = await runMatrixBenchmark({ rooms: opts.matrixRooms, events: opts.matrixEvents, encrypted: opts.matrixEncrypted, cache: true, log });
  process.stdout.write(`${formatMatrixReport(matrix)}\n(started ${matrixStarted.toISOString()}, node ${process.version})\n`);
  // matrix-js-sdk never clears its requests' timeout timers (up to 110 s): exit instead of waiting them out.
  process.exit();
}
