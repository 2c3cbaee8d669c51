// Install step: use a matching prebuild, else build from source, else fall back to the
// pure-TS engine with one clear line. Never fails the install for want of a compiler.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function nativeLoads() {
  const r = spawnSync(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

if (process.env.DOWNHILL_SKIP_BUILD === '1') process.exit(0);
const isClone = existsSync(join(root, '.git')) || existsSync(join(root, 'test'));
if (!isClone && nativeLoads()) process.exit(0);

let reason = '';
try {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  // A clone shows the whole build; an installed package keeps it quiet unless it fails.
  const out = execFileSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], {
    cwd: root,
    stdio: isClone ? 'inherit' : 'pipe',
    encoding: 'utf8',
  });
  if (nativeLoads()) process.exit(0);
  reason = 'the built addon does not load';
  if (out && process.env.DOWNHILL_DEBUG_INSTALL) console.warn(out);
} catch (err) {
  const detail = `${err.stderr ?? ''}${err.stdout ?? ''}`.split('\n').find((line) => /error/i.test(line));
  reason = err.code === 'MODULE_NOT_FOUND' ? 'cmake-js is not installed' : `the native build failed${detail ? `: ${detail.replace(/^ERROR\s*(OMG\s*)?/, '').trim()}` : ''}`;
}
console.warn(`downhill: native engine unavailable (${reason}); the pure-TypeScript engine will be used.`);
