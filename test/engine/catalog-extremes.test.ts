// Issue 4, numerical robustness of the catalog (TESTING N1, N2), once per engine: extreme
// logits through the fused and fromLogits cross-entropies, zero-variance batches through the norm
// layers, and the exp-based activations at ±1e4 and around float32's exp overflow (±88.8, ±89).
// References are float64 formulas written here in their stable forms.
//
// Probing (as in catalog-fixtures.test.ts): the matrix under test goes into the kernel of a dense
// layer fed with the identity matrix, so z is exact and the kernel gradient is dL/dz; activation
// gradients come from meanAbsoluteError with every sign(o − t) = +1, i.e. dL/do = 1/(k·n).
//
// Tolerances: values and losses rtol 1e-6 (N1's bound; ≈ 8 float32 ulp) for the cross-entropies,
// 1e-5 for activations and norms (as the fixtures); atol 1e-35 on activation values (float32
// subnormals such as sigmoid(−88.8) = 3e-39 may be flushed to zero) and 1e-7 × the gradient's
// scale on gradients (one float32 ulp of the O(1) terms 1 − s, 1 − t² a derivative is formed
// from: sigmoid′(30) comes out 0 in float32, as in torch's float32).
import { describe, expect, it } from 'vitest';
import type { Activation, LossSpec } from '../../lib/engine/engine.js';
import { engines } from '../helpers/engines.js';
import { activationSpec, batchNormSpec, denseSpec, layerNormSpec, lossSpec, planSpec, plainSgd } from '../helpers/specs.js';
import { enginePlan, expectClose, identityRows, range } from '../helpers/catalog.js';

const SELU_LAMBDA = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
/** 1 − tanh(v)² = 4/(e^v + e^−v)², without cancellation. */
const sech2 = (v: number) => (Math.abs(v) > 350 ? 0 : 4 / (Math.exp(v) + Math.exp(-v)) ** 2);

/** Value and derivative of each activation, float64, stable forms. */
const REFERENCE: Partial<Record<Activation, (z: number, alpha: number) => [number, number]>> = {
  sigmoid: (z) => [sigmoid(z), sigmoid(z) * sigmoid(-z)],
  tanh: (z) => [Math.tanh(z), sech2(z)],
  softplus: (z) => [softplus(z), sigmoid(z)],
  silu: (z) => [z * sigmoid(z), sigmoid(z) * (1 + z * sigmoid(-z))],
  mish: (z) => {
    const sp = softplus(z);
    return [z * Math.tanh(sp), Math.tanh(sp) + z * sech2(sp) * sigmoid(z)];
  },
  elu: (z, a) => (z > 0 ? [z, 1] : [a * Math.expm1(z), a * Math.exp(z)]),
  selu: (z) => (z > 0 ? [SELU_LAMBDA * z, SELU_LAMBDA] : [SELU_LAMBDA * SELU_ALPHA * Math.expm1(z), SELU_LAMBDA * SELU_ALPHA * Math.exp(z)]),
};

const GRID = [1e4, -1e4, 100, -100, 89, -89, 88.8, -88.8, 88.7, -88.7, 30, -30, 20, -20, 0, 1e-8].map(Math.fround);
/** TESTING N2's ±3e38 for the functions that must saturate cleanly there. */
const HUGE = [3e38, -3e38, 1e30, -1e30].map(Math.fround);

