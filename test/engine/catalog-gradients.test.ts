// Issue 4, gradients of the whole catalog (TESTING G1, G2) and the training behaviours around
// them: frozen layers, batchNorm running statistics, dropout masks, evaluate and correct counts.
//
// G1, PyTorch gradcheck's method: the TS engine's plan over float64 arenas (the reference),
// full Jacobian of the loss over every trainable parameter by central differences
// (eps 1e-6), atol 1e-5, rtol 1e-3; gradients outside trainableRanges must be exactly 0.
// Tiny shapes (3 inputs, 4 hidden units, ≤ 4 outputs, batch 3). Kinks are kept ≥ 1e-3 away:
// the pre-activations of relu, leakyRelu, elu, selu (0) and hardSigmoid (±3) are computed by
// the reference itself (a truncated plan with a linear last layer) and a network whose values
// come closer is redrawn with the next seed; meanAbsoluteError targets sit 0.05–0.5 away from
// the outputs; hinge margins and categoricalHinge's max (and its ties) are checked like the
// activations; losses on probabilities get outputs in (0.2, 0.8) (bias 0.5, small kernel), far
// from the 1e-7 clamps; L1 regularization gets parameters with |w| ≥ 1e-2.
//
// G2: each engine's float32 gradients against the float64 reference on the same float32
// weights and inputs (batch 7, 5 inputs, 9 hidden units): atol 1e-5, rtol 1e-4 on gradients,
// atol 1e-5 + rtol 1e-5 on the loss (TESTING G2).
import { describe, expect, it } from 'vitest';
import {
  dropoutBits, dropoutKey, dropoutThreshold, layerOffsets, outputSize, paramCount, trainableRanges,
  type Activation, type LayerSpec, type LossAndGradOptions, type LossSpec, type OptimizerSpec, type PlanSpec,
} from '../../lib/engine/engine.js';
import { Rng } from '../../lib/random.js';
import { engines } from '../helpers/engines.js';
import { activationSpec, batchNormSpec, denseSpec, dropoutSpec, layerNormSpec, lossSpec, planSpec, plainSgd } from '../helpers/specs.js';
import { enginePlan, expectClose, identityRows, range, reference } from '../helpers/catalog.js';

type Targets = Int32Array | Float32Array;
interface Dims {
  n: number;
  inputs: number;
  hidden: number;
}
interface Net {
  name: string;
  layers: (d: Dims) => LayerSpec[];
  loss?: LossSpec;
  /** Targets for the given float64 outputs (what predict returns) of n rows × k. */
  targets: (o: Float64Array, n: number, k: number, rng: Rng) => Targets;
  /** Adjusts freshly drawn parameters. */
  prepare?: (params: Float32Array, spec: PlanSpec) => void;
  /** Smallest distance of the loss to one of its kinks, given outputs and targets (default ∞). */
  lossKink?: (o: Float64Array, y: Targets, n: number, k: number) => number;
  options?: LossAndGradOptions;
}
interface Setup {
  spec: PlanSpec;
  params: Float32Array;
  x: Float32Array;
  y: Targets;
}

const G1: Dims = { n: 3, inputs: 3, hidden: 4 };
const G2: Dims = { n: 7, inputs: 5, hidden: 9 };
const KINKS: Partial<Record<Activation, number[]>> = { relu: [0], leakyRelu: [0], elu: [0], selu: [0], hardSigmoid: [-3, 3] };
const ALPHAS: [Activation, number][] = [
  ['linear', 0], ['relu', 0], ['sigmoid', 0], ['tanh', 0], ['leakyRelu', 0.01], ['leakyRelu', 0.2], ['elu', 1], ['elu', 0.5],
  ['selu', 0], ['gelu', 0], ['geluTanh', 0], ['softplus', 0], ['silu', 0], ['hardSigmoid', 0], ['mish', 0], ['softmax', 0],
];

// ---------------------------------------------------------------- targets

const normalRows = (_o: Float64Array, n: number, k: number, rng: Rng) => Float32Array.from({ length: n * k }, () => rng.nextNormal());
const labels = (_o: Float64Array, n: number, k: number, rng: Rng) => Int32Array.from({ length: n }, () => rng.nextInt(k));
const oneHotOf = (f: typeof labels) => (o: Float64Array, n: number, k: number, rng: Rng) => {
  const l = f(o, n, k, rng);
  return Float32Array.from({ length: n * k }, (_, i) => (l[Math.floor(i / k)] === i % k ? 1 : 0));
};
const unitRows = (_o: Float64Array, n: number, k: number, rng: Rng) => Float32Array.from({ length: n * k }, () => rng.nextFloat());
const bits = (_o: Float64Array, n: number, k: number, rng: Rng) => Float32Array.from({ length: n * k }, () => rng.nextInt(2));
const signs = (_o: Float64Array, n: number, k: number, rng: Rng) => Float32Array.from({ length: n * k }, () => rng.nextInt(3) - 1);
const counts = (_o: Float64Array, n: number, k: number, rng: Rng) => Float32Array.from({ length: n * k }, () => rng.nextInt(5));
/** Outputs moved by 0.05–0.5 either way: meanAbsoluteError away from its kink. */
const offsets = (o: Float64Array, _n: number, _k: number, rng: Rng) => Float32Array.from(o, (v) => v + (rng.nextInt(2) ? 1 : -1) * (0.05 + 0.45 * rng.nextFloat()));
/** Probability rows, one entry 0 in the first row. */
const distributions = (_o: Float64Array, n: number, k: number, rng: Rng) => {
  const t = Float32Array.from({ length: n * k }, () => 0.05 + rng.nextFloat());
  t[0] = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += t[r * k + j];
    for (let j = 0; j < k; j++) t[r * k + j] /= s;
  }
  return t;
};

