// The native engine's layer/loss catalog (issue 4) against an independent float64 reference
// (./reference.ts, written from engine.ts): every activation as a dense activation and as an
// activation layer, every loss, weights, regularization, frozen layers, dropout masks,
// batchNorm (training, inference, running statistics), layerNorm; lossAndGrad, trainSteps'
// first step, evaluate, predict. Batch sizes cross the SIMD tails (7, 17, 65).
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../lib/engine/binding.js';
import { nativeEngine } from '../../lib/engine/native.js';
import { ACTIVATIONS, initOptimizerState, outputSize, paramCount, stateSlots, trainableRanges, type Activation, type LayerSpec, type LossSpec, type Plan, type PlanSpec } from '../../lib/engine/engine.js';
import { activationSpec, batchNormSpec, denseSpec, dropoutSpec, layerNormSpec, lossSpec, planSpec } from '../helpers/specs.js';
import { rng } from '../helpers/rng.js';
import { refLossAndGrad, type RefOptions } from './reference.js';

// loadAddon honours DOWNHILL_ADDON_PATH (scripts/test-asan.sh points it at the sanitizer build).
const addon = loadAddon().addon;
const engine = addon ? nativeEngine(addon) : undefined;

const ATOL = 2e-5;
const RTOL = 2e-4;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = ATOL, rtol = RTOL): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const r = a === e ? 0 : Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(r <= worst)) {
      worst = Number.isNaN(r) ? Infinity : r;
      at = i;
    }
  }
  expect(worst, `${what}: element ${at}: got ${actual[at]}, expected ${expected[at]}`).toBeLessThanOrEqual(1);
}

interface Case {
  spec: PlanSpec;
  params: Float32Array;
  x: Float32Array;
  y: Int32Array | Float32Array;
  n: number;
}

/** Random params (scaled for the fan-in), inputs in [-1, 1), and targets fitting the loss. */
function makeCase(spec: PlanSpec, n: number, seed: number, target: 'labels' | 'rows' | 'probs' | 'signs' | 'counts' = 'rows', scale = 1): Case {
  const r = rng(seed);
  const params = new Float32Array(paramCount(spec));
  let off = 0;
  for (const l of spec.layers) {
    if (l.kind === 'dense') {
      const s = (scale * 1.5) / Math.sqrt(l.inputs);
      for (let i = 0; i < l.inputs * l.units + (l.useBias ? l.units : 0); i++) params[off + i] = (2 * r() - 1) * s;
      off += l.inputs * l.units + (l.useBias ? l.units : 0);
    } else if (l.kind === 'batchNorm' || l.kind === 'layerNorm') {
      for (let j = 0; j < l.units; j++) {
        params[off + j] = 0.5 + r(); // gamma
        params[off + l.units + j] = r() - 0.5; // beta
      }
      if (l.kind === 'batchNorm') {
        for (let j = 0; j < l.units; j++) {
          params[off + 2 * l.units + j] = r() - 0.5; // running mean
          params[off + 3 * l.units + j] = 0.5 + r(); // running var
        }
      }
      off += (l.kind === 'batchNorm' ? 4 : 2) * l.units;
    }
  }
  const x = Float32Array.from({ length: n * spec.inputSize }, () => 2 * r() - 1);
  const k = outputSize(spec);
  let y: Int32Array | Float32Array;
  if (target === 'labels') {
    y = Int32Array.from({ length: n }, () => Math.floor(r() * k));
  } else if (target === 'probs') {
    y = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += y[i * k + j] = r() + 0.05;
      for (let j = 0; j < k; j++) y[i * k + j] /= s;
    }
  } else if (target === 'signs') {
    y = Float32Array.from({ length: n * k }, () => (r() < 0.5 ? -1 : 1));
  } else if (target === 'counts') {
    y = Float32Array.from({ length: n * k }, () => Math.floor(r() * 4));
  } else {
    y = Float32Array.from({ length: n * k }, () => 2 * r() - 1);
  }
  return { spec, params, x, y, n };
}

