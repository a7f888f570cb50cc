/**
 * `npm run bench` — prints every figure of ../shared/PERFORMANCE.md that the core can produce,
 * each beside its raw baseline from the same run.
 *
 *   tsx bench/run.ts [--conversations N] [--messages M] [--quick] [--keep] [--in-process]
 *
 * Defaults: 10 000 conversations / 1 000 000 messages; --quick: 1 000 / 50 000.
 */
import { runBenchmark } from './benchmark.ts';
import { formatReport } from './report.ts';

// The logger reads this on every line, so setting it here (before anything logs) is enough.
process.env.SWITCHBOARD_LOG ??= 'warn';

function parseArgs(argv: readonly string[]) {
  const opts = { conversations: 10_000, messages: 1_000_000, keep: false, isolate: true };
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
      default:
        throw new Error(`unknown option ${a}; use --conversations N --messages M --quick --keep --in-process`);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const started = new Date();
const result = await runBenchmark({ ...opts, log: (line) => process.stdout.write(`  ${line}\n`) });
process.stdout.write(`${formatReport(result)}\n(started ${started.toISOString()}, node ${process.version})\n`);
