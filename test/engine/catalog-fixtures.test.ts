// Issue 4, engine level: every activation, loss and normalization layer of the catalog against
// PyTorch float64 fixtures (test/fixtures/catalog/generate.py; its docstring says how each case
// was computed), once per engine.
//
// How the engines are probed: the fixture matrix M (pre-activations z, network outputs or logits,
// norm inputs) goes into the kernel of a dense layer fed with the identity matrix, so
// z = I·M + 0 = M exactly in float32, and the kernel's gradient is dL/dM (dL/dW = Iᵀ·dL/dz).
// Activation and norm gradients come from meanAbsoluteError with per-row weights w and targets
// t = f(z) − sign·(1 + |f(z)|): then dL/do = sign·w_r/(k·Σw) = c exactly, the fixture's c.
//
// Tolerances (float32 engines against float64 torch on identical float32 inputs):
// - rtol 1e-5 (≈ 84 float32 ulp) everywhere: room for a few roundings in exp/erf/tanh/log1p and
//   in the short sums of softmax, log-sum-exp and the norms.
// - atol, scaled to what float32 can resolve in each quantity:
//   activations: 1e-6·s on values and 1e-6·|c|·s on gradients, s = min(max(1, |z|), 10), since a
//     float32 result carries absolute error of a few ulp of its largest intermediate term, which is
//     O(1) for the bounded functions and O(|z|) for z·Φ(z), z·tanh(…), z·(1 − t²) (e.g. gelu(−5) =
//     −1.4e-6 comes out of ½z(1 + erf) with 1 + erf ≈ 3e-7 in float32, as in torch's own float32);
//     beyond |z| = 10 those terms are exactly 0 or 1 in float32, so the bound stops growing there.
//     Tails below it (sigmoid(−30) = 9e-14, subnormals flushed to 0) are held to it, not to rtol.
//   losses: 1e-6·max(1, |inputs|, |targets|) on the loss; on each gradient element, 1e-6 times the
//     row's weight share w_r/Σw times the magnitude of that row's inputs and targets (at least 1).
//   norms: 1e-6 times the largest magnitude in the same expected array (the 1/√eps factor of a
//     zero-variance column scales everything in it alike).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paramCount, type Activation, type LossSpec, type PlanSpec } from '../../lib/engine/engine.js';
import { engines } from '../helpers/engines.js';
import { activationSpec, batchNormSpec, denseSpec, layerNormSpec, lossSpec, planSpec, plainSgd } from '../helpers/specs.js';
import { enginePlan, expectClose, flat, identityRows, range } from '../helpers/catalog.js';

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/catalog/${name}`, import.meta.url), 'utf8')) as T;

interface ActivationFixture {
  z: number[][];
  sign: number[][];
  rowWeights: number[];
  c: number[][];
  cases: { activation: Activation; alpha?: number; values: number[][]; grad: number[][] }[];
}
interface LossResult {
  loss: number;
  grad: number[][];
}
interface LossCase {
  name: string;
  loss: LossSpec;
  plans: ('linear' | 'fromLogits' | 'fused')[];
  input: number[][];
  targets?: number[][];
  labels?: number[];
  weights: number[];
  unweighted: LossResult;
  weighted: LossResult;
}
interface NormCase {
  name: string;
  rows: number;
  units: number;
  eps: number;
  momentum?: number;
  x: number[][];
  gamma: number[];
  beta: number[];
  sign: number[][];
  rowWeights: number[];
  c: number[][];
  out: number[][];
  runningMean?: number[];
  runningVar?: number[];
  evalOut?: number[][];
  gradX: number[][];
  gradGamma: number[];
  gradBeta: number[];
}

const activations = load<ActivationFixture>('activations.json');
const losses = load<{ cases: LossCase[] }>('losses.json').cases;
const norms = load<{ batchNorm: NormCase[]; layerNorm: NormCase[] }>('norms.json');

const RTOL = 1e-5;

/** MAE targets whose gradient with respect to the output is sign·w_r/(k·Σw) (see the top). */
function maeTargets(values: number[], sign: number[]): Float32Array {
  return Float32Array.from(values, (v, i) => v - sign[i] * (1 + Math.abs(v)));
}

/** The largest |value| of an array, at least `floor`. */
function magnitude(values: ArrayLike<number>, floor = 0): number {
  let m = floor;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

describe.each(engines())('$name engine against the PyTorch catalog fixtures', (engine) => {
  const z = flat(activations.z);
  const rows = activations.z.length;
  const k = activations.z[0].length;
  const sign = flat(activations.sign);
  const c = flat(activations.c);
  const weights = Float32Array.from(activations.rowWeights);
  const zScale = (i: number) => Math.min(Math.max(1, Math.abs(z[i])), 10);
  const valueAtol = (i: number) => 1e-6 * zScale(i);
  const gradAtol = (i: number) => 1e-6 * Math.abs(c[i]) * zScale(i);

  describe('activations', () => {
    for (const fixture of activations.cases) {
      const { activation, alpha } = fixture;
      const name = alpha === undefined ? activation : `${activation} α=${alpha}`;
      const values = flat(fixture.values);
      const grad = flat(fixture.grad);
      const a = alpha ?? (activation === 'elu' ? 1 : 0.01);

      it(`${name}: an activation layer predicts f(z) on the grid`, () => {
        const spec = planSpec(k, [activationSpec(k, activation, a)], { loss: lossSpec('meanAbsoluteError'), maxBatch: rows });
        const { plan } = enginePlan(engine, spec, []);
        const out = new Float32Array(rows * k);
        plan.predictSync(Float32Array.from(z), out);
        plan.dispose();
        expectClose(out, values, valueAtol, RTOL, `${name}(z)`);
      });

      it(`${name}: inside a dense layer, predict gives f(z) and the kernel gradient is c⊙f′(z)`, async () => {
        const spec = planSpec(rows, [denseSpec(rows, k, activation, { alpha: a })], { loss: lossSpec('meanAbsoluteError'), maxBatch: rows });
        const { plan, arenas } = enginePlan(engine, spec, z);
        const out = new Float32Array(rows * k);
        await plan.predict(identityRows(rows), out);
        plan.lossAndGrad(identityRows(rows), maeTargets(values, sign), range(rows), { weights });
        plan.dispose();
        expectClose(out, values, valueAtol, RTOL, `${name}(z)`);
        expectClose(arenas.grads.subarray(0, rows * k), grad, gradAtol, RTOL, `∂Σc·${name}(z)/∂z`);
      });

      it(`${name}: as an activation layer after a linear dense layer, the same gradient`, () => {
        const spec = planSpec(rows, [denseSpec(rows, k, 'linear'), activationSpec(k, activation, a)], { loss: lossSpec('meanAbsoluteError'), maxBatch: rows });
        const { plan, arenas } = enginePlan(engine, spec, z);
        plan.lossAndGrad(identityRows(rows), maeTargets(values, sign), range(rows), { weights });
        plan.dispose();
        expectClose(arenas.grads.subarray(0, rows * k), grad, gradAtol, RTOL, `∂Σc·${name}(z)/∂z`);
      });
    }
  });

  describe('losses', () => {
    for (const fixture of losses) {
      const input = flat(fixture.input);
      const n = fixture.input.length;
      const width = fixture.input[0].length;
      const targetRows = fixture.targets ? flat(fixture.targets) : undefined;
      const oneHot = fixture.labels ? Float32Array.from({ length: n * width }, (_, i) => (fixture.labels![Math.floor(i / width)] === i % width ? 1 : 0)) : undefined;
      const targetForms: [string, Int32Array | Float32Array][] = fixture.labels
        ? [['class labels', Int32Array.from(fixture.labels)], ['one-hot rows', oneHot!]]
        : [['target rows', Float32Array.from(targetRows!)]];
      const rowScale = Array.from({ length: n }, (_, r) =>
        Math.max(magnitude(fixture.input[r], 1), fixture.targets ? magnitude(fixture.targets[r]) : 1));
      const lossAtol = 1e-6 * Math.max(...rowScale);

      for (const form of fixture.plans) {
        const act: Activation = form !== 'fused' ? 'linear' : fixture.loss.kind === 'binaryCrossentropy' ? 'sigmoid' : 'softmax';
        const loss: LossSpec = { ...fixture.loss, fromLogits: form === 'fromLogits' };
        const built = form === 'fused' ? `dense with ${act} + ${fixture.loss.kind} (fused on z)` : form === 'fromLogits' ? `dense linear + ${fixture.loss.kind} fromLogits` : `dense linear + ${fixture.loss.kind}`;
        for (const [targetName, y] of targetForms) {
          for (const weighting of ['unweighted', 'weighted'] as const) {
            const expected = fixture[weighting];
            it(`${fixture.name}, ${weighting}, ${targetName}: ${built} gives torch's loss and gradient`, () => {
              const spec: PlanSpec = planSpec(n, [denseSpec(n, width, act)], { loss, maxBatch: n });
              const { plan, arenas } = enginePlan(engine, spec, input);
              const w = weighting === 'weighted' ? Float32Array.from(fixture.weights) : null;
              const share = Array.from({ length: n }, (_, r) => (w ? w[r] / w.reduce((s, v) => s + v, 0) : 1 / n));
              const value = plan.lossAndGrad(identityRows(n), y, range(n), { weights: w });
              plan.dispose();
              expectClose([value], [expected.loss], lossAtol, RTOL, 'loss');
              expectClose(arenas.grads.subarray(0, n * width), flat(expected.grad), (i) => {
                const r = Math.floor(i / width);
                return 1e-6 * Math.max(share[r], 1e-3 / n) * rowScale[r];
              }, RTOL, 'dL/d(input)');
            });
          }
        }
      }
    }
  });

  describe('batchNorm (BatchNorm1d, training mode)', () => {
    for (const fixture of norms.batchNorm) {
      const { rows: n, units: u } = fixture;
      const spec = planSpec(n, [denseSpec(n, u, 'linear'), batchNormSpec(u, { momentum: fixture.momentum!, eps: fixture.eps })], { loss: lossSpec('meanAbsoluteError'), maxBatch: n, optimizer: plainSgd });
      const wLen = n * u + u;
      const params = [...flat(fixture.x), ...new Array<number>(u).fill(0), ...fixture.gamma, ...fixture.beta, ...new Array<number>(u).fill(0), ...new Array<number>(u).fill(1)];
      const scaleOf = (a: number[]) => 1e-6 * magnitude(a, 1e-30);

      it(`${fixture.name}: input, γ and β gradients equal torch's; running statistics get gradient 0 and stay put`, () => {
        expect(paramCount(spec)).toBe(params.length);
        const { plan, arenas } = enginePlan(engine, spec, params);
        plan.lossAndGrad(identityRows(n), maeTargets(flat(fixture.out), flat(fixture.sign)), range(n), { weights: Float32Array.from(fixture.rowWeights), training: true });
        plan.dispose();
        expectClose(arenas.grads.subarray(0, n * u), flat(fixture.gradX), scaleOf(flat(fixture.gradX)), RTOL, 'dL/dx');
        expectClose(arenas.grads.subarray(wLen, wLen + u), fixture.gradGamma, scaleOf(fixture.gradGamma), RTOL, 'dL/dγ');
        expectClose(arenas.grads.subarray(wLen + u, wLen + 2 * u), fixture.gradBeta, scaleOf(fixture.gradBeta), RTOL, 'dL/dβ');
        expect(Array.from(arenas.grads.subarray(wLen + 2 * u))).toEqual(new Array(2 * u).fill(0));
        expect(Array.from(arenas.params.subarray(wLen + 2 * u))).toEqual([...new Array(u).fill(0), ...new Array(u).fill(1)]);
      });

      it(`${fixture.name}: the training-mode loss is built on torch's batch-statistics output`, () => {
        const { plan } = enginePlan(engine, spec, params);
        const out = flat(fixture.out);
        const t = maeTargets(out, flat(fixture.sign));
        const w = fixture.rowWeights;
        // With sign(o − t) = sign, L = Σ_r w_r/(u·Σw)·Σ_j sign·(o − t): linear in the output o.
        let expected = 0;
        for (let i = 0; i < out.length; i++) expected += (w[Math.floor(i / u)] * flat(fixture.sign)[i] * (out[i] - t[i])) / u;
        expected /= w.reduce((s, v) => s + v, 0);
        const value = plan.lossAndGrad(identityRows(n), t, range(n), { weights: Float32Array.from(w), training: true });
        plan.dispose();
        expectClose([value], [expected], 1e-6 * magnitude(out, 1), RTOL, 'loss');
      });

      it(`${fixture.name}: one trainSteps updates the running statistics as torch does, then predict uses them`, async () => {
        const { plan, arenas } = enginePlan(engine, spec, params);
        const done = await plan.trainSteps({
          x: identityRows(n), y: maeTargets(flat(fixture.out), flat(fixture.sign)), weights: null, indices: range(n), batchSize: n,
          lrs: new Float32Array(1), stepStart: 0, lossOut: new Float32Array(1), correctOut: new Int32Array(1),
        });
        expect(done).toBe(1);
        expectClose(arenas.params.subarray(wLen + 2 * u, wLen + 3 * u), fixture.runningMean!, 1e-6 * magnitude(flat(fixture.x), 1), RTOL, 'running mean');
        expectClose(arenas.params.subarray(wLen + 3 * u), fixture.runningVar!, 1e-6 * magnitude(fixture.runningVar!, 1), RTOL, 'running variance');
        const out = new Float32Array(n * u);
        await plan.predict(identityRows(n), out);
        plan.dispose();
        expectClose(out, flat(fixture.evalOut!), scaleOf(flat(fixture.evalOut!)), RTOL, 'inference output');
      });
    }
  });

  describe('layerNorm', () => {
    for (const fixture of norms.layerNorm) {
      const { rows: n, units: u } = fixture;
      const spec = planSpec(n, [denseSpec(n, u, 'linear'), layerNormSpec(u, { eps: fixture.eps })], { loss: lossSpec('meanAbsoluteError'), maxBatch: n });
      const wLen = n * u + u;
      const params = [...flat(fixture.x), ...new Array<number>(u).fill(0), ...fixture.gamma, ...fixture.beta];
      const scaleOf = (a: number[]) => 1e-6 * magnitude(a, 1e-30);

      it(`${fixture.name}: predict gives torch's layer_norm output`, async () => {
        expect(paramCount(spec)).toBe(params.length);
        const { plan } = enginePlan(engine, spec, params);
        const out = new Float32Array(n * u);
        await plan.predict(identityRows(n), out);
        plan.dispose();
        expectClose(out, flat(fixture.out), scaleOf(flat(fixture.out)), RTOL, 'layerNorm(x)');
      });

      it(`${fixture.name}: input, γ and β gradients equal torch's`, () => {
        const { plan, arenas } = enginePlan(engine, spec, params);
        plan.lossAndGrad(identityRows(n), maeTargets(flat(fixture.out), flat(fixture.sign)), range(n), { weights: Float32Array.from(fixture.rowWeights) });
        plan.dispose();
        expectClose(arenas.grads.subarray(0, n * u), flat(fixture.gradX), scaleOf(flat(fixture.gradX)), RTOL, 'dL/dx');
        expectClose(arenas.grads.subarray(wLen, wLen + u), fixture.gradGamma, scaleOf(fixture.gradGamma), RTOL, 'dL/dγ');
        expectClose(arenas.grads.subarray(wLen + u), fixture.gradBeta, scaleOf(fixture.gradBeta), RTOL, 'dL/dβ');
      });
    }
  });
});
