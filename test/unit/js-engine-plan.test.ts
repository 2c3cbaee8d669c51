// The pure-TS plan's orchestration: weighted reduction, regularization, frozen layers and
// trainable ranges, batchNorm train/inference, dropout steps, chunking, evaluate, and the checks
// that protect the engine. Float64 plans where values are compared with finite differences.
import { describe, expect, it } from 'vitest';
import {
  initOptimizerState, layerOffsets, paramCount, stateSlots, trainableRanges,
  type LayerSpec, type OptimizerSpec, type PlanSpec,
} from '../../lib/engine/engine.js';
import { JsPlan } from '../../lib/engine/js/plan.js';
import { Rng } from '../../lib/random.js';
import { oneHot, randomInputs, randomLabels } from '../helpers/data.js';
import { denseSpec, lossSpec, planSpec } from '../helpers/specs.js';

const adamSpec: OptimizerSpec = { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false };

function randomParams(spec: PlanSpec, seed: number): Float64Array {
  const rng = new Rng(seed, 5);
  const p = Float64Array.from({ length: paramCount(spec) }, () => (2 * rng.nextFloat() - 1) * 0.6);
  // batchNorm: gamma near 1, running variance positive.
  const offsets = layerOffsets(spec);
  spec.layers.forEach((l, i) => {
    if (l.kind === 'batchNorm' || l.kind === 'layerNorm') for (let j = 0; j < l.units; j++) p[offsets[i] + j] += 1;
    if (l.kind === 'batchNorm') for (let j = 0; j < l.units; j++) p[offsets[i] + 3 * l.units + j] = 0.5 + Math.abs(p[offsets[i] + 3 * l.units + j]);
  });
  return p;
}

function plan64(spec: PlanSpec, params: ArrayLike<number>) {
  const n = paramCount(spec);
  const arenas = { params: Float64Array.from(params), grads: new Float64Array(n), state: new Float64Array(stateSlots(spec.optimizer) * n) };
  initOptimizerState(spec.optimizer, arenas.state);
  return { plan: new JsPlan(spec, arenas, Float64Array), arenas };
}

function plan32(spec: PlanSpec, params: ArrayLike<number>) {
  const n = paramCount(spec);
  const arenas = { params: Float32Array.from(params), grads: new Float32Array(n), state: new Float32Array(stateSlots(spec.optimizer) * n) };
  initOptimizerState(spec.optimizer, arenas.state);
  return { plan: new JsPlan(spec, arenas), arenas };
}

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** Every layer kind in one small network. */
function catalogSpec(extra: Partial<PlanSpec> = {}): PlanSpec {
  const layers: LayerSpec[] = [
    denseSpec(4, 6, 'gelu', { kernelL1: 0.01, kernelL2: 0.02, biasL2: 0.03 }),
    { kind: 'layerNorm', inputs: 6, units: 6, eps: 1e-3, trainable: true },
    { kind: 'dropout', inputs: 6, units: 6, rate: 0.3 },
    { kind: 'batchNorm', inputs: 6, units: 6, momentum: 0.1, eps: 1e-3, trainable: true },
    { kind: 'activation', inputs: 6, units: 6, activation: 'tanh', alpha: 0 },
    denseSpec(6, 5, 'mish', { biasL1: 0.01 }),
    denseSpec(5, 3, 'softmax', { kernelL2: 0.05 }),
  ];
  return planSpec(4, layers, { loss: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), maxBatch: 8, seed: 9, ...extra });
}

describe('float64 plan: gradient of the whole catalog network matches central differences', () => {
  it('dense/gelu, layerNorm, dropout, batchNorm, tanh layer, mish, softmax-CE + smoothing, weights, L1/L2', () => {
    const spec = catalogSpec();
    const params = randomParams(spec, 3);
    const x = Float64Array.from(randomInputs(6, 4, 4));
    const y = randomLabels(6, 3, 5);
    const weights = Float32Array.of(1, 0.5, 2, 0, 1.5, 1);
    const indices = Int32Array.of(0, 1, 2, 3, 4, 5);
    const options = { weights, training: true, step: 4 };
    const { plan, arenas } = plan64(spec, params);
    plan.lossAndGrad(x, y, indices, options);
    const analytic = arenas.grads.slice();
    const ranges = trainableRanges(spec);
    const inRange = (i: number) => ranges.some(([a, b]) => i >= a && i < b);
    const h = 1e-6;
    for (let i = 0; i < params.length; i++) {
      if (!inRange(i)) {
        expect(analytic[i], `grad ${i} outside trainable ranges`).toBe(0);
        continue;
      }
      const keep = arenas.params[i];
      arenas.params[i] = keep + h;
      const up = plan.lossAndGrad(x, y, indices, options);
      arenas.params[i] = keep - h;
      const down = plan.lossAndGrad(x, y, indices, options);
      arenas.params[i] = keep;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(analytic[i] - numeric), `param ${i}: ${analytic[i]} vs ${numeric}`).toBeLessThanOrEqual(1e-7 + 1e-5 * Math.abs(numeric));
    }
  });
});