function arenas(spec: PlanSpec, params: Float32Array) {
  const n = paramCount(spec);
  const a = { params: params.slice(), grads: new Float32Array(n).fill(123), state: new Float32Array(stateSlots(spec.optimizer) * n) };
  initOptimizerState(spec.optimizer, a.state);
  return a;
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** lossAndGrad natively vs the reference; grads outside trainableRanges must be exactly 0. */
function checkGrad(c: Case, opts: RefOptions & { weights?: Float32Array | null } = {}, what = 'case', tol = { atol: ATOL, rtol: RTOL }) {
  const a = arenas(c.spec, c.params);
  const plan = engine!.createPlan(c.spec, a);
  const idx = range(c.n);
  const loss = plan.lossAndGrad(c.x, c.y, idx, { weights: opts.weights ?? null, training: opts.training, step: opts.step });
  const ref = refLossAndGrad(c.spec, c.params, c.x, c.y, idx, opts);
  close([loss], [ref.loss], `${what}: loss`, 1e-6, 1e-5);
  close(a.grads, ref.grads, `${what}: gradient`, tol.atol, tol.rtol);
  const inside = new Uint8Array(a.grads.length);
  for (const [s, e] of trainableRanges(c.spec)) inside.fill(1, s, e);
  for (let i = 0; i < a.grads.length; i++) if (!inside[i]) expect(a.grads[i], `${what}: grads[${i}] outside the trainable ranges`).toBe(0);
  plan.dispose();
  return { loss, grads: a.grads, ref };
}

const NO_KINK: Activation[] = ACTIVATIONS.filter((a) => a !== 'softmax');

describe.runIf(engine)('native catalog vs the float64 reference', () => {
  describe('activations (MSE on a linear output layer, batch 7)', () => {
    for (const act of ACTIVATIONS) {
      it(`${act} as a dense activation`, () => {
        const spec = planSpec(5, [denseSpec(5, 6, act, { alpha: act === 'elu' ? 0.7 : 0.05 }), denseSpec(6, 3, 'linear')], { loss: lossSpec('meanSquaredError') });
        checkGrad(makeCase(spec, 7, 11, 'rows', act === 'hardSigmoid' ? 4 : 1), {}, act);
      });
      it(`${act} as an activation layer`, () => {
        const spec = planSpec(5, [denseSpec(5, 6, 'linear'), activationSpec(6, act, act === 'leakyRelu' ? -0.2 : 0.8), denseSpec(6, 3, 'linear')], { loss: lossSpec('meanSquaredError') });
        checkGrad(makeCase(spec, 7, 12, 'rows', act === 'hardSigmoid' ? 4 : 1), {}, act);
      });
    }
    it('every elementwise activation on a large layer (threaded) matches the small-batch result row for row', () => {
      for (const act of NO_KINK) {
        const spec = planSpec(8, [denseSpec(8, 512, act), denseSpec(512, 2, 'linear')], { loss: lossSpec('meanSquaredError'), maxBatch: 130 });
        const c = makeCase(spec, 130, 5);
        const big = arenas(spec, c.params);
        const plan = engine!.createPlan(spec, big);
        const out = new Float32Array(130 * 2);
        plan.predictSync(c.x, out);
        const one = new Float32Array(2);
        for (const r of [0, 64, 129]) {
          plan.predictSync(c.x.subarray(r * 8, r * 8 + 8), one);
          expect(Array.from(one), `${act} row ${r}`).toEqual(Array.from(out.subarray(r * 2, r * 2 + 2)));
        }
        plan.dispose();
      }
    });
  });

  describe('losses', () => {
    const cases: [string, LayerSpec[], LossSpec, 'labels' | 'rows' | 'probs' | 'signs' | 'counts'][] = [
      ['meanSquaredError', [denseSpec(4, 3, 'linear')], lossSpec('meanSquaredError'), 'rows'],
      ['meanAbsoluteError', [denseSpec(4, 3, 'tanh')], lossSpec('meanAbsoluteError'), 'rows'],
      ['huber δ 0.3', [denseSpec(4, 3, 'linear')], lossSpec('huber', { delta: 0.3 }), 'rows'],
      ['logCosh', [denseSpec(4, 3, 'linear')], lossSpec('logCosh'), 'rows'],
      ['poisson', [denseSpec(4, 3, 'softplus')], lossSpec('poisson'), 'counts'],
      ['poisson fromLogits', [denseSpec(4, 3, 'linear')], lossSpec('poisson', { fromLogits: true }), 'counts'],
      ['hinge', [denseSpec(4, 3, 'tanh')], lossSpec('hinge'), 'signs'],
      ['squaredHinge', [denseSpec(4, 3, 'linear')], lossSpec('squaredHinge'), 'signs'],
      ['categoricalHinge, labels', [denseSpec(4, 3, 'linear')], lossSpec('categoricalHinge'), 'labels'],
      ['categoricalHinge, rows', [denseSpec(4, 3, 'linear')], lossSpec('categoricalHinge'), 'probs'],
      ['kullbackLeiblerDivergence (softmax, not fused)', [denseSpec(4, 3, 'softmax')], lossSpec('kullbackLeiblerDivergence'), 'probs'],
      ['binaryCrossentropy, fused sigmoid', [denseSpec(4, 3, 'sigmoid')], lossSpec('binaryCrossentropy'), 'probs'],
      ['binaryCrossentropy, fused sigmoid activation layer', [denseSpec(4, 3, 'relu'), activationSpec(3, 'sigmoid')], lossSpec('binaryCrossentropy'), 'probs'],
      ['binaryCrossentropy fromLogits', [denseSpec(4, 3, 'linear')], lossSpec('binaryCrossentropy', { fromLogits: true }), 'probs'],
      ['binaryCrossentropy on probabilities (softmax)', [denseSpec(4, 3, 'softmax')], lossSpec('binaryCrossentropy'), 'probs'],
      ['binaryCrossentropy, one output', [denseSpec(4, 1, 'sigmoid')], lossSpec('binaryCrossentropy'), 'probs'],
      ['categoricalCrossentropy, fused softmax, labels', [denseSpec(4, 3, 'softmax')], lossSpec(), 'labels'],
      ['categoricalCrossentropy, fused softmax, rows, smoothing 0.1', [denseSpec(4, 3, 'softmax')], lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), 'probs'],
      ['categoricalCrossentropy, labels, smoothing 0.2', [denseSpec(4, 3, 'softmax')], lossSpec('categoricalCrossentropy', { labelSmoothing: 0.2 }), 'labels'],
      ['categoricalCrossentropy, fused softmax activation layer', [denseSpec(4, 3, 'linear'), activationSpec(3, 'softmax')], lossSpec(), 'labels'],
      ['categoricalCrossentropy fromLogits', [denseSpec(4, 3, 'linear')], lossSpec('categoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.1 }), 'labels'],
      ['categoricalCrossentropy on probabilities (sigmoid)', [denseSpec(4, 3, 'sigmoid')], lossSpec('categoricalCrossentropy', { labelSmoothing: 0.05 }), 'probs'],
    ];
    for (const [name, layers, loss, target] of cases) {
      it(name, () => {
        const spec = planSpec(4, [denseSpec(4, 4, 'tanh'), ...layers], { loss });
        for (const n of [1, 7, 17]) checkGrad(makeCase(spec, n, 21 + n, target), {}, `${name}, batch ${n}`);
      });
    }
    it('a loss over more rows than maxBatch (chunks accumulate; dropout rows numbered across chunks)', () => {
      const spec = planSpec(4, [denseSpec(4, 9, 'gelu'), layerNormSpec(9), dropoutSpec(9, 0.5), denseSpec(9, 3, 'softmax')], { maxBatch: 8 });
      checkGrad(makeCase(spec, 65, 3, 'labels'), { training: true, step: 4 }, 'chunked');
      checkGrad(makeCase(spec, 65, 4, 'labels'), { training: false, weights: Float32Array.from({ length: 65 }, (_, i) => (i % 3) * 0.5) }, 'chunked weighted');
    });
  });

  describe('weights, regularization, frozen layers', () => {
    const layers = (extra = {}) => [denseSpec(5, 7, 'relu', { kernelL1: 0.01, kernelL2: 0.02, biasL1: 0.03, biasL2: 0.04, ...extra }), denseSpec(7, 4, 'softmax', { kernelL2: 0.05 })];
    it('per-row weights (some 0) give Σ w·l / Σ w and its gradient', () => {
      const spec = planSpec(5, layers());
      const c = makeCase(spec, 17, 31, 'labels');
      const weights = Float32Array.from({ length: 17 }, (_, i) => (i % 4 === 0 ? 0 : 0.25 * i));
      checkGrad(c, { weights }, 'weighted');
    });
    it('all weights 0: the data loss and its gradient are 0, regularization stays', () => {
      const spec = planSpec(5, layers());
      const c = makeCase(spec, 7, 32, 'labels');
      const { ref } = checkGrad(c, { weights: new Float32Array(7) }, 'zero weights');
      expect(ref.loss).toBeGreaterThan(0);
    });
    it('no rows: the regularization term and its gradient only', () => {
      const spec = planSpec(5, layers());
      const c = makeCase(spec, 7, 36, 'labels');
      const { loss } = checkGrad({ ...c, n: 0 }, {}, 'no rows');
      expect(loss).toBeGreaterThan(0);
    });
    it('L1/L2 on kernels and biases, useBias false', () => {
      const spec = planSpec(5, [denseSpec(5, 7, 'elu', { useBias: false, kernelL1: 0.1 }), ...layers().slice(1)], { loss: lossSpec('categoricalCrossentropy') });
      checkGrad(makeCase(spec, 7, 33, 'labels'), {}, 'no bias');
    });
    it('frozen dense, batchNorm and layerNorm: zero gradients, the rest still trained through them', () => {
      const spec = planSpec(5, [
        denseSpec(5, 6, 'relu', { kernelL2: 0.1 }),
        denseSpec(6, 6, 'tanh', { trainable: false, kernelL1: 0.2 }),
        batchNormSpec(6, { trainable: false }),
        layerNormSpec(6, { trainable: false }),
        denseSpec(6, 3, 'softmax'),
      ]);
      const { grads } = checkGrad(makeCase(spec, 9, 34, 'labels'), {}, 'frozen');
      expect(grads.subarray(0, 5 * 6 + 6).some((v) => v !== 0)).toBe(true);
    });
    it('a plan with nothing trainable has an all-zero gradient', () => {
      const spec = planSpec(3, [denseSpec(3, 2, 'linear', { trainable: false, kernelL2: 1 })], { loss: lossSpec('meanSquaredError') });
      const { grads, loss } = checkGrad(makeCase(spec, 4, 35), {}, 'frozen');
      expect(grads.every((v) => v === 0)).toBe(true);
      expect(loss).toBeGreaterThan(0);
    });
  });

  describe('dropout', () => {
    const spec = planSpec(6, [denseSpec(6, 40, 'relu'), dropoutSpec(40, 0.4), denseSpec(40, 3, 'softmax')], { seed: 0xdeadbeef });
    it('training: the masks of engine.ts dropoutBits for the given step, inverted scaling', () => {
      const c = makeCase(spec, 17, 41, 'labels');
      for (const step of [0, 1, 12345, 2 ** 32 + 7]) checkGrad(c, { training: true, step }, `step ${step}`);
    });
    it('inference: identity', () => {
      checkGrad(makeCase(spec, 17, 42, 'labels'), { training: false }, 'inference');
    });
    it('rate 0 is the identity in training too; the masks differ from step to step', () => {
      const s0 = planSpec(6, [denseSpec(6, 40, 'relu'), dropoutSpec(40, 0), denseSpec(40, 3, 'softmax')]);
      const c = makeCase(s0, 7, 43, 'labels');
      const a = checkGrad(c, { training: true, step: 3 }, 'rate 0');
      const b = checkGrad({ ...c, spec: { ...s0, layers: [s0.layers[0], s0.layers[2]] } }, { training: true }, 'no dropout');
      expect(Array.from(a.grads)).toEqual(Array.from(b.grads));
      const c2 = makeCase(spec, 7, 43, 'labels');
      expect(checkGrad(c2, { step: 1 }).loss).not.toBe(checkGrad(c2, { step: 2 }).loss);
    });
    it('dropout as the last layer, before a loss on its output', () => {
      const s = planSpec(6, [denseSpec(6, 5, 'sigmoid'), dropoutSpec(5, 0.3)], { loss: lossSpec('meanSquaredError') });
      const c = makeCase(s, 9, 44);
      checkGrad(c, { training: true, step: 9 }, 'last dropout, training');
      checkGrad(c, { training: false }, 'last dropout, inference');
    });
  });

  describe('normalization', () => {
    it('batchNorm in training (batch statistics) and inference (running statistics)', () => {
      const spec = planSpec(5, [denseSpec(5, 70, 'linear'), batchNormSpec(70, { momentum: 0.3, eps: 1e-3 }), activationSpec(70, 'relu'), denseSpec(70, 3, 'softmax')], { maxBatch: 17 });
      const c = makeCase(spec, 17, 51, 'labels');
      checkGrad(c, { training: true }, 'batchNorm training');
      checkGrad(c, { training: false }, 'batchNorm inference');
      checkGrad({ ...c, n: 2 }, { training: true }, 'batchNorm training, 2 rows');
    });
    it('layerNorm', () => {
      const spec = planSpec(5, [denseSpec(5, 70, 'linear'), layerNormSpec(70, { eps: 1e-4 }), denseSpec(70, 3, 'linear')], { loss: lossSpec('huber') });
      const c = makeCase(spec, 17, 52);
      checkGrad(c, {}, 'layerNorm');
    });
    it('batchNorm and layerNorm as the last layers', () => {
      const spec = planSpec(5, [denseSpec(5, 4, 'tanh'), layerNormSpec(4), batchNormSpec(4)], { loss: lossSpec('logCosh') });
      const c = makeCase(spec, 7, 53);
      checkGrad(c, { training: true }, 'training');
      checkGrad(c, { training: false }, 'inference');
    });
  });

  describe('trainSteps, evaluate, predict', () => {
    const spec = planSpec(6, [
      denseSpec(6, 16, 'selu', { kernelL2: 0.01 }),
      batchNormSpec(16, { momentum: 0.2 }),
      dropoutSpec(16, 0.25),
      denseSpec(16, 8, 'mish'),
      layerNormSpec(8),
      denseSpec(8, 4, 'softmax', { biasL1: 0.01 }),
    ], { maxBatch: 16, seed: 99, loss: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }) });

    it("one step: the reported loss and rows right are the reference's; running statistics updated with the unbiased variance", async () => {
      const c = makeCase(spec, 40, 61, 'labels');
      const weights = Float32Array.from({ length: 40 }, (_, i) => 0.5 + (i % 3));
      const a = arenas(spec, c.params);
      const plan = engine!.createPlan(spec, a);
      const indices = Int32Array.from([3, 9, 27, 1, 0, 39, 12, 5, 8, 30]);
      const lossOut = new Float32Array(1);
      const correctOut = new Int32Array(1);
      const done = await plan.trainSteps({ x: c.x, y: c.y, weights, indices, batchSize: 10, lrs: Float32Array.of(0.1), stepStart: 6, lossOut, correctOut });
      expect(done).toBe(1);
      const ref = refLossAndGrad(spec, c.params, c.x, c.y, indices, { weights, training: true, step: 7 });
      close([lossOut[0]], [ref.loss], 'loss', 1e-6, 1e-5);
      expect(correctOut[0]).toBe(ref.correct);
      // Running statistics of the batchNorm layer (index 1).
      const off = 6 * 16 + 16;
      const stats = ref.batchStats.get(1)!;
      const rm = Array.from({ length: 16 }, (_, j) => 0.8 * c.params[off + 32 + j] + 0.2 * stats.mean[j]);
      const rv = Array.from({ length: 16 }, (_, j) => 0.8 * c.params[off + 48 + j] + 0.2 * ((stats.variance[j] * 10) / 9));
      close(a.params.subarray(off + 32, off + 48), rm, 'running mean', 1e-6, 1e-5);
      close(a.params.subarray(off + 48, off + 64), rv, 'running variance', 1e-6, 1e-5);
      // Plain SGD: θ − lr·g over the trainable ranges, untouched elsewhere.
      const expected = Float64Array.from(c.params, (v, i) => v - 0.1 * ref.grads[i]);
      expected.set(rm, off + 32);
      expected.set(rv, off + 48);
      close(a.params, expected, 'params after the step', 1e-5, 1e-4);
      plan.dispose();
    });

    it('steps chain: the same as one call per step, and lossAndGrad reproduces each step loss', async () => {
      const c = makeCase(spec, 40, 62, 'labels');
      const indices = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
      const lrs = new Float32Array(4).fill(0.05);
      const whole = arenas(spec, c.params);
      const p1 = engine!.createPlan(spec, whole);
      const lossOut = new Float32Array(4);
      await p1.trainSteps({ x: c.x, y: c.y, weights: null, indices, batchSize: 10, lrs, stepStart: 0, lossOut, correctOut: new Int32Array(4) });
      const split = arenas(spec, c.params);
      const p2 = engine!.createPlan(spec, split);
      for (let s = 0; s < 4; s++) {
        const idx = indices.subarray(s * 10, s * 10 + 10);
        const probe = arenas(spec, split.params);
        const p3 = engine!.createPlan(spec, probe);
        expect(Math.fround(p3.lossAndGrad(c.x, c.y, idx, { step: s + 1 }))).toBe(lossOut[s]);
        p3.dispose();
        const lo = new Float32Array(1);
        await p2.trainSteps({ x: c.x, y: c.y, weights: null, indices: idx, batchSize: 10, lrs: lrs.subarray(0, 1), stepStart: s, lossOut: lo, correctOut: new Int32Array(1) });
        expect(lo[0]).toBe(lossOut[s]);
      }
      expect(Array.from(split.params)).toEqual(Array.from(whole.params));
      p1.dispose();
      p2.dispose();
    });

    it('evaluate: inference loss and rows right over chunks of maxBatch, outputs as predict', async () => {
      const c = makeCase(spec, 37, 63, 'labels');
      const weights = Float32Array.from({ length: 37 }, (_, i) => (i % 5) / 2);
      const a = arenas(spec, c.params);
      const plan = engine!.createPlan(spec, a);
      const out = new Float32Array(37 * 4);
      const r = await plan.evaluate(c.x, c.y, weights, out);
      const ref = refLossAndGrad(spec, c.params, c.x, c.y, range(37), { weights, training: false });
      close([r.loss], [ref.loss], 'loss', 1e-6, 1e-5);
      expect(r.correct).toBe(ref.correct);
      close(out, ref.outputs, 'outputs', 1e-6, 1e-4);
      const pred = new Float32Array(37 * 4);
      plan.predictSync(c.x, pred);
      expect(Array.from(out)).toEqual(Array.from(pred));
      const again = await plan.evaluate(c.x, c.y, null, null);
      close([again.loss], [refLossAndGrad(spec, c.params, c.x, c.y, range(37), { training: false }).loss], 'unweighted loss', 1e-6, 1e-5);
      expect(a.grads.every((v) => v === 123)).toBe(true); // evaluate leaves the gradients alone
      plan.dispose();
    });

    it('evaluate with target rows, one output (k = 1 rule) and no rows', async () => {
      for (const [loss, last, theta] of [[lossSpec('binaryCrossentropy', { fromLogits: true }), 'linear', 0], [lossSpec('hinge'), 'tanh', 0], [lossSpec('meanSquaredError'), 'sigmoid', 0.5]] as const) {
        const s = planSpec(3, [denseSpec(3, 5, 'relu'), denseSpec(5, 1, last)], { loss, maxBatch: 4 });
        const c = makeCase(s, 11, 64, 'probs');
        const y = Float32Array.from(c.y as Float32Array, (v, i) => (loss.kind === 'hinge' ? (i % 2 ? 1 : -1) : v));
        const plan = engine!.createPlan(s, arenas(s, c.params));
        const r = await plan.evaluate(c.x, y, null, null);
        const ref = refLossAndGrad(s, c.params, c.x, y, range(11), { training: false });
        expect(r.correct, `${loss.kind} θ ${theta}`).toBe(ref.correct);
        close([r.loss], [ref.loss], loss.kind, 1e-6, 1e-5);
        expect(await plan.evaluate(new Float32Array(0), new Float32Array(0), null, null)).toEqual({ loss: 0, correct: 0 });
        plan.dispose();
      }
    });

    it('a non-finite loss stops trainSteps before any update (running statistics included)', async () => {
      const c = makeCase(spec, 20, 65, 'labels');
      const x = c.x.slice();
      x[6 * 11] = NaN; // row 11
      const a = arenas(spec, c.params);
      const plan = engine!.createPlan(spec, a);
      const lossOut = new Float32Array(2);
      const done = await plan.trainSteps({ x, y: c.y, weights: null, indices: Int32Array.from([0, 1, 2, 3, 11, 5, 6, 7]), batchSize: 4, lrs: new Float32Array(2).fill(0.1), stepStart: 0, lossOut, correctOut: new Int32Array(2) });
      expect(done).toBe(1);
      expect(Number.isNaN(lossOut[1])).toBe(true);
      const after = a.params.slice();
      const b = arenas(spec, c.params);
      const p2 = engine!.createPlan(spec, b);
      await p2.trainSteps({ x, y: c.y, weights: null, indices: Int32Array.from([0, 1, 2, 3]), batchSize: 4, lrs: Float32Array.of(0.1), stepStart: 0, lossOut: new Float32Array(1), correctOut: new Int32Array(1) });
      expect(Array.from(after)).toEqual(Array.from(b.params));
      plan.dispose();
      p2.dispose();
    });

    it('the optimizer touches only the trainable ranges (Adam with weight decay)', async () => {
      const s: PlanSpec = { ...spec, layers: spec.layers.map((l) => (l.kind === 'dense' && l.units === 8 ? { ...l, trainable: false } : l)), optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true, clipNorm: 0.5 } };
      const c = makeCase(s, 20, 66, 'labels');
      const a = arenas(s, c.params);
      const plan = engine!.createPlan(s, a);
      await plan.trainSteps({ x: c.x, y: c.y, weights: null, indices: range(20), batchSize: 10, lrs: new Float32Array(2).fill(0.01), stepStart: 0, lossOut: new Float32Array(2), correctOut: new Int32Array(2) });
      const inside = new Uint8Array(a.params.length);
      for (const [b, e] of trainableRanges(s)) inside.fill(1, b, e);
      const off = 6 * 16 + 16 + 64; // the frozen dense layer (16 → 8)
      for (let i = off; i < off + 16 * 8 + 8; i++) expect(a.params[i]).toBe(c.params[i]);
      for (let i = 0; i < a.params.length; i++) if (!inside[i]) expect(a.state[i]).toBe(0);
      plan.dispose();
    });
  });
});

