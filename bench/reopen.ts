/**
 * The query phase in a fresh process: `tsx bench/reopen.ts <input JSON> <output file>`.
 * A fresh process makes the cold start honest (no module, statement or page cache of the ingest
 * left over) and makes the RSS that of a core that opened a big profile, not of the ingester.
 */
import { writeFileSync } from 'node:fs';
import { runQueryPhase, type QueryPhaseInput } from './queries.ts';

/** performance.now() once every module is loaded: Node start-up plus tsx compiling TypeScript. */
const modulesLoadedMs = performance.now();
const [inputJson, outFile] = process.argv.slice(2);
if (!inputJson || !outFile) {
  process.stderr.write('usage: tsx bench/reopen.ts <input JSON> <output file>\n');
  process.exit(2);
}
const input = JSON.parse(inputJson) as QueryPhaseInput;
const result = await runQueryPhase(input, (line) => process.stdout.write(`  [reopen] ${line}\n`));
writeFileSync(outFile, JSON.stringify({ ...result, modulesLoadedMs }));