describe('weighted reduction Σw·l/Σw', () => {
  const spec = planSpec(3, [denseSpec(3, 4, 'tanh'), denseSpec(4, 2, 'sigmoid')], { loss: lossSpec('binaryCrossentropy'), maxBatch: 4 });
  const params = randomParams(spec, 1);
  const x = Float64Array.from(randomInputs(5, 3, 2));
  const y = Float64Array.from(randomInputs(5, 2, 3)).map((v) => (v > 0 ? 1 : 0));
  it('equals the weighted mean of per-row losses (chunks of maxBatch included)', () => {
    const { plan } = plan64(spec, params);
    const w = Float32Array.of(0.5, 2, 0, 1, 3);
    const perRow = [0, 1, 2, 3, 4].map((r) => plan.lossAndGrad(x, y, Int32Array.of(r)));
    const expected = perRow.reduce((s, l, r) => s + w[r] * l, 0) / (0.5 + 2 + 0 + 1 + 3);
    expect(plan.lossAndGrad(x, y, range(5), { weights: w })).toBeCloseTo(expected, 14);
  });
  it('equal weights give the unweighted loss and gradient; all-zero weights give 0 and zero gradients', () => {
    const a = plan64(spec, params);
    const b = plan64(spec, params);
    const la = a.plan.lossAndGrad(x, y, range(5));
    const lb = b.plan.lossAndGrad(x, y, range(5), { weights: new Float32Array(5).fill(2.5) });
    expect(lb).toBeCloseTo(la, 15);
    a.arenas.grads.forEach((g, i) => expect(b.arenas.grads[i]).toBeCloseTo(g, 15));
    expect(b.plan.lossAndGrad(x, y, range(5), { weights: new Float32Array(5) })).toBe(0);
    expect(b.arenas.grads.every((g) => g === 0)).toBe(true);
  });
  it('class labels and one-hot rows give identical loss and gradients', () => {
    const s = planSpec(3, [denseSpec(3, 4, 'relu'), denseSpec(4, 3, 'softmax')], { maxBatch: 8 });
    const p = randomParams(s, 2);
    const labels = randomLabels(5, 3, 4);
    const a = plan64(s, p);
    const b = plan64(s, p);
    expect(a.plan.lossAndGrad(x, labels, range(5))).toBe(b.plan.lossAndGrad(x, Float64Array.from(oneHot(labels, 3)), range(5)));
    expect(Array.from(a.arenas.grads)).toEqual(Array.from(b.arenas.grads));
  });
});

describe('regularization', () => {
  it('adds kernelL1·Σ|W| + kernelL2·ΣW² + biasL1·Σ|b| + biasL2·Σb² to the loss and l1·sign(w) + 2·l2·w to the gradient', () => {
    const reg = { kernelL1: 0.01, kernelL2: 0.02, biasL1: 0.03, biasL2: 0.04 };
    const plain = planSpec(3, [denseSpec(3, 2, 'linear')], { loss: lossSpec('meanSquaredError'), maxBatch: 4 });
    const regd = planSpec(3, [denseSpec(3, 2, 'linear', reg)], { loss: lossSpec('meanSquaredError'), maxBatch: 4 });
    const params = randomParams(plain, 7);
    params[0] = 0; // sign(0) = 0
    const x = Float64Array.from(randomInputs(4, 3, 1));
    const y = Float64Array.from(randomInputs(4, 2, 2));
    const a = plan64(plain, params);
    const b = plan64(regd, params);
    const la = a.plan.lossAndGrad(x, y, range(4));
    const lb = b.plan.lossAndGrad(x, y, range(4));
    let term = 0;
    for (let i = 0; i < 6; i++) term += reg.kernelL1 * Math.abs(params[i]) + reg.kernelL2 * params[i] ** 2;
    for (let i = 6; i < 8; i++) term += reg.biasL1 * Math.abs(params[i]) + reg.biasL2 * params[i] ** 2;
    expect(lb - la).toBeCloseTo(term, 14);
    for (let i = 0; i < 8; i++) {
      const [l1, l2] = i < 6 ? [reg.kernelL1, reg.kernelL2] : [reg.biasL1, reg.biasL2];
      expect(b.arenas.grads[i] - a.arenas.grads[i]).toBeCloseTo(l1 * Math.sign(params[i]) + 2 * l2 * params[i], 14);
    }
  });
});

