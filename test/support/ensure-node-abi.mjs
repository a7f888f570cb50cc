// `npm start` rebuilds better-sqlite3 for Electron's ABI; Node (tests, web mode) then cannot load
// it. This puts the Node build back when that happened, so `npm test` works after `npm start`.
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  const Database = require('better-sqlite3');
  new Database(':memory:').close();
} catch (e) {
  if (!/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(String(e))) throw e;
  console.log('better-sqlite3 was built for Electron; rebuilding it for Node…');
  execSync('npm rebuild better-sqlite3', { stdio: 'inherit' });
}
