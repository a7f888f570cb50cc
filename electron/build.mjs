// Bundles the Electron main process and the preload with esbuild: `node electron/build.mjs`.
// Output: dist/electron/main.cjs and dist/electron/preload.cjs (package.json "main" points at main.cjs).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'electron');

/**
 * Left to Node's require at run time: Electron itself, and native modules (a .node file cannot be
 * bundled; electron-builder rebuilds it for Electron's ABI and unpacks it from the asar). Pure-JS
 * dependencies are bundled instead of marked external: some are ESM-only (uuid), and a CommonJS
 * main process requiring ESM from inside app.asar fails in packaged builds (electron/electron#46614).
 * A new native dependency must be added here.
 */
const MAIN_EXTERNAL = [
  'electron',
  'better-sqlite3',
  // libsignal's Node-API addon (prebuilt per platform; loads by path from its own package).
  '@signalapp/libsignal-client',
  // Matrix's Rust crypto: reads its .wasm file by path from its own package (__dirname), which a
  // bundle would move; its ESM build also reads import.meta.url.
  '@matrix-org/matrix-sdk-crypto-wasm',
  // ws's optional native speed-ups, required inside try/catch.
  'bufferutil',
  'utf-8-validate',
];

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Core is ESM and may one day read import.meta.url; in a CJS bundle that silently becomes
  // undefined, so fail the build instead of shipping a broken path.
  logOverride: { 'empty-import-meta': 'error' },
  metafile: true,
};

await build({
  ...common,
  entryPoints: ['electron/main.ts'],
  outfile: join(outdir, 'main.cjs'),
  platform: 'node',
  // Electron 41 ships Node 24; node22 keeps the output plain and safe.
  target: 'node22',
  external: MAIN_EXTERNAL,
  // openpgp's ESM build for Node reads import.meta.url (empty in a CJS bundle, so the build fails
  // above): bundle its CommonJS build instead, which the package exports for `require`.
  alias: { openpgp: './node_modules/openpgp/dist/node/openpgp.min.cjs' },
});

const preload = await build({
  ...common,
  entryPoints: ['electron/preload.ts'],
  outfile: join(outdir, 'preload.cjs'),
  platform: 'node',
  target: 'node22',
  external: ['electron'],
});

// A sandboxed preload's require knows only 'electron' (and a few polyfills): any other import
// left in the bundle would throw when the window opens, long after this build passed.
for (const [file, output] of Object.entries(preload.metafile.outputs)) {
  const stray = (output.imports ?? []).filter((i) => i.external && i.path !== 'electron');
  if (stray.length > 0) {
    throw new Error(`${file} requires ${stray.map((i) => i.path).join(', ')}; a sandboxed preload may require only 'electron'`);
  }
}

console.log('electron: built dist/electron/main.cjs and dist/electron/preload.cjs');