// ---------------------------------------------------------------- networks

const head = (last: Activation, k: number) => (d: Dims): LayerSpec[] => [denseSpec(d.inputs, d.hidden, 'tanh'), denseSpec(d.hidden, k, last)];
/** Outputs in (0.2, 0.8): bias 0.5 and a kernel with |x·W| ≤ 0.3 (tanh hidden units are in [−1, 1]). */
const probabilityOutputs = (params: Float32Array, spec: PlanSpec) => {
  const last = spec.layers.length - 1;
  const layer = spec.layers[last];
  if (layer.kind !== 'dense') throw new Error('probabilityOutputs: dense last layer expected');
  const off = layerOffsets(spec)[last];
  const w = layer.inputs * layer.units;
  for (let i = 0; i < w; i++) params[off + i] *= 0.3 / (0.7 * layer.inputs);
  params.fill(0.5, off + w, off + w + layer.units);
};
const hingeMargin = (o: Float64Array, y: Targets) => Math.min(...Array.from(o, (v, i) => Math.abs(1 - (y[i] > 0 ? 1 : -1) * v)));
const catHingeKinks = (o: Float64Array, y: Targets, n: number, k: number) => {
  let min = Infinity;
  for (let r = 0; r < n; r++) {
    const t = (j: number) => (y instanceof Int32Array ? (y[r] === j ? 1 : 0) : y[r * k + j]);
    const neg = Array.from({ length: k }, (_, j) => (1 - t(j)) * o[r * k + j]).sort((a, b) => b - a);
    let pos = 0;
    for (let j = 0; j < k; j++) pos += t(j) * o[r * k + j];
    min = Math.min(min, neg[0] - neg[1], Math.abs(neg[0] - pos + 1));
  }
  return min;
};

