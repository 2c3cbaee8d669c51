// Writes prebuilds/<platform>-<arch>/downhill.napi.node (prebuildify's layout and tags, read by
// node-gyp-build) from a fresh cmake-js build. Runs before `npm pack` so the tarball ships it.
// Named `prebuilds`, not `prebuild`: npm would run a script called `prebuild` before `build`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit' });
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, 'downhill.napi.node');
copyFileSync(join(root, 'build', 'Release', 'downhill.node'), target);
console.log(`wrote ${target}`);
