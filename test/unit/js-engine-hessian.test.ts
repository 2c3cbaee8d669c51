// The pure-TS engine's Hessian-vector products (R-operator) against central differences of its
// float64 gradients along v, for every activation, every loss form and every layer kind.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, layerOffsets, paramCount, trainableRanges, type LayerSpec, type LossSpec, type PlanSpec } from '../../lib/engine/engine.js';
import { JsPlan } from '../../lib/engine/js/plan.js';
import { Rng } from '../../lib/random.js';
import { randomInputs, randomLabels } from '../helpers/data.js';
import { denseSpec, lossSpec, planSpec } from '../helpers/specs.js';

function setup(spec: PlanSpec, seed: number) {
  const rng = new Rng(seed, 17);
  const n = paramCount(spec);
  const params = Float64Array.from({ length: n }, () => (2 * rng.nextFloat() - 1) * 0.7);
  const offsets = layerOffsets(spec);
  spec.layers.forEach((l, i) => {
    if (l.kind === 'batchNorm' || l.kind === 'layerNorm') for (let j = 0; j < l.units; j++) params[offsets[i] + j] += 1;
    if (l.kind === 'batchNorm') for (let j = 0; j < l.units; j++) params[offsets[i] + 3 * l.units + j] = 0.6 + Math.abs(params[offsets[i] + 3 * l.units + j]);
  });
  const arenas = { params, grads: new Float64Array(n), state: new Float64Array(0) };
  // A direction inside the trainable ranges (the Hessian of the trainable parameters): the finite
  // differences must not move frozen weights or batchNorm's running statistics.
  const ranges = trainableRanges(spec);
  const v = Float64Array.from({ length: n }, (_, i) => (ranges.some(([a, b]) => i >= a && i < b) ? 2 * rng.nextFloat() - 1 : 0));
  return { plan: new JsPlan(spec, arenas, Float64Array), arenas, v };
}

/** Worst |Hv − FD| / (1e-6 + 1e-4·|FD|) over the arena; FD = (g(θ + εv) − g(θ − εv)) / 2ε. */
function check(spec: PlanSpec, x: Float64Array, y: Float64Array | Int32Array, rows: number, options: { training?: boolean; step?: number; weights?: Float32Array } = {}, seed = 1) {
  const { plan, arenas, v } = setup(spec, seed);
  const indices = Int32Array.from({ length: rows }, (_, i) => i);
  const hv = new Float64Array(v.length);
  plan.hessianVector(x, y, indices, v, hv, options);
  const eps = 1e-5;
  const base = arenas.params.slice();
  const grad = (sign: number) => {
    for (let i = 0; i < v.length; i++) arenas.params[i] = base[i] + sign * eps * v[i];
    plan.lossAndGrad(x, y, indices, options);
    return arenas.grads.slice();
  };
  const up = grad(1);
  const down = grad(-1);
  arenas.params.set(base);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < v.length; i++) {
    const fd = (up[i] - down[i]) / (2 * eps);
    const ratio = Math.abs(hv[i] - fd) / (1e-6 + 1e-4 * Math.abs(fd));
    if (!(ratio <= worst)) {
      worst = ratio;
      at = i;
    }
  }
  return { worst, at, hv, fd: (up[at] - down[at]) / (2 * eps) };
}

const x = Float64Array.from(randomInputs(6, 3, 3));