const activationNets: Net[] = ALPHAS.flatMap(([act, alpha]): Net[] => {
  const label = alpha && act !== 'linear' ? `${act} α=${alpha}` : act;
  const spread = act === 'hardSigmoid' ? 5 : 1; // pre-activations inside and outside ±3
  /** Scales the kernel of dense layer `l` (the one feeding the activation) by `spread`. */
  const widen = (l: number) => (params: Float32Array, spec: PlanSpec) => {
    const layer = spec.layers[l];
    const off = layerOffsets(spec)[l];
    for (let i = 0; i < layer.inputs * layer.units; i++) params[off + i] *= spread;
  };
  return [
    { name: `${label} inside a dense layer`, layers: (d) => [denseSpec(d.inputs, d.hidden, act, { alpha }), denseSpec(d.hidden, 2)], targets: normalRows, prepare: widen(0) },
    { name: `${label} as an activation layer`, layers: (d) => [denseSpec(d.inputs, d.hidden), activationSpec(d.hidden, act, alpha), denseSpec(d.hidden, 2)], targets: normalRows, prepare: widen(0) },
    { name: `${label} as the output layer`, layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh'), denseSpec(d.hidden, 3, act, { alpha })], targets: normalRows, prepare: widen(1) },
  ];
});

const W3 = Float32Array.of(0.5, 0, 2); // weights for batch 3 (a zero weight); longer batches repeat it
const lossNets: Net[] = [
  { name: 'meanSquaredError', layers: head('linear', 3), loss: lossSpec('meanSquaredError'), targets: normalRows },
  { name: 'meanAbsoluteError', layers: head('linear', 3), loss: lossSpec('meanAbsoluteError'), targets: offsets },
  { name: 'huber δ=0.5', layers: head('linear', 3), loss: lossSpec('huber', { delta: 0.5 }), targets: normalRows },
  { name: 'logCosh', layers: head('linear', 3), loss: lossSpec('logCosh'), targets: normalRows },
  { name: 'poisson', layers: head('linear', 3), loss: lossSpec('poisson'), targets: counts, prepare: probabilityOutputs },
  { name: 'poisson fromLogits', layers: head('linear', 3), loss: lossSpec('poisson', { fromLogits: true }), targets: counts },
  { name: 'hinge', layers: head('linear', 3), loss: lossSpec('hinge'), targets: signs, lossKink: hingeMargin },
  { name: 'squaredHinge', layers: head('linear', 3), loss: lossSpec('squaredHinge'), targets: signs, lossKink: hingeMargin },
  { name: 'categoricalHinge, labels', layers: head('linear', 4), loss: lossSpec('categoricalHinge'), targets: labels, lossKink: catHingeKinks },
  { name: 'categoricalHinge, one-hot rows', layers: head('linear', 4), loss: lossSpec('categoricalHinge'), targets: oneHotOf(labels), lossKink: catHingeKinks },
  { name: 'kullbackLeiblerDivergence', layers: head('linear', 4), loss: lossSpec('kullbackLeiblerDivergence'), targets: distributions, prepare: probabilityOutputs },
  { name: 'binaryCrossentropy on probabilities', layers: head('linear', 3), loss: lossSpec('binaryCrossentropy'), targets: unitRows, prepare: probabilityOutputs },
  { name: 'binaryCrossentropy fromLogits', layers: head('linear', 3), loss: lossSpec('binaryCrossentropy', { fromLogits: true }), targets: unitRows },
  { name: 'binaryCrossentropy fused with a sigmoid layer', layers: head('sigmoid', 3), loss: lossSpec('binaryCrossentropy'), targets: unitRows },
  { name: 'binaryCrossentropy fused with a sigmoid activation layer', layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh'), denseSpec(d.hidden, 2), activationSpec(2, 'sigmoid')], loss: lossSpec('binaryCrossentropy'), targets: bits },
  { name: 'binaryCrossentropy fused, one output', layers: head('sigmoid', 1), loss: lossSpec('binaryCrossentropy'), targets: bits },
  { name: 'categoricalCrossentropy on probabilities', layers: head('linear', 4), loss: lossSpec('categoricalCrossentropy'), targets: labels, prepare: probabilityOutputs },
  { name: 'categoricalCrossentropy on probabilities, labelSmoothing 0.1', layers: head('linear', 4), loss: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), targets: labels, prepare: probabilityOutputs },
  { name: 'categoricalCrossentropy fromLogits, labelSmoothing 0.1', layers: head('linear', 4), loss: lossSpec('categoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.1 }), targets: labels },
  { name: 'categoricalCrossentropy fromLogits, probability targets', layers: head('linear', 4), loss: lossSpec('categoricalCrossentropy', { fromLogits: true }), targets: distributions },
  { name: 'categoricalCrossentropy fused with softmax', layers: head('softmax', 4), loss: lossSpec('categoricalCrossentropy'), targets: labels },
  { name: 'categoricalCrossentropy fused with softmax, labelSmoothing 0.2, one-hot rows', layers: head('softmax', 4), loss: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.2 }), targets: oneHotOf(labels) },
  { name: 'categoricalCrossentropy fused with a softmax activation layer', layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh'), denseSpec(d.hidden, 3), activationSpec(3, 'softmax')], loss: lossSpec('categoricalCrossentropy'), targets: labels },
];

/** Parameters kept ≥ 1e-2 away from 0, where L1's |w| has its kink. */
const awayFromZero = (params: Float32Array) => {
  for (let i = 0; i < params.length; i++) if (Math.abs(params[i]) < 1e-2) params[i] = params[i] < 0 ? -1e-2 : 1e-2;
};
const regularizerNets: Net[] = (
  [
    ['kernelL1', { kernelL1: 0.05 }],
    ['kernelL2', { kernelL2: 0.05 }],
    ['biasL1', { biasL1: 0.05 }],
    ['biasL2', { biasL2: 0.05 }],
    ['all four', { kernelL1: 0.01, kernelL2: 0.02, biasL1: 0.03, biasL2: 0.04 }],
  ] as const
).map(([name, reg]) => ({
  name: `${name} regularization`,
  layers: (d: Dims) => [denseSpec(d.inputs, d.hidden, 'tanh', reg), denseSpec(d.hidden, 2, 'linear', reg)],
  targets: normalRows,
  prepare: awayFromZero,
}));

const layerNets: Net[] = [
  { name: 'dropout 0.4 in training (step 7)', layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh'), dropoutSpec(d.hidden, 0.4), denseSpec(d.hidden, 2)], targets: normalRows, options: { training: true, step: 7 } },
  { name: 'batchNorm in training mode after a dense layer', layers: (d) => [denseSpec(d.inputs, d.hidden), batchNormSpec(d.hidden), denseSpec(d.hidden, 2)], targets: normalRows, options: { training: true } },
  { name: 'batchNorm in training mode as the first layer, softmax-CE', layers: (d) => [batchNormSpec(d.inputs, { momentum: 0.3, eps: 1e-3 }), denseSpec(d.inputs, 3, 'softmax')], targets: labels, loss: lossSpec('categoricalCrossentropy'), options: { training: true } },
  { name: 'batchNorm in inference mode (running statistics)', layers: (d) => [denseSpec(d.inputs, d.hidden), batchNormSpec(d.hidden), denseSpec(d.hidden, 2)], targets: normalRows, options: { training: false } },
  { name: 'layerNorm', layers: (d) => [denseSpec(d.inputs, d.hidden), layerNormSpec(d.hidden), denseSpec(d.hidden, 2)], targets: normalRows },
  { name: 'layerNorm as the output layer', layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh'), denseSpec(d.hidden, 3), layerNormSpec(3, { eps: 1e-3 })], targets: normalRows },
  { name: 'a frozen dense layer in the middle', layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh'), denseSpec(d.hidden, d.hidden, 'tanh', { trainable: false }), denseSpec(d.hidden, 3, 'softmax')], loss: lossSpec('categoricalCrossentropy'), targets: labels },
  { name: 'a frozen first dense layer', layers: (d) => [denseSpec(d.inputs, d.hidden, 'tanh', { trainable: false }), denseSpec(d.hidden, 2)], targets: normalRows },
  { name: 'a frozen batchNorm layer', layers: (d) => [denseSpec(d.inputs, d.hidden), batchNormSpec(d.hidden, { trainable: false }), denseSpec(d.hidden, 2)], targets: normalRows, options: { training: true } },
  { name: 'a frozen layerNorm layer', layers: (d) => [denseSpec(d.inputs, d.hidden), layerNormSpec(d.hidden, { trainable: false }), denseSpec(d.hidden, 2)], targets: normalRows },
];

// ---------------------------------------------------------------- building and checking

/** Draws parameters: dense ±0.7, norms γ ≈ 1, β, running mean ≈ 0, running variance in (0.5, 1). */
function drawParams(spec: PlanSpec, rng: Rng): Float32Array {
  const params = new Float32Array(paramCount(spec));
  const u = () => 2 * rng.nextFloat() - 1;
  const offsets = layerOffsets(spec);
  spec.layers.forEach((layer, l) => {
    const off = offsets[l];
    if (layer.kind === 'dense') {
      for (let i = 0; i < layer.inputs * layer.units + (layer.useBias ? layer.units : 0); i++) params[off + i] = 0.7 * u();
    } else if (layer.kind === 'batchNorm' || layer.kind === 'layerNorm') {
      const m = layer.units;
      for (let j = 0; j < m; j++) {
        params[off + j] = 1 + 0.3 * u();
        params[off + m + j] = 0.3 * u();
        if (layer.kind === 'batchNorm') {
          params[off + 2 * m + j] = 0.2 * u();
          params[off + 3 * m + j] = 0.75 + 0.25 * u();
        }
      }
    }
  });
  return params;
}

/** Float64 outputs of the reference (inference behaviour) for n rows. */
function referencePredict(spec: PlanSpec, params: ArrayLike<number>, x: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n * outputSize(spec));
  reference(spec, params).plan.predictSync(Float64Array.from(x) as never, out as never);
  return out;
}

/**
 * Smallest distance of any kinked activation's input to its kinks (as predict computes them), or
 * −1 when some kinked activation sees values on one side of its kinks only (a gradcheck that
 * never crosses relu's 0 or hardSigmoid's ±3 would test half the function).
 */
function activationKinkDistance(spec: PlanSpec, params: Float32Array, x: Float32Array, n: number): number {
  let min = Infinity;
  let oneSided = false;
  spec.layers.forEach((layer, l) => {
    if (layer.kind !== 'dense' && layer.kind !== 'activation') return;
    const kinks = KINKS[layer.activation];
    if (!kinks) return;
    // The input of an activation layer is the previous layer's output; a dense layer's z is its linear output.
    const prefix = layer.kind === 'dense' ? [...spec.layers.slice(0, l), { ...layer, activation: 'linear' as const }] : spec.layers.slice(0, l);
    const z = prefix.length === 0 ? Float64Array.from(x) : referencePredict({ ...spec, layers: prefix, loss: lossSpec('meanSquaredError') }, params.subarray(0, paramCount({ layers: prefix })), x, n);
    const regions = new Set<number>();
    for (const v of z) {
      for (const k of kinks) min = Math.min(min, Math.abs(v - k));
      regions.add(kinks.filter((k) => v > k).length);
    }
    if (regions.size < 2) oneSided = true;
  });
  return oneSided ? -1 : min;
}

/** The network drawn with the first seed from `seed` on whose values stay ≥ 1e-3 away from every kink. */
function build(net: Net, d: Dims, seed: number): Setup {
  const layers = net.layers(d);
  const spec = planSpec(d.inputs, layers, { loss: net.loss ?? lossSpec('meanSquaredError'), maxBatch: d.n, seed: 77 });
  const k = outputSize(spec);
  for (let attempt = 0; attempt < 200; attempt++) {
    const rng = new Rng(seed + attempt, 41);
    const params = drawParams(spec, rng);
    net.prepare?.(params, spec);
    const x = Float32Array.from({ length: d.n * d.inputs }, () => 2 * rng.nextFloat() - 1);
    if (activationKinkDistance(spec, params, x, d.n) < 1e-3) continue;
    const o = referencePredict(spec, params, x, d.n);
    const y = net.targets(o, d.n, k, rng);
    if (net.lossKink && net.lossKink(o, y, d.n, k) < 1e-3) continue;
    return { spec, params, x, y };
  }
  throw new Error(`${net.name}: no draw stays 1e-3 away from the kinks`);
}

function weightsFor(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => W3[i % W3.length]);
}

function trainableMask(spec: PlanSpec): Uint8Array {
  const mask = new Uint8Array(paramCount(spec));
  for (const [a, b] of trainableRanges(spec)) mask.fill(1, a, b);
  return mask;
}

/** G1: the reference's analytic gradient against central differences; exact zeros off the trainable ranges. */
function gradcheck(s: Setup, options: LossAndGradOptions): void {
  const { plan, arenas } = reference(s.spec, s.params);
  const x = Float64Array.from(s.x);
  const idx = range(s.x.length / s.spec.inputSize);
  plan.lossAndGrad(x as never, s.y, idx, options);
  const analytic = Float64Array.from(arenas.grads);
  const mask = trainableMask(s.spec);
  const eps = 1e-6;
  const inside: number[] = [];
  const numeric: number[] = [];
  const strayNonZero: number[] = [];
  for (let i = 0; i < analytic.length; i++) {
    if (!mask[i]) {
      if (analytic[i] !== 0) strayNonZero.push(i);
      continue;
    }
    const keep = arenas.params[i];
    arenas.params[i] = keep + eps;
    const up = plan.lossAndGrad(x as never, s.y, idx, options);
    arenas.params[i] = keep - eps;
    const down = plan.lossAndGrad(x as never, s.y, idx, options);
    arenas.params[i] = keep;
    inside.push(analytic[i]);
    numeric.push((up - down) / (2 * eps));
  }
  expect(strayNonZero, 'gradient entries outside the trainable ranges').toEqual([]);
  expect(Math.max(...inside.map(Math.abs)), 'a gradient that is not all zeros').toBeGreaterThan(1e-4);
  expectClose(inside, numeric, 1e-5, 1e-3, 'analytic vs central differences');
}

/** G2: an engine's float32 loss and gradients against the float64 reference on the same values. */
function engineMatchesReference(engine: (typeof ENGINES)[number], s: Setup, options: LossAndGradOptions): void {
  const { plan, arenas } = enginePlan(engine, s.spec, s.params);
  const idx = range(s.x.length / s.spec.inputSize);
  const loss = plan.lossAndGrad(s.x, s.y, idx, options);
  plan.dispose();
  const ref = reference(s.spec, s.params);
  const refLoss = ref.plan.lossAndGrad(Float64Array.from(s.x) as never, s.y, idx, options);
  expectClose([loss], [refLoss], 1e-5, 1e-5, 'loss');
  expectClose(arenas.grads, ref.arenas.grads, 1e-5, 1e-4, 'gradient arena');
  const mask = trainableMask(s.spec);
  expect(Array.from(arenas.grads).filter((g, i) => !mask[i] && g !== 0), 'gradients outside the trainable ranges').toEqual([]);
}

const ENGINES = engines();
const ALL_NETS: [string, Net[]][] = [['activations', activationNets], ['losses', lossNets], ['regularizers', regularizerNets], ['layers', layerNets]];

describe('G1: float64 reference gradients match central differences (eps 1e-6, atol 1e-5, rtol 1e-3)', () => {
  for (const [group, nets] of ALL_NETS) {
    describe(group, () => {
      nets.forEach((net, i) => {
        it(`${net.name}`, () => {
          gradcheck(build(net, G1, 1000 + 37 * i), { ...net.options, weights: null });
        });
        if (group === 'losses') {
          it(`${net.name}, with per-row weights (one of them 0)`, () => {
            gradcheck(build(net, G1, 1000 + 37 * i), { ...net.options, weights: weightsFor(G1.n) });
          });
        }
      });
    });
  }
});

describe.each(ENGINES)('G2: $name engine float32 gradients match the float64 reference (atol 1e-5, rtol 1e-4)', (engine) => {
  for (const [group, nets] of ALL_NETS) {
    describe(group, () => {
      nets.forEach((net, i) => {
        it(`${net.name}`, () => {
          engineMatchesReference(engine, build(net, G2, 5000 + 37 * i), { ...net.options, weights: null });
        });
        if (group === 'losses') {
          it(`${net.name}, with per-row weights`, () => {
            engineMatchesReference(engine, build(net, G2, 5000 + 37 * i), { ...net.options, weights: weightsFor(G2.n) });
          });
        }
      });
    });
  }
});

// ---------------------------------------------------------------- engine behaviours

const adam: OptimizerSpec = { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false };

function trainRequest(x: Float32Array, y: Targets, n: number, steps: number, batchSize: number, lr: number, stepStart = 0, weights: Float32Array | null = null) {
  return {
    x, y, weights, indices: Int32Array.from({ length: steps * batchSize }, (_, i) => i % n), batchSize,
    lrs: new Float32Array(steps).fill(lr), stepStart, lossOut: new Float32Array(steps), correctOut: new Int32Array(steps),
  };
}

describe.each(ENGINES)('$name engine: catalog training behaviours', (engine) => {
  describe('regularization', () => {
    const reg = { kernelL1: 0.01, kernelL2: 0.02, biasL1: 0.03, biasL2: 0.04 };
    const layersWith = (r: object) => [denseSpec(3, 4, 'tanh', r), denseSpec(4, 2, 'linear', r)];
    const plain = planSpec(3, layersWith({}), { loss: lossSpec('meanSquaredError'), maxBatch: 5 });
    const regular = planSpec(3, layersWith(reg), { loss: lossSpec('meanSquaredError'), maxBatch: 5 });
    const rng = new Rng(61, 1);
    const params = drawParams(plain, rng);
    params[2] = 0; // sign(0) = 0: no L1 pull on an exact zero
    params[12] = 0; // a bias
    const x = Float32Array.from({ length: 15 }, () => 2 * rng.nextFloat() - 1);
    const y = Float32Array.from({ length: 10 }, () => rng.nextNormal());
    const isBias = (i: number) => (i >= 12 && i < 16) || i >= 24;

    it('the loss gains kernelL1·Σ|W| + kernelL2·ΣW² + biasL1·Σ|b| + biasL2·Σb², and the gradient l1·sign(w) + 2·l2·w', () => {
      const a = enginePlan(engine, plain, params);
      const b = enginePlan(engine, regular, params);
      const lossA = a.plan.lossAndGrad(x, y, range(5));
      const lossB = b.plan.lossAndGrad(x, y, range(5));
      a.plan.dispose();
      b.plan.dispose();
      let penalty = 0;
      const expectedDiff = Array.from(params, (w, i) => {
        const [l1, l2] = isBias(i) ? [reg.biasL1, reg.biasL2] : [reg.kernelL1, reg.kernelL2];
        penalty += l1 * Math.abs(w) + l2 * w * w;
        return l1 * Math.sign(w) + 2 * l2 * w;
      });
      expectClose([lossB - lossA], [penalty], 1e-6, 1e-5, 'loss difference');
      expectClose(Array.from(b.arenas.grads, (g, i) => g - a.arenas.grads[i]), expectedDiff, 1e-6, 1e-5, 'gradient difference');
      expect(b.arenas.grads[2] - a.arenas.grads[2], 'an exact zero weight gets no L1 term').toBeCloseTo(0, 6);
    });

    it('with every weight 0, the loss is the penalty alone and the gradient the penalty gradient', () => {
      const { plan, arenas } = enginePlan(engine, regular, params);
      const loss = plan.lossAndGrad(x, y, range(5), { weights: new Float32Array(5) });
      plan.dispose();
      let penalty = 0;
      const expected = Array.from(params, (w, i) => {
        const [l1, l2] = isBias(i) ? [reg.biasL1, reg.biasL2] : [reg.kernelL1, reg.kernelL2];
        penalty += l1 * Math.abs(w) + l2 * w * w;
        return l1 * Math.sign(w) + 2 * l2 * w;
      });
      expectClose([loss], [penalty], 1e-7, 1e-5, 'loss');
      expectClose(arenas.grads, expected, 1e-7, 1e-5, 'gradient');
    });

    it('with every weight 0 and no regularization, loss and gradient are exactly 0', () => {
      const { plan, arenas } = enginePlan(engine, plain, params);
      const loss = plan.lossAndGrad(x, y, range(5), { weights: new Float32Array(5) });
      plan.dispose();
      expect(loss).toBe(0);
      expect(Array.from(arenas.grads).every((g) => g === 0)).toBe(true);
    });
  });

  describe('frozen layers', () => {
    const spec = planSpec(4, [denseSpec(4, 5, 'tanh'), denseSpec(5, 5, 'tanh', { trainable: false }), batchNormSpec(5, { trainable: false }), denseSpec(5, 3, 'softmax')], {
      loss: lossSpec('categoricalCrossentropy'), optimizer: adam, maxBatch: 6,
    });
    const rng = new Rng(71, 1);
    const params = drawParams(spec, rng);
    const x = Float32Array.from({ length: 24 }, () => 2 * rng.nextFloat() - 1);
    const y = Int32Array.from({ length: 6 }, () => rng.nextInt(3));
    const [, second, norm, last] = layerOffsets(spec);

    it("three Adam steps leave a frozen layer's weights and its optimizer state bit for bit untouched", async () => {
      const { plan, arenas } = enginePlan(engine, spec, params);
      const n = paramCount(spec);
      // Non-zero state everywhere: an update applied with a zero gradient would still move m, v and θ.
      for (let i = 0; i < arenas.state.length; i++) arenas.state[i] = 0.01 + 0.001 * (i % 7);
      const before = { params: Float32Array.from(arenas.params), state: Float32Array.from(arenas.state) };
      const done = await plan.trainSteps(trainRequest(x, y, 6, 3, 6, 0.05));
      plan.dispose();
      expect(done).toBe(3);
      const mask = trainableMask(spec);
      const runningStats = (i: number) => i >= norm + 10 && i < last; // batchNorm's running mean and variance: training mode may update them
      const all = Array.from({ length: n }, (_, i) => i);
      const changed = (a: Float32Array, b: Float32Array, i: number) => !Object.is(a[i], b[i]);
      const touched = all.filter((i) => !mask[i] && ((!runningStats(i) && changed(arenas.params, before.params, i)) || changed(arenas.state, before.state, i) || changed(arenas.state, before.state, n + i)));
      expect(touched, 'frozen parameters or their optimizer state that changed').toEqual([]);
      const movedTrainable = all.filter((i) => mask[i] && changed(arenas.params, before.params, i));
      expect(movedTrainable.length, 'trainable parameters that moved').toBe(second + (n - last));
    });

    it('gradients of frozen layers are exactly 0 while the layers before them still get theirs', () => {
      const { plan, arenas } = enginePlan(engine, spec, params);
      plan.lossAndGrad(x, y, range(6), { training: true });
      plan.dispose();
      expect(Array.from(arenas.grads.subarray(second, last)).every((g) => g === 0)).toBe(true);
      expect(Array.from(arenas.grads.subarray(0, second)).filter((g) => g !== 0).length).toBeGreaterThan(second / 2);
    });
  });

  describe('batchNorm running statistics', () => {
    it('after two trainSteps they are (1 − m)·running + m·batch with the unbiased variance (m = 0.3)', async () => {
      const units = 3;
      const spec = planSpec(units, [batchNormSpec(units, { momentum: 0.3, eps: 1e-4 }), denseSpec(units, 2)], { loss: lossSpec('meanSquaredError'), maxBatch: 5 });
      const rng = new Rng(81, 1);
      const params = drawParams(spec, rng);
      const x = Float32Array.from({ length: 10 * units }, () => 3 * rng.nextNormal() + 1);
      const y = Float32Array.from({ length: 20 }, () => rng.nextNormal());
      const { plan, arenas } = enginePlan(engine, spec, params);
      const req = trainRequest(x, y, 10, 2, 5, 0.1);
      req.indices = Int32Array.from([9, 2, 4, 7, 0, 1, 3, 5, 6, 8]);
      expect(await plan.trainSteps(req)).toBe(2);
      plan.dispose();
      const mean = Array.from(params.subarray(2 * units, 3 * units), Number);
      const variance = Array.from(params.subarray(3 * units, 4 * units), Number);
      for (let s = 0; s < 2; s++) {
        const rows = Array.from(req.indices.subarray(5 * s, 5 * s + 5));
        for (let j = 0; j < units; j++) {
          const v = rows.map((r) => x[r * units + j]);
          const mu = v.reduce((a, b) => a + b, 0) / 5;
          const unbiased = v.reduce((a, b) => a + (b - mu) ** 2, 0) / 4;
          mean[j] = 0.7 * mean[j] + 0.3 * mu;
          variance[j] = 0.7 * variance[j] + 0.3 * unbiased;
        }
      }
      expectClose(arenas.params.subarray(2 * units, 3 * units), mean, 1e-6, 1e-5, 'running mean');
      expectClose(arenas.params.subarray(3 * units, 4 * units), variance, 1e-6, 1e-5, 'running variance');
    });

    it('lossAndGrad in training mode leaves them untouched', () => {
      const spec = planSpec(3, [batchNormSpec(3), denseSpec(3, 2)], { loss: lossSpec('meanSquaredError'), maxBatch: 4 });
      const rng = new Rng(82, 1);
      const params = drawParams(spec, rng);
      const { plan, arenas } = enginePlan(engine, spec, params);
      plan.lossAndGrad(Float32Array.from({ length: 12 }, () => rng.nextNormal()), Float32Array.from({ length: 8 }, () => rng.nextNormal()), range(4), { training: true });
      plan.dispose();
      expect(arenas.params).toEqual(params);
    });
  });

  describe('dropout', () => {
    const n = 8;
    const units = 16;
    const rate = 0.3;
    const seed = 0xdeadbeef;
    // dense(n → units) fed with I: its kernel gradient is the gradient at the dropout's input.
    const spec = planSpec(n, [denseSpec(n, units), dropoutSpec(units, rate)], { loss: lossSpec('meanAbsoluteError'), maxBatch: n, seed });
    const params = Float32Array.from({ length: n * units + units }, (_, i) => (i < n * units ? 0.1 + 0.8 * ((i * 0.618) % 1) : 0));
    const y = new Float32Array(n * units).fill(-10); // o − t > 0 everywhere: dL/do = 1/(units·n)
    const reversed = Int32Array.from({ length: n }, (_, i) => n - 1 - i);

    /** Expected kernel gradient: element e of batch row p kept when dropoutBits(key, p·units + c) ≥ threshold, then scaled. */
    function expectedGrad(step: number): number[] {
      const key = dropoutKey(seed, step, 1);
      const threshold = dropoutThreshold(rate);
      const scale = Math.fround(1 / (1 - rate));
      const grad = new Array<number>(n * units).fill(0);
      for (let p = 0; p < n; p++) {
        const row = reversed[p]; // batch row p holds dataset row n − 1 − p, whose kernel row is row
        for (let c = 0; c < units; c++) if (dropoutBits(key, p * units + c) >= threshold) grad[row * units + c] = scale / (units * n);
      }
      return grad;
    }

    it('lossAndGrad(training, step) drops exactly the elements dropoutBits(seed, step, layer, r·units + c) puts below floor(rate·2³²), and scales the rest by fround(1/(1 − rate))', () => {
      const { plan, arenas } = enginePlan(engine, spec, params);
      plan.lossAndGrad(identityRows(n), y, reversed, { training: true, step: 12 });
      plan.dispose();
      const expected = expectedGrad(12);
      const got = Array.from(arenas.grads.subarray(0, n * units));
      expect(got.map((g) => g !== 0), 'kept elements').toEqual(expected.map((g) => g !== 0));
      expectClose(got, expected, 0, 1e-6, 'kept elements, scaled');
      const dropped = expected.filter((g) => g === 0).length;
      expect(dropped).toBeGreaterThan(0.15 * n * units);
      expect(dropped).toBeLessThan(0.45 * n * units);
    });

    it('the same step gives bit-identical gradients; another step another mask', () => {
      const { plan, arenas } = enginePlan(engine, spec, params);
      plan.lossAndGrad(identityRows(n), y, reversed, { training: true, step: 3 });
      const first = Float32Array.from(arenas.grads);
      plan.lossAndGrad(identityRows(n), y, reversed, { training: true, step: 3 });
      const again = Float32Array.from(arenas.grads);
      plan.lossAndGrad(identityRows(n), y, reversed, { training: true, step: 4 });
      plan.dispose();
      expect(again).toEqual(first);
      expect(Array.from(arenas.grads).map((g) => g !== 0)).not.toEqual(Array.from(first).map((g) => g !== 0));
    });

    it('trainSteps step s uses the masks of step stepStart + s + 1', async () => {
      const { plan, arenas } = enginePlan(engine, spec, params);
      const req = trainRequest(identityRows(n), y, n, 1, n, 1, 41);
      req.indices = reversed;
      expect(await plan.trainSteps(req)).toBe(1);
      plan.dispose();
      const moved = Array.from(arenas.params.subarray(0, n * units), (w, i) => w !== params[i]);
      expect(moved).toEqual(expectedGrad(42).map((g) => g !== 0));
    });

    it('predict, evaluate and lossAndGrad(training: false) ignore dropout', async () => {
      const body = (withDropout: boolean) => planSpec(4, [denseSpec(4, 6, 'tanh'), ...(withDropout ? [dropoutSpec(6, 0.5)] : []), denseSpec(6, 3, 'softmax')], { loss: lossSpec('categoricalCrossentropy'), maxBatch: 5 });
      const rng = new Rng(91, 1);
      const p = drawParams(body(false), rng);
      const x = Float32Array.from({ length: 20 }, () => 2 * rng.nextFloat() - 1);
      const labelsY = Int32Array.from({ length: 5 }, () => rng.nextInt(3));
      const results = [];
      for (const withDropout of [true, false]) {
        const { plan, arenas } = enginePlan(engine, body(withDropout), p);
        const out = new Float32Array(15);
        await plan.predict(x, out);
        const evaluated = await plan.evaluate(x, labelsY, null, null);
        const loss = plan.lossAndGrad(x, labelsY, range(5), { training: false, step: 9 });
        plan.dispose();
        results.push({ out, evaluated, loss, grads: Float32Array.from(arenas.grads) });
      }
      expect(results[0].out).toEqual(results[1].out);
      expect(results[0].evaluated).toEqual(results[1].evaluated);
      expect(results[0].loss).toBe(results[1].loss);
      expect(results[0].grads).toEqual(results[1].grads);
    });
  });

  describe('evaluate', () => {
    const spec = planSpec(4, [denseSpec(4, 6, 'relu', { kernelL2: 0.01 }), dropoutSpec(6, 0.3), batchNormSpec(6), denseSpec(6, 3, 'softmax')], {
      loss: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), maxBatch: 4,
    });
    const rng = new Rng(101, 1);
    const params = drawParams(spec, rng);
    const x = Float32Array.from({ length: 44 }, () => 2 * rng.nextFloat() - 1);
    const y = Int32Array.from({ length: 11 }, () => rng.nextInt(3));
    const weights = Float32Array.from({ length: 11 }, (_, i) => [1, 0.5, 2, 0][i % 4]);

    it('its loss over more rows than maxBatch equals lossAndGrad(training: false), regularization included', async () => {
      const { plan } = enginePlan(engine, spec, params);
      const evaluated = await plan.evaluate(x, y, weights, null);
      const loss = plan.lossAndGrad(x, y, range(11), { weights, training: false });
      plan.dispose();
      expectClose([evaluated.loss], [loss], 1e-6, 1e-5, 'evaluate loss');
    });

    it('it writes the outputs predict gives', async () => {
      const { plan } = enginePlan(engine, spec, params);
      const out = new Float32Array(33);
      const predicted = new Float32Array(33);
      await plan.evaluate(x, y, null, out);
      await plan.predict(x, predicted);
      plan.dispose();
      expect(out).toEqual(predicted);
    });
  });

  describe('correct counts (correctOut rule)', () => {
    /** A one-layer identity-fed plan whose outputs are exactly `o` (or act(o)). */
    async function correctOf(o: number[], k: number, loss: LossSpec, y: Targets, act: Activation = 'linear') {
      const n = o.length / k;
      const spec = planSpec(n, [denseSpec(n, k, act)], { loss, maxBatch: n });
      const { plan } = enginePlan(engine, spec, [...o, ...new Array<number>(k).fill(0)]);
      const evaluated = await plan.evaluate(identityRows(n), y, null, null);
      const req = trainRequest(identityRows(n), y, n, 1, n, 0);
      await plan.trainSteps(req);
      plan.dispose();
      return { evaluate: evaluated.correct, trainSteps: req.correctOut[0] };
    }

    it('one output, probabilities: (o > 0.5) = (t > 0.5)', async () => {
      const c = await correctOf([0.7, 0.2, 0.5, 0.51, 0.9, 0.4], 1, lossSpec('meanSquaredError'), Float32Array.of(1, 0, 1, 0, 0.6, 0.5));
      expect(c).toEqual({ evaluate: 4, trainSteps: 4 });
    });

    it('one output, sigmoid fused with binaryCrossentropy: judged on o = sigmoid(z) against 0.5', async () => {
      const c = await correctOf([0.1, -0.1, 0, 3], 1, lossSpec('binaryCrossentropy'), Float32Array.of(1, 0, 1, 0), 'sigmoid');
      expect(c).toEqual({ evaluate: 2, trainSteps: 2 });
    });

    it('one output, hinge and fromLogits losses: (o > 0) = (t > 0.5)', async () => {
      const o = [0.3, -0.2, 0, 1.5, -1];
      expect(await correctOf(o, 1, lossSpec('hinge'), Float32Array.of(1, -1, 1, 0, 0))).toEqual({ evaluate: 3, trainSteps: 3 });
      expect(await correctOf(o, 1, lossSpec('squaredHinge'), Float32Array.of(1, -1, 1, 0, 0))).toEqual({ evaluate: 3, trainSteps: 3 });
      expect(await correctOf(o, 1, lossSpec('binaryCrossentropy', { fromLogits: true }), Float32Array.of(1, 0, 1, 0, 0))).toEqual({ evaluate: 3, trainSteps: 3 });
      expect(await correctOf(o, 1, lossSpec('poisson', { fromLogits: true }), Float32Array.of(1, 0, 1, 0, 0))).toEqual({ evaluate: 3, trainSteps: 3 });
    });

    it('several outputs: argmax o (first max wins) = the label, or the argmax of the target row', async () => {
      const o = [0.3, 0.3, 0.1, 0.1, 0.5, 0.5, 0.2, 0.1, 0.7, 0.2, 0.7, 0.1];
      // argmax per row, first max winning: 0, 1, 2, 1 (a last-max rule would give 1 and 2 in the first two rows)
      expect(await correctOf(o, 3, lossSpec('categoricalCrossentropy'), Int32Array.of(0, 2, 2, 0))).toEqual({ evaluate: 2, trainSteps: 2 });
      // target rows, first max winning: 0, 1, 0, 1 → rows 0, 1 and 3 right
      const t = Float32Array.of(0.4, 0.4, 0.2, 0.2, 0.5, 0.3, 0.8, 0.1, 0.1, 0.3, 0.7, 0.7);
      expect(await correctOf(o, 3, lossSpec('meanSquaredError'), t)).toEqual({ evaluate: 3, trainSteps: 3 });
    });
  });
});

describe.runIf(ENGINES.length > 1)('native and js engines draw the same dropout masks', () => {
  it('lossAndGrad(training, step 5) through two dropout layers: identical zero pattern, loss and gradients within float32 rounding', () => {
    const spec = planSpec(6, [denseSpec(6, 12, 'tanh'), dropoutSpec(12, 0.5), denseSpec(12, 8, 'relu'), dropoutSpec(8, 0.25), denseSpec(8, 3, 'softmax')], {
      loss: lossSpec('categoricalCrossentropy'), maxBatch: 9, seed: 12345,
    });
    const rng = new Rng(111, 1);
    const params = drawParams(spec, rng);
    const x = Float32Array.from({ length: 54 }, () => 2 * rng.nextFloat() - 1);
    const y = Int32Array.from({ length: 9 }, () => rng.nextInt(3));
    const results = ENGINES.map((engine) => {
      const { plan, arenas } = enginePlan(engine, spec, params);
      const loss = plan.lossAndGrad(x, y, range(9), { training: true, step: 5 });
      plan.dispose();
      return { loss, grads: arenas.grads };
    });
    const [a, b] = results;
    expect(Array.from(a.grads, (g) => g === 0)).toEqual(Array.from(b.grads, (g) => g === 0));
    expectClose([a.loss], [b.loss], 1e-6, 1e-6, 'loss');
    expectClose(a.grads, b.grads, 1e-6, 1e-5, 'gradients');
  });
});
