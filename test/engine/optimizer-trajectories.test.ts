// TESTING O3: 100-step trajectories of every optimizer configuration against committed
// PyTorch fixtures (test/fixtures/optim/generate.py, float64 torch, a 4-5-3 MLP, fixed
// batches). The TS engine in float64 must reproduce them to rtol 1e-10 at every step (formula
// identity); every engine in float32 within atol 1e-5, rtol 1e-4 on the parameters and 1e-4
// relative on the final loss.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsPlan } from '../../lib/engine/js/plan.js';
import { initOptimizerState, stateSlots, type PlanSpec } from '../../lib/engine/engine.js';
import { createOptimizer } from '../../lib/optim/index.js';
import { engines } from '../helpers/engines.js';
import { worstCloseness } from '../helpers/data.js';
import { mlpLayers, planSpec } from '../helpers/specs.js';

interface Config {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  losses: number[];
  params: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim/trajectories.json', import.meta.url), 'utf8')) as {
  x: number[];
  y: number[];
  init: number[];
  batches: number[][];
  checkpoints: number[];
  configs: Config[];
};
const x = Float32Array.from(fixture.x);
const y = Int32Array.from(fixture.y);
const indices = Int32Array.from(fixture.batches.flat());
const BATCH = 8;

function specFor(config: Config): { spec: PlanSpec; lr: number } {
  const optimizer = createOptimizer(config.optimizer, config.options);
  return {
    lr: optimizer.lr,
    spec: planSpec(4, mlpLayers([4, 5, 3]), { maxBatch: BATCH, optimizer: optimizer.spec }),
  };
}

type Arrays = { params: Float32Array | Float64Array; grads: Float32Array | Float64Array; state: Float32Array | Float64Array };

/** Runs the 100 steps in segments ending at each checkpoint; returns per-step losses and the snapshots. */
async function run(plan: { trainSteps: JsPlan['trainSteps'] }, arenas: Arrays, lr: number, Float: Float32ArrayConstructor | Float64ArrayConstructor) {
  const losses: number[] = [];
  const snaps: number[][] = [];
  let done = 0;
  for (const end of fixture.checkpoints) {
    const steps = end - done;
    const lossOut = new Float(steps);
    const completed = await plan.trainSteps({
      x, y, weights: null, batchSize: BATCH,
      indices: indices.subarray(done * BATCH, end * BATCH),
      lrs: new Float(steps).fill(lr) as Float32Array,
      stepStart: done,
      lossOut: lossOut as Float32Array,
      correctOut: new Int32Array(steps),
    });
    expect(completed).toBe(steps);
    losses.push(...lossOut);
    snaps.push(Array.from(arenas.params));
    done = end;
  }
  return { losses, snaps };
}

describe('TS float64 engine reproduces the PyTorch trajectories (rtol 1e-10, every step)', () => {
  it.each(fixture.configs.map((c) => [c.name, c] as const))('%s', async (_name, config) => {
    const { spec, lr } = specFor(config);
    const n = fixture.init.length;
    const arenas = { params: Float64Array.from(fixture.init), grads: new Float64Array(n), state: new Float64Array(stateSlots(spec.optimizer) * n) };
    initOptimizerState(spec.optimizer, arenas.state);
    const { losses, snaps } = await run(new JsPlan(spec, arenas, Float64Array), arenas, lr, Float64Array);
    expect(worstCloseness(losses, config.losses, 0, 1e-10)).toBeLessThanOrEqual(1);
    snaps.forEach((s, i) => expect(worstCloseness(s, config.params[i], 1e-14, 1e-10), `after step ${fixture.checkpoints[i]}`).toBeLessThanOrEqual(1));
  });
});

describe.each(engines().map((e) => [e.name, e] as const))('%s engine (float32) follows the PyTorch trajectories', (_name, engine) => {
  it.each(fixture.configs.map((c) => [c.name, c] as const))('%s', async (_n, config) => {
    const { spec, lr } = specFor(config);
    const n = fixture.init.length;
    const arenas = { params: Float32Array.from(fixture.init), grads: new Float32Array(n), state: new Float32Array(stateSlots(spec.optimizer) * n) };
    initOptimizerState(spec.optimizer, arenas.state);
    const plan = engine.createPlan(spec, arenas);
    const { losses, snaps } = await run(plan, arenas, lr, Float32Array);
    plan.dispose();
    snaps.forEach((s, i) => expect(worstCloseness(s, config.params[i], 1e-5, 1e-4), `params after step ${fixture.checkpoints[i]}`).toBeLessThanOrEqual(1));
    const last = config.losses.length - 1;
    expect(Math.abs(losses[last] - config.losses[last]) / config.losses[last]).toBeLessThanOrEqual(1e-4);
  });
});
