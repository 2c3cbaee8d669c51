// Gradients of dense + ReLU + softmax-CE: the float64 TS engine against central finite
// differences, then each engine's float32 gradients against that float64 reference.
import { describe, expect, it } from 'vitest';
import { JsPlan } from '../../lib/engine/js/plan.js';
import { paramCount, type PlanSpec } from '../../lib/engine/engine.js';
import { Rng } from '../../lib/random.js';
import { engines } from '../helpers/engines.js';
import { oneHot, randomInputs, randomLabels, worstCloseness } from '../helpers/data.js';
import { mlpLayers, planSpec } from '../helpers/specs.js';

/** Dense ReLU layers, softmax output, categorical cross-entropy. */
function specOf(widths: number[], maxBatch: number): PlanSpec {
  return planSpec(widths[0], mlpLayers(widths), { maxBatch });
}

function randomParams(count: number, seed: number): Float64Array {
  const rng = new Rng(seed, 5);
  return Float64Array.from({ length: count }, () => (2 * rng.nextFloat() - 1) * 0.7);
}

/** Float64 reference plan over the given params (copied). */
function reference(spec: PlanSpec, params: ArrayLike<number>) {
  const arenas = { params: Float64Array.from(params), grads: new Float64Array(params.length), state: new Float64Array(0) };
  return { plan: new JsPlan(spec, arenas, Float64Array), arenas };
}

/** Smallest |pre-activation| of any hidden ReLU unit: finite differences need it away from the kink. */
function minHiddenMagnitude(spec: PlanSpec, params: Float64Array, x: Float64Array, n: number): number {
  let a = Array.from(x);
  let offset = 0;
  let min = Infinity;
  for (const [l, layer] of spec.layers.entries()) {
    const next: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < layer.units; j++) {
        let z = params[offset + layer.inputs * layer.units + j];
        for (let i = 0; i < layer.inputs; i++) z += a[r * layer.inputs + i] * params[offset + i * layer.units + j];
        if (l < spec.layers.length - 1) min = Math.min(min, Math.abs(z));
        next.push(Math.max(z, 0));
      }
    }
    offset += layer.inputs * layer.units + layer.units;
    a = next;
  }
  return min;
}

describe('float64 reference gradients match central finite differences', () => {
  const cases = [
    { widths: [5, 4, 3], batch: 3, targets: 'labels' },
    { widths: [4, 5, 3, 4], batch: 2, targets: 'one-hot' },
    { widths: [3, 4, 2], batch: 1, targets: 'labels' },
  ] as const;
  for (const c of cases) {
    it(`${c.widths.join('-')}, batch ${c.batch}, ${c.targets} targets: full Jacobian within atol 1e-5, rtol 1e-3`, () => {
      const spec = specOf([...c.widths], c.batch);
      const count = paramCount(spec);
      const classes = c.widths[c.widths.length - 1];
      let seed = 1;
      let params = randomParams(count, seed);
      const x = Float64Array.from(randomInputs(c.batch, c.widths[0], 3));
      while (minHiddenMagnitude(spec, params, x, c.batch) < 1e-3) params = randomParams(count, ++seed);
      const labels = randomLabels(c.batch, classes, 4);
      const y = c.targets === 'labels' ? labels : Float64Array.from(oneHot(labels, classes));
      const indices = Int32Array.from({ length: c.batch }, (_, i) => i);
      const { plan, arenas } = reference(spec, params);
      plan.lossAndGrad(x, y, indices);
      const analytic = Float64Array.from(arenas.grads);
      const numeric = new Float64Array(count);
      const eps = 1e-6;
      for (let i = 0; i < count; i++) {
        const keep = arenas.params[i];
        arenas.params[i] = keep + eps;
        const up = plan.lossAndGrad(x, y, indices);
        arenas.params[i] = keep - eps;
        const down = plan.lossAndGrad(x, y, indices);
        arenas.params[i] = keep;
        numeric[i] = (up - down) / (2 * eps);
      }
      expect(worstCloseness(analytic, numeric, 1e-5, 1e-3)).toBeLessThanOrEqual(1);
    });
  }

  it('a 64-wide network passes the random-projection check uᵀ·∇ = directional derivative', () => {
    const spec = specOf([64, 64, 64, 10], 8);
    const count = paramCount(spec);
    const params = randomParams(count, 11).map((v) => v * 0.3);
    const x = Float64Array.from(randomInputs(8, 64, 12));
    const y = randomLabels(8, 10, 13);
    const indices = Int32Array.from({ length: 8 }, (_, i) => i);
    const { plan, arenas } = reference(spec, params);
    plan.lossAndGrad(x, y, indices);
    const rng = new Rng(14);
    const u = Float64Array.from({ length: count }, () => rng.nextNormal());
    let projected = 0;
    for (let i = 0; i < count; i++) projected += u[i] * arenas.grads[i];
    const eps = 1e-6;
    const base = Float64Array.from(arenas.params);
    arenas.params.set(base.map((v, i) => v + eps * u[i]));
    const up = plan.lossAndGrad(x, y, indices);
    arenas.params.set(base.map((v, i) => v - eps * u[i]));
    const down = plan.lossAndGrad(x, y, indices);
    const numeric = (up - down) / (2 * eps);
    expect(Math.abs(projected - numeric)).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(numeric));
  });
});