describe('frozen layers and trainable ranges', () => {
  const layers = (frozen: boolean): LayerSpec[] => [
    denseSpec(4, 5, 'relu'),
    denseSpec(5, 4, 'elu', { trainable: !frozen, kernelL2: 0.1 }),
    { kind: 'batchNorm', inputs: 4, units: 4, momentum: 0.1, eps: 1e-5, trainable: !frozen },
    denseSpec(4, 3, 'softmax'),
  ];
  const x = Float64Array.from(randomInputs(8, 4, 11));
  const y = randomLabels(8, 3, 12);
  it('frozen ranges get gradient 0 (whatever the arena held), earlier layers still get their gradient through them', () => {
    const open = planSpec(4, layers(false), { maxBatch: 8 });
    const frozen = planSpec(4, layers(true), { maxBatch: 8 });
    const params = randomParams(open, 4);
    const a = plan64(open, params);
    const b = plan64(frozen, params);
    b.arenas.grads.fill(123);
    expect(b.plan.lossAndGrad(x, y, range(8))).toBe(a.plan.lossAndGrad(x, y, range(8)));
    const ranges = trainableRanges(frozen);
    for (let i = 0; i < params.length; i++) {
      const trained = ranges.some(([s, e]) => i >= s && i < e);
      if (trained) expect(b.arenas.grads[i]).toBe(a.arenas.grads[i]);
      else expect(b.arenas.grads[i]).toBe(0);
    }
  });
  it('trainSteps leaves frozen parameters and their optimizer state bitwise unchanged; batchNorm running stats still move', async () => {
    const spec = planSpec(4, layers(true), { maxBatch: 4, optimizer: adamSpec });
    const params = randomParams(spec, 5);
    const { plan, arenas } = plan32(spec, params);
    const before = arenas.params.slice();
    const steps = 2;
    const done = await plan.trainSteps({
      x: Float32Array.from(x), y, weights: null, indices: range(8), batchSize: 4, lrs: new Float32Array(steps).fill(0.01),
      stepStart: 0, lossOut: new Float32Array(steps), correctOut: new Int32Array(steps),
    });
    expect(done).toBe(steps);
    const offsets = layerOffsets(spec);
    const n = arenas.params.length;
    for (let i = offsets[1]; i < offsets[2] + 8; i++) {
      expect(arenas.params[i]).toBe(before[i]);
      expect(arenas.state[i]).toBe(0);
      expect(arenas.state[n + i]).toBe(0);
    }
    let moved = 0;
    for (let i = offsets[2] + 8; i < offsets[3]; i++) if (arenas.params[i] !== before[i]) moved++;
    expect(moved).toBe(8);
    expect(arenas.params[0]).not.toBe(before[0]);
  });
});