// Silence an unused-import warning when the addon is missing.
export type { Plan };

describe.runIf(engine)("K-FAC's Kronecker factors from lossAndGrad", () => {
  it('A = (1/n)·Σ āāᵀ and G = n·Σ δδᵀ per dense layer (frozen ones included), symmetric, over chunks', () => {
    const spec = planSpec(5, [
      denseSpec(5, 6, 'relu', { trainable: false }),
      dropoutSpec(6, 0.2),
      denseSpec(6, 7, 'tanh', { useBias: false }),
      layerNormSpec(7),
      denseSpec(7, 3, 'softmax'),
    ], { maxBatch: 8 });
    const c = makeCase(spec, 21, 71, 'labels');
    const weights = Float32Array.from({ length: 21 }, (_, i) => 0.5 + (i % 3));
    const dense = spec.layers.flatMap((l, i) => (l.kind === 'dense' ? [[i, l] as const] : []));
    const dims = dense.map(([, l]) => (l.kind === 'dense' ? [l.inputs + (l.useBias ? 1 : 0), l.units] : [0, 0]));
    const factors = { a: dims.map(([d]) => new Float32Array(d * d).fill(9)), g: dims.map(([, u]) => new Float32Array(u * u).fill(9)) };
    const plan = engine!.createPlan(spec, arenas(spec, c.params));
    const idx = range(21);
    const loss = plan.lossAndGrad(c.x, c.y, idx, { weights, training: true, step: 2, factors });
    const ref = refLossAndGrad(spec, c.params, c.x, c.y, idx, { weights, training: true, step: 2 });
    close([loss], [ref.loss], 'loss', 1e-6, 1e-5);
    dense.forEach(([li, l], i) => {
      if (l.kind !== 'dense') return;
      const { x, dz } = ref.dense.get(li)!;
      const [d, u] = dims[i];
      const n = 21;
      const A = new Float64Array(d * d);
      const G = new Float64Array(u * u);
      for (let r = 0; r < n; r++) {
        const abar = Array.from({ length: d }, (_, j) => (j < l.inputs ? x[r * l.inputs + j] : 1));
        for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) A[p * d + q] += (abar[p] * abar[q]) / n;
        for (let p = 0; p < u; p++) for (let q = 0; q < u; q++) G[p * u + q] += n * dz[r * u + p] * dz[r * u + q];
      }
      close(factors.a[i], A, `A of dense layer ${li}`, 1e-6, 1e-4);
      close(factors.g[i], G, `G of dense layer ${li}`, 1e-6, 1e-4);
      for (const [m, k] of [[factors.a[i], d], [factors.g[i], u]] as const)
        for (let p = 0; p < k; p++) for (let q = 0; q < p; q++) expect(m[p * k + q]).toBe(m[q * k + p]);
    });
    // No rows: zeros. A missing half or a wrong size: errors.
    plan.lossAndGrad(c.x, c.y, new Int32Array(0), { factors });
    expect(factors.a.every((m) => m.every((v) => v === 0))).toBe(true);
    expect(() => plan.lossAndGrad(c.x, c.y, idx, { factors: { a: factors.a, g: factors.g.slice(1) } })).toThrow(TypeError);
    expect(() => plan.lossAndGrad(c.x, c.y, idx, { factors: { a: [new Float32Array(3), ...factors.a.slice(1)], g: factors.g } })).toThrow(RangeError);
    plan.dispose();
  });
});