describe.each(engines())('$name engine: float32 gradients match the float64 reference', (engine) => {
  for (const batch of [1, 7, 15, 17, 63, 65]) {
    it(`batch ${batch}, 33-17-9-10 network: within atol 1e-5, rtol 1e-4`, () => {
      const spec = specOf([33, 17, 9, 10], batch);
      const count = paramCount(spec);
      const params32 = Float32Array.from(randomParams(count, 21 + batch));
      const x = randomInputs(batch, 33, 22 + batch);
      const y = randomLabels(batch, 10, 23 + batch);
      const indices = Int32Array.from({ length: batch }, (_, i) => batch - 1 - i);
      const arenas = { params: params32, grads: new Float32Array(count), state: new Float32Array(0) };
      const plan = engine.createPlan(spec, arenas);
      const loss = plan.lossAndGrad(x, y, indices);
      plan.dispose();
      const ref = reference(spec, params32);
      const refLoss = ref.plan.lossAndGrad(Float64Array.from(x), y, indices);
      expect(Math.abs(loss - refLoss)).toBeLessThanOrEqual(1e-5 + 1e-5 * refLoss);
      expect(worstCloseness(arenas.grads, ref.arenas.grads, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
    });
  }

  it('one-hot targets give the same loss and gradients as class indices', () => {
    const spec = specOf([12, 8, 5], 9);
    const count = paramCount(spec);
    const params = Float32Array.from(randomParams(count, 31));
    const x = randomInputs(9, 12, 32);
    const labels = randomLabels(9, 5, 33);
    const indices = Int32Array.from({ length: 9 }, (_, i) => i);
    const a = { params, grads: new Float32Array(count), state: new Float32Array(0) };
    const b = { params, grads: new Float32Array(count), state: new Float32Array(0) };
    const planA = engine.createPlan(spec, a);
    const planB = engine.createPlan(spec, b);
    const lossA = planA.lossAndGrad(x, labels, indices);
    const lossB = planB.lossAndGrad(x, oneHot(labels, 5), indices);
    planA.dispose();
    planB.dispose();
    expect(lossB).toBeCloseTo(lossA, 6);
    expect(worstCloseness(b.grads, a.grads, 1e-7, 1e-6)).toBeLessThanOrEqual(1);
  });

  it('gradients over more rows than maxBatch equal the whole-set mean gradient', () => {
    const spec = specOf([12, 8, 5], 4);
    const count = paramCount(spec);
    const params = Float32Array.from(randomParams(count, 41));
    const x = randomInputs(11, 12, 42);
    const y = randomLabels(11, 5, 43);
    const indices = Int32Array.from({ length: 11 }, (_, i) => i);
    const arenas = { params, grads: new Float32Array(count), state: new Float32Array(0) };
    const plan = engine.createPlan(spec, arenas);
    const loss = plan.lossAndGrad(x, y, indices);
    plan.dispose();
    const ref = reference({ ...spec, maxBatch: 11 }, params);
    const refLoss = ref.plan.lossAndGrad(Float64Array.from(x), y, indices);
    expect(Math.abs(loss - refLoss)).toBeLessThanOrEqual(1e-5 * (1 + refLoss));
    expect(worstCloseness(arenas.grads, ref.arenas.grads, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
  });
});
