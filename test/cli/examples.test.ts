// The README's catalog example (examples/networks.mjs) runs and each network learns its task.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';

const script = fileURLToPath(new URL('../../examples/networks.mjs', import.meta.url));
const run = promisify(execFile);

describe.each(engineNames())('examples/networks.mjs on the %s engine', (engine) => {
  it('regression R² > 0.9, binary accuracy > 0.93, MNIST with batchNorm and dropout > 0.9', async () => {
    const { stdout } = await run(process.execPath, [script], { env: { ...process.env, DOWNHILL_ENGINE: engine }, maxBuffer: 1 << 24 });
    const results = JSON.parse(stdout);
    expect(results.regression.r2).toBeGreaterThan(0.9);
    expect(results.binary.accuracy).toBeGreaterThan(0.93);
    expect(results.multiClass.accuracy).toBeGreaterThan(0.9);
  }, 600_000);
});

const hybrid = fileURLToPath(new URL('../../examples/hybrid.mjs', import.meta.url));

describe.each(engineNames())('examples/hybrid.mjs on the %s engine', (engine) => {
  it('L-BFGS after Adam lowers the full-batch loss at least tenfold', async () => {
    const { stdout } = await run(process.execPath, [hybrid], { env: { ...process.env, DOWNHILL_ENGINE: engine } });
    const r = JSON.parse(stdout);
    expect(r.afterLbfgs).toBeLessThan(r.afterAdam / 10);
  }, 600_000);
});