describe.each(engines())('$name engine on extreme values', (engine) => {
  describe('activations at ±1e4 and around the float32 exp overflow', () => {
    const cases: [Activation, number, number[]][] = [
      ['sigmoid', 0, [...GRID, ...HUGE]],
      ['tanh', 0, [...GRID, ...HUGE]],
      ['softplus', 0, [...GRID, ...HUGE]],
      ['silu', 0, GRID],
      ['mish', 0, GRID],
      ['elu', 1, GRID],
      ['elu', 0.5, GRID],
      ['selu', 0, GRID],
    ];
    for (const [act, alpha, z] of cases) {
      const name = act === 'elu' ? `elu α=${alpha}` : act;
      const ref = z.map((v) => REFERENCE[act]!(v, alpha));
      const k = z.length;

      it(`${name}: an activation layer's outputs are finite and equal the float64 values`, () => {
        const { plan } = enginePlan(engine, planSpec(k, [activationSpec(k, act, alpha || 0.01)], { loss: lossSpec('meanAbsoluteError'), maxBatch: 1 }), []);
        const out = new Float32Array(k);
        plan.predictSync(Float32Array.from(z), out);
        plan.dispose();
        expect(out.every(Number.isFinite), `${name} outputs finite: ${Array.from(out)}`).toBe(true);
        expectClose(out, ref.map((r) => r[0]), 1e-35, 1e-5, `${name}(z)`);
      });

      it(`${name}: inside a dense layer, loss and gradients are finite and the gradient is f′(z)/k`, () => {
        const spec = planSpec(1, [denseSpec(1, k, act, { alpha: alpha || 0.01 })], { loss: lossSpec('meanAbsoluteError'), maxBatch: 1 });
        const { plan, arenas } = enginePlan(engine, spec, z);
        const t = Float32Array.from(ref, ([v]) => v - (1 + Math.abs(v)));
        const loss = plan.lossAndGrad(identityRows(1), t, range(1));
        plan.dispose();
        expect(Number.isFinite(loss)).toBe(true);
        const grad = arenas.grads.subarray(0, k);
        expect(grad.every(Number.isFinite), `${name} gradients finite: ${Array.from(grad)}`).toBe(true);
        expectClose(grad, ref.map((r) => r[1] / k), 1e-7 / k, 1e-5, `${name}′(z)/k`);
      });
    }

    it('sigmoid, tanh and softplus propagate NaN and stay NaN-free elsewhere in the row', () => {
      for (const act of ['sigmoid', 'tanh', 'softplus'] as const) {
        const { plan } = enginePlan(engine, planSpec(3, [activationSpec(3, act)], { loss: lossSpec('meanSquaredError'), maxBatch: 1 }), []);
        const out = new Float32Array(3);
        plan.predictSync(Float32Array.of(NaN, 1e4, -1e4), out);
        plan.dispose();
        expect(Number.isNaN(out[0]), `${act}(NaN)`).toBe(true);
        expect(Number.isFinite(out[1]) && Number.isFinite(out[2]), `${act}(±1e4)`).toBe(true);
      }
    });
  });

  describe('cross-entropy on extreme and all-equal logits (float64 log-sum-exp reference)', () => {
    const logits = [
      [1e4, -1e4, 0],
      [-1e4, -1e4, 1e4],
      [5, 5, 5],
      [1e4, 1e4, 1e4],
      [-1e4, -1e4, -1e4],
      [1e4, 1e4, -1e4],
      [3e38, 0, -3e38],
      [88.8, -88.8, 0],
    ].map((r) => r.map(Math.fround));
    const n = logits.length;
    const k = 3;
    const labels = Int32Array.from([1, 0, 2, 1, 0, 2, 0, 1]); // row 6 at its maximum: any other label costs more than float32 holds
    const weights = Float32Array.from([1, 0.5, 2, 1, 1, 0.25, 1, 3]);

    /** Float64 reference: Σ share·(−Σ q·(z − lse)) and share·(softmax(z) − q), with z − lse = (z − m) − ln s. */
    function expected(rows: number[][], y: Int32Array, eps: number, w: Float32Array | null) {
      const total = w ? w.reduce((a, b) => a + b, 0) : rows.length;
      let loss = 0;
      const grad: number[] = [];
      rows.forEach((z, r) => {
        const m = Math.max(...z);
        const s = z.reduce((a, v) => a + Math.exp(v - m), 0);
        const share = (w ? w[r] : 1) / total;
        for (let j = 0; j < k; j++) {
          const q = (1 - eps) * (y[r] === j ? 1 : 0) + eps / k;
          if (q !== 0) loss -= share * q * (z[j] - m - Math.log(s));
          grad.push(share * (Math.exp(z[j] - m) / s - q));
        }
      });
      return { loss, grad };
    }

    const plans: [string, Activation, LossSpec][] = [
      ['softmax fused with categoricalCrossentropy', 'softmax', lossSpec('categoricalCrossentropy')],
      ['categoricalCrossentropy fromLogits', 'linear', lossSpec('categoricalCrossentropy', { fromLogits: true })],
    ];
    for (const [name, act, loss] of plans) {
      for (const eps of [0, 0.1]) {
        for (const weighted of [false, true]) {
          it(`${name}, labelSmoothing ${eps}${weighted ? ', weighted' : ''}: finite loss and gradient equal to the float64 reference`, () => {
            // With smoothing every class costs: the ±3e38 row would cost ε/k·6e38, whose z − lse overflows float32.
            const keep = logits.map((_, r) => r).filter((r) => eps === 0 || r !== 6);
            const rows = keep.map((r) => logits[r]);
            const y = Int32Array.from(keep, (r) => labels[r]);
            const w = weighted ? Float32Array.from(keep, (r) => weights[r]) : null;
            const m = rows.length;
            const spec = planSpec(m, [denseSpec(m, k, act)], { loss: { ...loss, labelSmoothing: eps }, maxBatch: m });
            const { plan, arenas } = enginePlan(engine, spec, rows.flat());
            const value = plan.lossAndGrad(identityRows(m), y, range(m), { weights: w });
            plan.dispose();
            const want = expected(rows, y, eps, w);
            expect(Number.isFinite(value), `loss ${value}`).toBe(true);
            expectClose([value], [want.loss], 1e-6, 1e-6, 'loss');
            const grad = arenas.grads.subarray(0, m * k);
            expect(grad.every(Number.isFinite)).toBe(true);
            expectClose(grad, want.grad, 1e-7 / m, 1e-6, 'dL/dz');
          });
        }
      }
    }

    it('the all-equal rows cost exactly ln k and predict uniform probabilities', async () => {
      const rows = [logits[2], logits[3], logits[4]];
      const spec = planSpec(3, [denseSpec(3, k, 'softmax')], { loss: lossSpec('categoricalCrossentropy'), maxBatch: 3 });
      const { plan } = enginePlan(engine, spec, rows.flat());
      const out = new Float32Array(9);
      await plan.predict(identityRows(3), out);
      const value = plan.lossAndGrad(identityRows(3), Int32Array.of(2, 1, 0), range(3));
      plan.dispose();
      expectClose(out, new Array(9).fill(1 / 3), 0, 1e-6, 'softmax of equal logits');
      expectClose([value], [Math.log(3)], 0, 1e-6, 'loss');
    });
  });

  describe('binary cross-entropy on extreme logits', () => {
    const z = [1e4, -1e4, 1e4, -1e4, 100, -100, 88.8, -88.8, 89, -89, 3e38, -3e38, 20, -20, 0, 1e-8].map(Math.fround);
    const t = [1, 0, 0, 1, 0.5, 0.5, 1, 0, 0, 1, 1, 0, 0.25, 0.75, 1, 0].map(Math.fround);
    const k = 4;
    const n = z.length / k;
    // per element: max(z, 0) − z·t + log1p(e^−|z|); ±3e38 only where t makes the first two cancel exactly
    const elementLoss = (v: number, tt: number) => (v === Math.fround(3e38) && tt === 1 ? 0 : v === Math.fround(-3e38) && tt === 0 ? 0 : Math.max(v, 0) - v * tt) + Math.log1p(Math.exp(-Math.abs(v)));
    const wantLoss = z.reduce((a, v, i) => a + elementLoss(v, t[i]), 0) / (k * n);
    const wantGrad = z.map((v, i) => (sigmoid(v) - t[i]) / (k * n));
    for (const [name, act, loss] of [
      ['sigmoid fused with binaryCrossentropy', 'sigmoid', lossSpec('binaryCrossentropy')],
      ['binaryCrossentropy fromLogits', 'linear', lossSpec('binaryCrossentropy', { fromLogits: true })],
    ] as const) {
      it(`${name}: finite loss and gradient equal to the float64 reference`, () => {
        const spec = planSpec(n, [denseSpec(n, k, act)], { loss, maxBatch: n });
        const { plan, arenas } = enginePlan(engine, spec, z);
        const value = plan.lossAndGrad(identityRows(n), Float32Array.from(t), range(n));
        plan.dispose();
        expect(Number.isFinite(value), `loss ${value}`).toBe(true);
        expectClose([value], [wantLoss], 1e-6, 1e-6, 'loss');
        const grad = arenas.grads.subarray(0, n * k);
        expect(grad.every(Number.isFinite)).toBe(true);
        expectClose(grad, wantGrad, 1e-7 / (k * n), 1e-6, 'dL/dz');
      });
    }
  });

  describe('zero-variance batches', () => {
    // Columns (batchNorm) or rows (layerNorm) of one repeated value: x − μ = 0 exactly in float32,
    // so out = β, dL/dγ = 0, dL/dβ = Σ c, and dL/dx = γ·(c − mean c)/√eps (PyTorch's result).
    const u = 3;
    const n = 4;
    const columns = [0.75, -2.5, 1000];
    const x = Array.from({ length: n * u }, (_, i) => columns[i % u]);
    const gamma = [1.5, 0.5, 2];
    const beta = [0.25, -1, 3];
    const c = Array.from({ length: n * u }, (_, i) => ((i * 7) % 5 < 2 ? -1 : 1) / (u * n)); // MAE gradient, signs mixed
    const t = Float32Array.from({ length: n * u }, (_, i) => beta[i % u] - Math.sign(c[i]) * 10);

    it('batchNorm in training: output β, finite gradients equal to the zero-variance formula', () => {
      const spec = planSpec(n, [denseSpec(n, u), batchNormSpec(u)], { loss: lossSpec('meanAbsoluteError'), maxBatch: n, optimizer: plainSgd });
      const params = [...x, 0, 0, 0, ...gamma, ...beta, 0, 0, 0, 1, 1, 1];
      const { plan, arenas } = enginePlan(engine, spec, params);
      const loss = plan.lossAndGrad(identityRows(n), t, range(n), { training: true });
      plan.dispose();
      expectClose([loss], [10], 0, 1e-6, 'loss (every |o − t| = 10 when o = β)');
      const off = n * u + u;
      const gx = arenas.grads.subarray(0, n * u);
      expect([...arenas.grads].every(Number.isFinite)).toBe(true);
      const colMean = (j: number) => c.filter((_, i) => i % u === j).reduce((a, b) => a + b, 0) / n;
      expectClose(gx, c.map((v, i) => (gamma[i % u] * (v - colMean(i % u))) / Math.sqrt(1e-5)), 1e-6, 1e-5, 'dL/dx');
      expectClose(arenas.grads.subarray(off, off + u), [0, 0, 0], 1e-6, 0, 'dL/dγ');
      expectClose(arenas.grads.subarray(off + u, off + 2 * u), [0, 1, 2].map((j) => colMean(j) * n), 1e-7, 1e-5, 'dL/dβ');
    });

    it('batchNorm: a trainSteps on it gives running variance 0.9 and a finite inference output', async () => {
      const spec = planSpec(u, [batchNormSpec(u)], { loss: lossSpec('meanSquaredError'), maxBatch: n, optimizer: plainSgd });
      const { plan, arenas } = enginePlan(engine, spec, [...gamma, ...beta, 0, 0, 0, 1, 1, 1]);
      const done = await plan.trainSteps({
        x: Float32Array.from(x), y: new Float32Array(n * u), weights: null, indices: range(n), batchSize: n,
        lrs: Float32Array.of(0.1), stepStart: 0, lossOut: new Float32Array(1), correctOut: new Int32Array(1),
      });
      expect(done).toBe(1);
      expectClose(arenas.params.subarray(2 * u, 3 * u), columns.map((v) => 0.1 * v), 1e-6, 1e-6, 'running mean');
      expectClose(arenas.params.subarray(3 * u), [0.9, 0.9, 0.9], 0, 1e-6, 'running variance');
      const out = new Float32Array(n * u);
      await plan.predict(Float32Array.from(x), out);
      plan.dispose();
      expect(out.every(Number.isFinite)).toBe(true);
    });

    it('layerNorm on constant rows: output β, finite gradients equal to the zero-variance formula', async () => {
      const rowsX = Array.from({ length: n * u }, (_, i) => [0.75, -2.5, 1000, 0][Math.floor(i / u)]);
      const spec = planSpec(n, [denseSpec(n, u), layerNormSpec(u)], { loss: lossSpec('meanAbsoluteError'), maxBatch: n });
      const { plan, arenas } = enginePlan(engine, spec, [...rowsX, 0, 0, 0, ...gamma, ...beta]);
      const out = new Float32Array(n * u);
      await plan.predict(identityRows(n), out);
      plan.lossAndGrad(identityRows(n), t, range(n));
      plan.dispose();
      expectClose(out, Array.from({ length: n * u }, (_, i) => beta[i % u]), 1e-6, 0, 'layerNorm(constant row)');
      expect([...arenas.grads].every(Number.isFinite)).toBe(true);
      const expectedX: number[] = [];
      for (let r = 0; r < n; r++) {
        const g = [0, 1, 2].map((j) => c[r * u + j] * gamma[j]);
        const mean = g.reduce((a, b) => a + b, 0) / u;
        for (let j = 0; j < u; j++) expectedX.push((g[j] - mean) / Math.sqrt(1e-5));
      }
      expectClose(arenas.grads.subarray(0, n * u), expectedX, 1e-6, 1e-5, 'dL/dx');
      const off = n * u + u;
      expectClose(arenas.grads.subarray(off, off + u), [0, 0, 0], 1e-6, 0, 'dL/dγ');
    });
  });
});
