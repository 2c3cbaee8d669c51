// `npm test`: build the TS, run the whole suite on every engine that loads, then again with the
// pure-TS engine forced and, when the addon loads, the native tests with each lower ISA forced.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const extra = process.argv.slice(2);
const reports = mkdtempSync(join(tmpdir(), 'downhill-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };

function step(title, args, env = {}) {
  console.log(`\n=== ${title} ===`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n${title}: failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function suite(title, files, env = {}) {
  const out = join(reports, `${Object.keys(totals).length}-${Date.now()}.json`);
  step(title, [vitest, 'run', ...files, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra], env);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
}

/** ISA levels the addon can run here, or [] when it does not load. */
function nativeIsas() {
  const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require('node-gyp-build')(${JSON.stringify(root)}).info()))`], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout).isaAvailable : [];
}

step('build TypeScript', [tsc, '-p', 'tsconfig.json']);
suite('suite, every engine that loads (native at its best ISA)', []);
suite('suite, DOWNHILL_ENGINE=js', [], { DOWNHILL_ENGINE: 'js' });
const isas = nativeIsas();
if (isas.length === 0) console.log('\n(native addon not built: the forced-ISA passes are skipped)');
// The best level already ran above; force every lower one.
for (const isa of isas.slice(0, -1)) {
  suite(`native engine and kernels, DOWNHILL_ISA=${isa}`, ['test/engine', 'test/native'], { DOWNHILL_ISA: isa });
}
rmSync(reports, { recursive: true, force: true });
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