describe.runIf(engine)('activations at extreme inputs (TESTING N2)', () => {
  const Z = [0, 1e-8, -1e-8, 1, -1, 2.5, -2.5, 3, -3, 20, -20, 88, -88, 89, -89, 100, -100, 1e4, -1e4, 3e38, -3e38];
  for (const act of ACTIVATIONS.filter((a) => a !== 'softmax')) {
    it(`${act}: finite outputs and gradients from finite inputs, close to float64; NaN propagates`, () => {
      const spec = planSpec(1, [denseSpec(1, 1, 'linear'), activationSpec(1, act, act === 'leakyRelu' ? 0.1 : 1)], { loss: lossSpec('meanAbsoluteError'), maxBatch: 32 });
      const params = Float32Array.of(1, 0);
      const x = Float32Array.from(Z);
      const a = arenas(spec, params);
      const plan = engine!.createPlan(spec, a);
      const out = new Float32Array(Z.length);
      plan.predictSync(x, out);
      const ref = refLossAndGrad(spec, params, x, new Float32Array(Z.length), range(Z.length), { training: false });
      out.forEach((v, i) => {
        expect(Number.isFinite(v), `${act}(${Z[i]}) = ${v}`).toBe(true);
        const e = Math.fround(ref.outputs[i]);
        expect(Math.abs(v - e), `${act}(${Z[i]}) = ${v}, expected ${e}`).toBeLessThanOrEqual(1e-30 + 2e-6 * Math.abs(e)); // FTZ: intermediates below 1e-38 flush to 0
      });
      // Row by row (one z at a time), so that a huge z's gradient does not swamp the others.
      Z.forEach((z, i) => {
        const loss = plan.lossAndGrad(x, new Float32Array(Z.length), Int32Array.of(i), { training: false });
        const r = refLossAndGrad(spec, params, x, new Float32Array(Z.length), Int32Array.of(i), { training: false });
        expect(Number.isFinite(loss), `${act}(${z}): loss ${loss}`).toBe(true);
        a.grads.forEach((g, j) => {
          expect(Number.isFinite(g), `${act}(${z}): grad ${j} = ${g}`).toBe(true);
          expect(Math.abs(g - r.grads[j]), `${act}(${z}): grad ${j} = ${g}, expected ${r.grads[j]}`).toBeLessThanOrEqual(1e-6 + 1e-4 * Math.abs(r.grads[j]));
        });
      });
      plan.predictSync(Float32Array.of(NaN), out.subarray(0, 1));
      expect(out[0]).toBeNaN();
      plan.dispose();
    });
  }
});