describe('batchNorm: training vs inference', () => {
  const spec = planSpec(3, [denseSpec(3, 4, 'linear'), { kind: 'batchNorm', inputs: 4, units: 4, momentum: 0.2, eps: 1e-5, trainable: true }, denseSpec(4, 2, 'softmax')], { maxBatch: 6 });
  const x = Float32Array.from(randomInputs(6, 3, 21));
  const y = randomLabels(6, 2, 22);
  it('lossAndGrad does not touch the running statistics; training and inference losses differ', () => {
    const { plan, arenas } = plan32(spec, randomParams(spec, 6));
    const before = arenas.params.slice();
    const lt = plan.lossAndGrad(x, y, range(6));
    const li = plan.lossAndGrad(x, y, range(6), { training: false });
    expect(Array.from(arenas.params)).toEqual(Array.from(before));
    expect(lt).not.toBe(li);
  });
  it('trainSteps updates running stats with the unbiased batch variance; evaluate uses them', async () => {
    const { plan, arenas } = plan32({ ...spec, optimizer: { kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 } }, randomParams(spec, 6));
    const o = layerOffsets(spec)[1];
    const z = new Float64Array(6 * 4);
    for (let r = 0; r < 6; r++) {
      for (let j = 0; j < 4; j++) {
        let s = arenas.params[12 + j];
        for (let i = 0; i < 3; i++) s += x[r * 3 + i] * arenas.params[i * 4 + j];
        z[r * 4 + j] = Math.fround(s);
      }
    }
    const rm = arenas.params.slice(o + 8, o + 12);
    const rv = arenas.params.slice(o + 12, o + 16);
    await plan.trainSteps({ x, y, weights: null, indices: range(6), batchSize: 6, lrs: Float32Array.of(0), stepStart: 0, lossOut: new Float32Array(1), correctOut: new Int32Array(1) });
    for (let j = 0; j < 4; j++) {
      let m = 0;
      for (let r = 0; r < 6; r++) m += z[r * 4 + j] / 6;
      let v = 0;
      for (let r = 0; r < 6; r++) v += (z[r * 4 + j] - m) ** 2 / 5;
      expect(arenas.params[o + 8 + j]).toBeCloseTo(0.8 * rm[j] + 0.2 * m, 6);
      expect(arenas.params[o + 12 + j]).toBeCloseTo(0.8 * rv[j] + 0.2 * v, 6);
    }
    const out = new Float32Array(12);
    const result = await plan.evaluate(x, y, null, out);
    expect(result.loss).toBeCloseTo(plan.lossAndGrad(x, y, range(6), { training: false }), 6);
    const predicted = new Float32Array(12);
    await plan.predict(x, predicted);
    expect(Array.from(out)).toEqual(Array.from(predicted));
  });
});

describe('dropout in the plan', () => {
  const spec = planSpec(4, [denseSpec(4, 16, 'relu'), { kind: 'dropout', inputs: 16, units: 16, rate: 0.5 }, denseSpec(16, 3, 'softmax')], { maxBatch: 4, seed: 3 });
  const params = randomParams(spec, 8);
  const x = Float64Array.from(randomInputs(10, 4, 31));
  const y = randomLabels(10, 3, 32);
  it('masks depend on options.step; training: false is the identity', () => {
    const { plan } = plan64(spec, params);
    const s0 = plan.lossAndGrad(x, y, range(4));
    expect(plan.lossAndGrad(x, y, range(4), { step: 0 })).toBe(s0);
    expect(plan.lossAndGrad(x, y, range(4), { step: 1 })).not.toBe(s0);
    const inference = plan.lossAndGrad(x, y, range(4), { training: false });
    const noDropout = plan64(planSpec(4, [spec.layers[0], spec.layers[2]], { maxBatch: 4 }), params);
    expect(noDropout.plan.lossAndGrad(x, y, range(4))).toBeCloseTo(inference, 15);
  });
  it('a lossAndGrad over more rows than maxBatch (chunks) equals one big batch, dropout masks included', () => {
    const small = plan64(spec, params);
    const big = plan64({ ...spec, maxBatch: 16 }, params);
    const options = { step: 5 };
    expect(small.plan.lossAndGrad(x, y, range(10), options)).toBeCloseTo(big.plan.lossAndGrad(x, y, range(10), options), 14);
    small.arenas.grads.forEach((g, i) => expect(g).toBeCloseTo(big.arenas.grads[i], 14));
  });
  it('back-to-back trainSteps calls shorter than the yield slice still let timers run', async () => {
    // fit makes one call per epoch; epochs of a few ms used to chain through promise
    // continuations alone, and a timer (an abort, a server's work) never ran.
    const tiny = planSpec(3, [denseSpec(3, 4, 'relu'), denseSpec(4, 2, 'softmax')]);
    const { plan } = plan32(tiny, randomParams(tiny, 2));
    const x = Float32Array.from({ length: 8 * 3 }, (_, i) => Math.sin(i));
    const y = Int32Array.from({ length: 8 }, (_, i) => i % 2);
    const call = () => plan.trainSteps({ x, y, weights: null, indices: range(8), batchSize: 8, lrs: Float32Array.of(0.01), stepStart: 0, lossOut: new Float32Array(1), correctOut: new Int32Array(1) });
    // Warm up first (compiled, each call far below the slice), yielding as the test goes.
    for (let i = 0; i < 2000; i++) await call();
    await new Promise((r) => setImmediate(r));
    let fired = false;
    setTimeout(() => (fired = true), 10);
    const start = performance.now();
    while (!fired && performance.now() - start < 500) await call();
    expect(fired).toBe(true);
  });

  it('trainSteps step s uses the masks of stepStart + s + 1', async () => {
    const { plan } = plan32({ ...spec, optimizer: { kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 } }, params);
    const lossOut = new Float32Array(1);
    await plan.trainSteps({ x: Float32Array.from(x), y, weights: null, indices: range(4), batchSize: 4, lrs: Float32Array.of(0), stepStart: 6, lossOut, correctOut: new Int32Array(1) });
    expect(lossOut[0]).toBe(Math.fround(plan.lossAndGrad(Float32Array.from(x), y, range(4), { step: 7 })));
  });
});

