// `npm test`: build the TS, run the whole suite on every engine that loads, then again
// with the pure-TS engine forced and, when the addon loads, with the scalar kernels forced.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const vitest = require.resolve('vitest/vitest.mjs');
const tsc = require.resolve('typescript/bin/tsc');
const extra = process.argv.slice(2);

function step(title, args, env = {}) {
  console.log(`\n=== ${title} ===`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n${title}: failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function nativeLoads() {
  const r = spawnSync(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`], { stdio: 'ignore' });
  return r.status === 0;
}

step('build TypeScript', [tsc, '-p', 'tsconfig.json']);
step('suite, every engine that loads', [vitest, 'run', ...extra]);
step('suite, DOWNHILL_ENGINE=js', [vitest, 'run', ...extra], { DOWNHILL_ENGINE: 'js' });
if (nativeLoads()) {
  step('native engine and kernels, DOWNHILL_ISA=scalar', [vitest, 'run', 'test/engine', 'test/native', ...extra], { DOWNHILL_ISA: 'scalar' });
} else {
  console.log('\n(native addon not built: the DOWNHILL_ISA=scalar pass is skipped)');
}
