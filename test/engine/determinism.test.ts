// Determinism across processes and thread counts (children run the built dist/).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';

const script = fileURLToPath(new URL('../fixtures/train-hash.mjs', import.meta.url));
const run = promisify(execFile);

async function trainInChild(engine: string, env: Record<string, string> = {}, args = ['2', '1500', '50']) {
  const { stdout } = await run(process.execPath, [script, engine, ...args], { env: { ...process.env, ...env } });
  return JSON.parse(stdout) as { engine: string; threads: number; losses: number[]; hash: string; predictions: string };
}

describe.each(engineNames())('%s engine determinism', (engine) => {
  it('two processes with the same seed end with bit-identical weights', async () => {
    const [a, b] = [await trainInChild(engine), await trainInChild(engine)];
    expect(a.engine).toBe(engine);
    expect(b.losses).toEqual(a.losses);
    expect(b.hash).toBe(a.hash);
    expect(b.predictions).toBe(a.predictions);
  });

  it.runIf(engine === 'native')('weights are bit-identical for DOWNHILL_THREADS = 1, 2, 3, 4 and 7', async () => {
    const results = [];
    for (const threads of ['1', '2', '3', '4', '7']) {
      const r = await trainInChild(engine, { DOWNHILL_THREADS: threads });
      expect(r.threads).toBe(Number(threads));
      results.push(r);
    }
    for (const r of results) {
      expect(r.losses).toEqual(results[0].losses);
      expect(r.hash).toBe(results[0].hash);
      expect(r.predictions).toBe(results[0].predictions);
    }
  });

  // Batches of 600 rows run as lanes of 256 rows on 2 threads and as whole batches on 1, 3 and
  // 4 threads (a lane per thread needs 256 rows each); the last batch of each epoch (300 rows)
  // is whole everywhere. The weight gradients must not tell the difference.
  it.runIf(engine === 'native')('large batches give the same bits with and without lanes (1–4 threads, dropout, tanh)', async () => {
    const results = [];
    for (const threads of ['1', '2', '3', '4']) results.push(await trainInChild(engine, { DOWNHILL_THREADS: threads }, ['2', '1500', '600', 'mixed']));
    for (const r of results) {
      expect(r.losses).toEqual(results[0].losses);
      expect(r.hash).toBe(results[0].hash);
      expect(r.predictions).toBe(results[0].predictions);
    }
  });

  // On 2 threads the lanes' gradients are summed inside the update, piece by piece; with an L2
  // penalty or norm clipping they are summed first. Every way must give the 1-thread bits.
  for (const update of ['l2', 'clipnorm', 'sgd-clipvalue', 'lion']) {
    it.runIf(engine === 'native')(`large batches give the same bits with and without lanes (${update})`, async () => {
      const one = await trainInChild(engine, { DOWNHILL_THREADS: '1' }, ['2', '1500', '600', 'seed', update]);
      const two = await trainInChild(engine, { DOWNHILL_THREADS: '2' }, ['2', '1500', '600', 'seed', update]);
      expect(two.losses).toEqual(one.losses);
      expect(two.hash).toBe(one.hash);
    });
  }
});