describe('evaluate', () => {
  it('loss over all rows (inference) with weights and regularization, the correct count and the outputs', async () => {
    const spec = planSpec(3, [denseSpec(3, 5, 'silu', { kernelL2: 0.1 }), denseSpec(5, 3, 'softmax')], { maxBatch: 4 });
    const { plan } = plan32(spec, randomParams(spec, 9));
    const x = randomInputs(10, 3, 41);
    const y = randomLabels(10, 3, 42);
    const w = Float32Array.from({ length: 10 }, (_, i) => (i % 3) + 0.5);
    const out = new Float32Array(30);
    const r = await plan.evaluate(x, y, w, out);
    expect(r.loss).toBeCloseTo(plan.lossAndGrad(x, y, range(10), { weights: w, training: false }), 6);
    let correct = 0;
    for (let i = 0; i < 10; i++) {
      const row = Array.from(out.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
    }
    expect(r.correct).toBe(correct);
    const r2 = await plan.evaluate(x, y, w, null);
    expect(r2).toEqual(r);
  });
});

describe('checks that protect the engine (before any work)', () => {
  const bnSpec = planSpec(3, [denseSpec(3, 4, 'relu'), { kind: 'batchNorm', inputs: 4, units: 4, momentum: 0.1, eps: 1e-5, trainable: true }, denseSpec(4, 2, 'softmax')], { maxBatch: 4 });
  const x = randomInputs(5, 3, 51);
  const y = randomLabels(5, 2, 52);
  const req = (over: object) => ({ x, y, weights: null, indices: range(5), batchSize: 4, lrs: Float32Array.of(0.1), stepStart: 0, lossOut: new Float32Array(2), correctOut: new Int32Array(2), ...over });
  const cases: [string, (p: JsPlan) => unknown, ErrorConstructor, RegExp][] = [
    ['class labels with meanSquaredError', () => plan32({ ...bnSpec, loss: lossSpec('meanSquaredError') }, randomParams(bnSpec, 10)).plan.lossAndGrad(x, y, range(2)), TypeError, /^lossAndGrad\(y\): expected a Float32Array of n·2 target values \(class indices only go with categoricalCrossentropy and categoricalHinge, not meanSquaredError\), received Int32Array\(5\)$/],
    ['batchNorm with batchSize 1', (p) => p.trainSteps(req({ batchSize: 1 })), RangeError, /^trainSteps\(batchSize\): expected at least 2 rows per training batch with batchNorm \(batch statistics\), received 1$/],
    ['batchNorm with a last batch of 1 row', (p) => p.trainSteps(req({ lrs: Float32Array.of(0.1, 0.1) })), RangeError, /^trainSteps\(indices\): expected at least 2 rows .*received a last batch of 1 row \(5 indices in batches of 4\)$/],
    ['batchNorm lossAndGrad over 1 row', (p) => p.lossAndGrad(x, y, Int32Array.of(3)), RangeError, /^lossAndGrad\(indices\): expected at least 2 rows .*received 1 row$/],
    ['batchNorm lossAndGrad over more than maxBatch rows', (p) => p.lossAndGrad(x, y, range(5)), RangeError, /^lossAndGrad\(indices\): expected at most maxBatch = 4 rows/],
    ['weights of the wrong length', (p) => p.evaluate(x, y, new Float32Array(4), null), RangeError, /^evaluate\(weights\): expected 5 values \(one per row of x\), received Float32Array\(4\)$/],
    ['a label out of range', (p) => p.evaluate(x, Int32Array.of(0, 1, 2, 0, 1), null, null), RangeError, /^evaluate\(y\)\[2\]: expected a class index in \[0, 1\], received 2$/],
    ['an index out of range', (p) => p.lossAndGrad(x, y, Int32Array.of(0, 5), { training: false }), RangeError, /^lossAndGrad\(indices\)\[1\]: expected a row index in \[0, 4\], received 5$/],
    ['more learning rates than batches', (p) => p.trainSteps(req({ indices: range(4), lrs: Float32Array.of(0.1, 0.1) })), RangeError, /^trainSteps\(lrs\): expected at most 1 learning rates/],
    ['x not a whole number of rows', (p) => p.predictSync(new Float32Array(7), new Float32Array(4)), RangeError, /^predictSync\(x\): expected a length that is a multiple of 3/],
    ['a short predict output', (p) => p.predict(x, new Float32Array(9)), RangeError, /^predict\(out\): expected 10 values, received Float32Array\(9\)$/],
  ];
  it.each(cases)('%s', async (_what, call, kind, message) => {
    const { plan, arenas } = plan32(bnSpec, randomParams(bnSpec, 10));
    const before = arenas.params.slice();
    const err = await Promise.resolve().then(() => call(plan)).then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(kind);
    expect(err.message).toMatch(message);
    expect(Array.from(arenas.params)).toEqual(Array.from(before));
    expect(arenas.grads.every((g) => g === 0)).toBe(true);
    // The plan is usable afterwards (the failed call released it).
    expect(plan.lossAndGrad(x, y, range(4))).toBeGreaterThan(0);
  });
  it('arenas that do not fit the spec', () => {
    const n = paramCount(bnSpec);
    expect(() => new JsPlan(bnSpec, { params: new Float32Array(n - 1), grads: new Float32Array(n), state: new Float32Array(0) })).toThrow(/^createPlan\(arenas.params\): expected \d+ values, received Float32Array/);
  });
});

describe("K-FAC factors (lossAndGrad options.factors)", () => {
  const spec = planSpec(3, [denseSpec(3, 4, 'tanh', { trainable: false }), denseSpec(4, 3, 'softmax', { useBias: false })], { maxBatch: 3 });
  const params = randomParams(spec, 13);
  const x = Float32Array.from(randomInputs(7, 3, 61));
  const y = randomLabels(7, 3, 62);
  const fresh = () => ({ a: [new Float32Array(16), new Float32Array(16)], g: [new Float32Array(16), new Float32Array(9)] });
  it('are the same whether the rows run in one batch or in chunks of maxBatch, symmetric, frozen layers included', () => {
    const small = plan32(spec, params);
    const big = plan32({ ...spec, maxBatch: 8 }, params);
    const f1 = fresh();
    const f2 = fresh();
    small.plan.lossAndGrad(x, y, range(7), { factors: f1 });
    big.plan.lossAndGrad(x, y, range(7), { factors: f2 });
    for (const key of ['a', 'g'] as const) {
      f1[key].forEach((m, i) => {
        const d = Math.sqrt(m.length);
        m.forEach((v, j) => expect(v).toBeCloseTo(f2[key][i][j], 6));
        for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) expect(m[r * d + c]).toBe(m[c * d + r]);
      });
    }
    // Frozen first layer: G is still filled (δ propagates through it), A's bias corner is 1.
    expect(f1.g[0].some((v) => v !== 0)).toBe(true);
    expect(f1.a[0][15]).toBe(1);
    // Second layer without bias: A is 4×4 over the tanh outputs.
    expect(f1.a[1][0]).toBeGreaterThan(0);
  });
  it('factors of the wrong shape are a RangeError before any work', () => {
    const { plan, arenas } = plan32(spec, params);
    const bad = fresh();
    bad.a[1] = new Float32Array(25);
    expect(() => plan.lossAndGrad(x, y, range(7), { factors: bad })).toThrow(/^lossAndGrad\(options.factors.a\[1\]\): expected 4·4 = 16 values, received Float32Array\(25\)$/);
    expect(arenas.grads.every((g) => g === 0)).toBe(true);
  });
});