describe('Hessian-vector products match central differences of the float64 gradient (eps 1e-5)', () => {
  it.each(ACTIVATIONS)('hidden %s, softmax + cross-entropy', (act) => {
    const spec = planSpec(3, [denseSpec(3, 5, act, { alpha: 0.2 }), denseSpec(5, 3, 'softmax')], { maxBatch: 8 });
    const r = check(spec, x, randomLabels(6, 3, 4), 6);
    expect(r.worst, `element ${r.at}: ${r.hv[r.at]} vs ${r.fd}`).toBeLessThanOrEqual(1);
  });

  const losses: [string, LossSpec, 'linear' | 'sigmoid' | 'softmax' | 'softplus'][] = [
    ['meanSquaredError', lossSpec('meanSquaredError'), 'linear'],
    ['meanAbsoluteError', lossSpec('meanAbsoluteError'), 'linear'],
    ['huber', lossSpec('huber', { delta: 0.4 }), 'linear'],
    ['logCosh', lossSpec('logCosh'), 'linear'],
    ['poisson', lossSpec('poisson'), 'softplus'],
    ['poisson fromLogits', lossSpec('poisson', { fromLogits: true }), 'linear'],
    ['hinge', lossSpec('hinge'), 'linear'],
    ['squaredHinge', lossSpec('squaredHinge'), 'linear'],
    ['categoricalHinge', lossSpec('categoricalHinge'), 'linear'],
    ['kullbackLeiblerDivergence', lossSpec('kullbackLeiblerDivergence'), 'softmax'],
    ['binaryCrossentropy (fused sigmoid)', lossSpec('binaryCrossentropy'), 'sigmoid'],
    ['binaryCrossentropy fromLogits', lossSpec('binaryCrossentropy', { fromLogits: true }), 'linear'],
    ['binaryCrossentropy on softmax probabilities', lossSpec('binaryCrossentropy'), 'softmax'],
    ['categoricalCrossentropy fused, smoothing 0.1', lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), 'softmax'],
    ['categoricalCrossentropy fromLogits', lossSpec('categoricalCrossentropy', { fromLogits: true }), 'linear'],
    ['categoricalCrossentropy on sigmoid probabilities', lossSpec('categoricalCrossentropy'), 'sigmoid'],
  ];
  it.each(losses)('%s', (_name, loss, last) => {
    const spec = planSpec(3, [denseSpec(3, 4, 'tanh'), denseSpec(4, 3, last)], { loss, maxBatch: 8 });
    const rng = new Rng(9, 3);
    const targets = Float64Array.from({ length: 18 }, () => rng.nextFloat());
    if (loss.kind === 'hinge' || loss.kind === 'squaredHinge') targets.forEach((t, i) => (targets[i] = t > 0.5 ? 1 : -1));
    if (loss.kind === 'categoricalHinge' || loss.kind === 'kullbackLeiblerDivergence' || loss.kind === 'categoricalCrossentropy') {
      for (let r = 0; r < 6; r++) {
        const s = targets[r * 3] + targets[r * 3 + 1] + targets[r * 3 + 2];
        for (let j = 0; j < 3; j++) targets[r * 3 + j] /= s;
      }
    }
    if (loss.kind === 'poisson') targets.forEach((t, i) => (targets[i] = Math.floor(3 * t)));
    const r = check(spec, x, targets, 6, { weights: Float32Array.of(1, 2, 0.5, 0, 1, 3) });
    expect(r.worst, `element ${r.at}: ${r.hv[r.at]} vs ${r.fd}`).toBeLessThanOrEqual(1);
  });

  it('every layer kind: layerNorm, dropout, batchNorm (training and inference), activation layer, L2, a frozen layer, chunks', () => {
    const layers: LayerSpec[] = [
      denseSpec(3, 6, 'gelu', { kernelL2: 0.05, biasL1: 0.01 }),
      { kind: 'layerNorm', inputs: 6, units: 6, eps: 1e-3, trainable: true },
      { kind: 'dropout', inputs: 6, units: 6, rate: 0.3 },
      { kind: 'batchNorm', inputs: 6, units: 6, momentum: 0.1, eps: 1e-3, trainable: true },
      { kind: 'activation', inputs: 6, units: 6, activation: 'mish', alpha: 0 },
      denseSpec(6, 4, 'silu', { trainable: false }),
      denseSpec(4, 3, 'softmax', { biasL2: 0.1 }),
    ];
    const spec = planSpec(3, layers, { maxBatch: 6, loss: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.05 }) });
    const y = randomLabels(6, 3, 8);
    for (const training of [true, false]) {
      const r = check(spec, x, y, 6, { training, step: 2, weights: Float32Array.of(1, 2, 0.5, 1, 1, 3) });
      expect(r.worst, `training ${training}: element ${r.at}: ${r.hv[r.at]} vs ${r.fd}`).toBeLessThanOrEqual(1);
    }
    // Without batchNorm, more rows than maxBatch run in chunks.
    const noBn = planSpec(3, layers.filter((l) => l.kind !== 'batchNorm'), { maxBatch: 2, loss: spec.loss });
    const r = check(noBn, x, y, 6, { step: 1 });
    expect(r.worst, `chunks: element ${r.at}`).toBeLessThanOrEqual(1);
  });

  it('is 0 outside the trainable ranges, whatever v holds there, and leaves the gradient arena alone', () => {
    const spec = planSpec(3, [denseSpec(3, 4, 'tanh', { trainable: false }), { kind: 'batchNorm', inputs: 4, units: 4, momentum: 0.1, eps: 1e-3, trainable: true }, denseSpec(4, 2, 'softmax')], { maxBatch: 6 });
    const { plan, arenas, v } = setup(spec, 3);
    arenas.grads.fill(7);
    const y = randomLabels(6, 2, 1);
    const indices = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const hv = new Float64Array(v.length);
    plan.hessianVector(x, y, indices, v, hv);
    const ranges = trainableRanges(spec);
    const inside = (i: number) => ranges.some(([a, b]) => i >= a && i < b);
    hv.forEach((h, i) => {
      if (!inside(i)) expect(h).toBe(0);
    });
    const noisy = v.map((e, i) => (inside(i) ? e : 100 * Math.sin(i)));
    const hv2 = new Float64Array(v.length);
    plan.hessianVector(x, y, indices, noisy, hv2);
    expect(Array.from(hv2)).toEqual(Array.from(hv));
    expect(arenas.grads.every((g) => g === 7)).toBe(true);
  });
});
