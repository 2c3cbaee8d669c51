// TESTING D2/D3 for the catalog: a child process trains networks with every layer kind
// (test/fixtures/catalog-hash.mjs: layers wide enough that activations, dropout, batchNorm and
// layerNorm split over the pool) and hashes arenas, losses, a lossAndGrad gradient, evaluate
// and predict. Bitwise equal for DOWNHILL_THREADS 1, 2, 3, 4 (and scalar at 1 and 3); the
// scalar kernels agree with the default level within float tolerance.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../lib/engine/binding.js';

const script = fileURLToPath(new URL('../fixtures/catalog-hash.mjs', import.meta.url));
const addon = loadAddon().addon;

interface Run {
  isa: string;
  threads: number;
  hash: string;
  losses: number[];
}

function run(env: Record<string, string>): Run {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

describe.runIf(addon)('catalog networks: bitwise equal whatever the thread count', () => {
  it('DOWNHILL_THREADS 1, 2, 3, 4 give the same bits', () => {
    const runs = [1, 2, 3, 4].map((t) => run({ DOWNHILL_THREADS: String(t) }));
    for (const r of runs.slice(1)) {
      expect(r.threads).not.toBe(runs[0].threads);
      expect(r.hash, `DOWNHILL_THREADS=${r.threads} vs 1`).toBe(runs[0].hash);
    }
  }, 300_000);

  it('the scalar kernels: bitwise equal at 1 and 3 threads, close to the default level', () => {
    const a = run({ DOWNHILL_THREADS: '1', DOWNHILL_ISA: 'scalar' });
    const b = run({ DOWNHILL_THREADS: '3', DOWNHILL_ISA: 'scalar' });
    expect(a.isa).toBe('scalar');
    expect(b.hash).toBe(a.hash);
    const best = run({ DOWNHILL_THREADS: '2', DOWNHILL_ISA: '' });
    a.losses.forEach((l, i) => expect(Math.abs(l - best.losses[i]) / Math.abs(best.losses[i]), `loss ${i}`).toBeLessThanOrEqual(1e-4));
  }, 300_000);
});