/** H·v of the float64 reference by central differences of its gradient along v (masked to the trainable ranges). */
function refHessianVector(spec: PlanSpec, params: Float32Array, x: Float32Array, y: Int32Array | Float32Array, idx: Int32Array, v: Float32Array, opts: RefOptions): Float64Array {
  const mask = new Float64Array(params.length);
  for (const [s, e] of trainableRanges(spec)) for (let i = s; i < e; i++) mask[i] = v[i];
  const eps = 1e-5;
  const plus = Float64Array.from(params, (p, i) => p + eps * mask[i]);
  const minus = Float64Array.from(params, (p, i) => p - eps * mask[i]);
  const gp = refLossAndGrad(spec, plus, x, y, idx, opts).grads;
  const gm = refLossAndGrad(spec, minus, x, y, idx, opts).grads;
  return gp.map((g, i) => (g - gm[i]) / (2 * eps));
}

describe.runIf(engine)('hessianVector (R-operator) vs central differences of the float64 gradient', () => {
  function checkHv(c: Case, opts: RefOptions & { weights?: Float32Array | null } = {}, what = 'case') {
    const a = arenas(c.spec, c.params);
    const plan = engine!.createPlan(c.spec, a);
    const r = rng(99);
    const v = Float32Array.from({ length: c.params.length }, () => 2 * r() - 1);
    const out = new Float32Array(c.params.length).fill(7);
    const idx = range(c.n);
    const grads = a.grads.slice();
    plan.hessianVector!(c.x, c.y, idx, v, out, { weights: opts.weights ?? null, training: opts.training, step: opts.step });
    const ref = refHessianVector(c.spec, c.params, c.x, c.y, idx, v, opts);
    const scale = Math.max(1e-3, ...ref.map(Math.abs));
    close(out, ref, `${what}: H·v`, 2e-4 * scale, 2e-3);
    expect(Array.from(a.grads)).toEqual(Array.from(grads)); // the gradient arena is not touched
    plan.dispose();
  }
  for (const act of ACTIVATIONS) {
    it(`${act}: as a dense activation and as an activation layer`, () => {
      const s1 = planSpec(4, [denseSpec(4, 5, act, { alpha: act === 'elu' ? 0.7 : 0.05 }), denseSpec(5, 3, 'linear')], { loss: lossSpec('meanSquaredError') });
      checkHv(makeCase(s1, 7, 81, 'rows', act === 'hardSigmoid' ? 4 : 1), {}, `${act} dense`);
      const s2 = planSpec(4, [denseSpec(4, 5, 'linear'), activationSpec(5, act, 0.3), denseSpec(5, 3, 'tanh')], { loss: lossSpec('logCosh') });
      checkHv(makeCase(s2, 7, 82), {}, `${act} layer`);
    });
  }
  const losses: [string, LayerSpec[], LossSpec, 'labels' | 'rows' | 'probs' | 'signs' | 'counts'][] = [
    ['meanSquaredError', [denseSpec(4, 3, 'linear')], lossSpec('meanSquaredError'), 'rows'],
    ['meanAbsoluteError', [denseSpec(4, 3, 'tanh')], lossSpec('meanAbsoluteError'), 'rows'],
    ['huber', [denseSpec(4, 3, 'linear')], lossSpec('huber', { delta: 0.3 }), 'rows'],
    ['logCosh', [denseSpec(4, 3, 'linear')], lossSpec('logCosh'), 'rows'],
    ['poisson', [denseSpec(4, 3, 'softplus')], lossSpec('poisson'), 'counts'],
    ['poisson fromLogits', [denseSpec(4, 3, 'linear')], lossSpec('poisson', { fromLogits: true }), 'counts'],
    ['hinge', [denseSpec(4, 3, 'tanh')], lossSpec('hinge'), 'signs'],
    ['squaredHinge', [denseSpec(4, 3, 'linear')], lossSpec('squaredHinge'), 'signs'],
    ['categoricalHinge', [denseSpec(4, 3, 'linear')], lossSpec('categoricalHinge'), 'labels'],
    ['kullbackLeiblerDivergence', [denseSpec(4, 3, 'softmax')], lossSpec('kullbackLeiblerDivergence'), 'probs'],
    ['binaryCrossentropy fused', [denseSpec(4, 3, 'sigmoid')], lossSpec('binaryCrossentropy'), 'probs'],
    ['binaryCrossentropy fused activation layer', [denseSpec(4, 3, 'linear'), activationSpec(3, 'sigmoid')], lossSpec('binaryCrossentropy'), 'probs'],
    ['binaryCrossentropy fromLogits', [denseSpec(4, 3, 'linear')], lossSpec('binaryCrossentropy', { fromLogits: true }), 'probs'],
    ['binaryCrossentropy on probabilities', [denseSpec(4, 3, 'softmax')], lossSpec('binaryCrossentropy'), 'probs'],
    ['categoricalCrossentropy fused, smoothing', [denseSpec(4, 3, 'softmax')], lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), 'labels'],
    ['categoricalCrossentropy fused activation layer', [denseSpec(4, 3, 'linear'), activationSpec(3, 'softmax')], lossSpec(), 'probs'],
    ['categoricalCrossentropy fromLogits', [denseSpec(4, 3, 'linear')], lossSpec('categoricalCrossentropy', { fromLogits: true }), 'labels'],
    ['categoricalCrossentropy on probabilities', [denseSpec(4, 3, 'sigmoid')], lossSpec('categoricalCrossentropy'), 'probs'],
  ];
  for (const [name, layers, loss, target] of losses) {
    it(name, () => {
      const spec = planSpec(4, [denseSpec(4, 4, 'tanh'), ...layers], { loss });
      checkHv(makeCase(spec, 9, 83, target), {}, name);
    });
  }
  it('batchNorm (training and inference), layerNorm, dropout, frozen layers, weights, L1/L2, chunks', () => {
    const spec = planSpec(5, [
      denseSpec(5, 6, 'gelu', { kernelL2: 0.05, biasL1: 0.01 }),
      batchNormSpec(6),
      dropoutSpec(6, 0.3),
      denseSpec(6, 6, 'tanh', { trainable: false }),
      layerNormSpec(6),
      denseSpec(6, 3, 'softmax', { useBias: false, kernelL2: 0.1 }),
    ], { maxBatch: 16 });
    const c = makeCase(spec, 11, 84, 'labels');
    const weights = Float32Array.from({ length: 11 }, (_, i) => 0.5 + (i % 4));
    checkHv(c, { training: true, step: 3, weights }, 'training');
    checkHv(c, { training: false }, 'inference');
    const chunked = planSpec(5, spec.layers.filter((l) => l.kind !== 'batchNorm'), { maxBatch: 4 });
    checkHv(makeCase(chunked, 11, 85, 'labels'), { training: true, step: 5, weights }, 'chunked');
    const frozenBn = planSpec(5, [denseSpec(5, 6, 'linear'), batchNormSpec(6, { trainable: false }), denseSpec(6, 2, 'linear', { trainable: false })], { loss: lossSpec('meanSquaredError') });
    checkHv(makeCase(frozenBn, 8, 86), { training: true }, 'frozen batchNorm');
  });
  it('no rows: the L2 term only; v and out must not overlap', () => {
    const spec = planSpec(3, [denseSpec(3, 2, 'linear', { kernelL2: 0.5 })], { loss: lossSpec('meanSquaredError') });
    const plan = engine!.createPlan(spec, arenas(spec, new Float32Array(8).fill(0.1)));
    const v = Float32Array.from({ length: 8 }, (_, i) => i);
    const out = new Float32Array(8);
    plan.hessianVector!(new Float32Array(0), new Float32Array(0), new Int32Array(0), v, out);
    expect(Array.from(out)).toEqual([0, 1, 2, 3, 4, 5, 0, 0]);
    expect(() => plan.hessianVector!(new Float32Array(0), new Float32Array(0), new Int32Array(0), v, v)).toThrow(RangeError);
    plan.dispose();
  });
});
