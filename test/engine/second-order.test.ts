// Second-order methods through the engines: convex problems solved to tight gradient norms,
// the methods agreeing on the optimum, K-FAC's factors, hybrids, and misuse refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adam, conjugateGradient, dense, kfac, l2, lbfgs, loadModel, newtonCg, sequential, type Optimizer } from '../../lib/index.js';
import { JsPlan } from '../../lib/engine/js/plan.js';
import { paramCount, type PlanSpec } from '../../lib/engine/engine.js';
import { Lbfgs } from '../../lib/second-order/lbfgs.js';
import { NewtonCg } from '../../lib/second-order/newton-cg.js';
import { jsVectors } from '../../lib/second-order/vectors.js';
import type { Objective } from '../../lib/second-order/objective.js';
import { engineNames, engines } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';
import { denseSpec, lossSpec, planSpec } from '../helpers/specs.js';
import { rng } from '../helpers/rng.js';

/** A noisy linearly separable-ish binary problem: n rows of d features. */
function logisticData(n: number, d: number, seed: number) {
  const r = rng(seed);
  const w = Array.from({ length: d }, () => 2 * r() - 1);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) {
      x[i * d + j] = 2 * r() - 1;
      z += w[j] * x[i * d + j];
    }
    y[i] = z + 0.3 * (r() - 0.5) > 0 ? 1 : 0;
  }
  return { x, y };
}

/** L2-regularised logistic regression as a float64 TS-engine objective. */
function float64Objective(n: number, d: number, data: { x: Float32Array; y: Float32Array }, withHessian: boolean): { objective: Objective; spec: PlanSpec } {
  const spec = planSpec(d, [denseSpec(d, 1, 'sigmoid', { kernelL2: 0.01 })], { loss: lossSpec('binaryCrossentropy'), maxBatch: n });
  const count = paramCount(spec);
  const arenas = { params: new Float64Array(count), grads: new Float64Array(count), state: new Float64Array(0) };
  const plan = new JsPlan(spec, arenas, Float64Array);
  const x = Float64Array.from(data.x);
  const y = Float64Array.from(data.y);
  const indices = Int32Array.from({ length: n }, (_, i) => i);
  const objective: Objective = {
    params: arenas.params,
    evaluate(g) {
      const loss = plan.lossAndGrad(x as never, y as never, indices);
      g.set(arenas.grads);
      return loss;
    },
    hessianVector: withHessian ? (v, out) => plan.hessianVector!(x as never, y as never, indices, v as never, out as never) : undefined,
  };
  return { objective, spec };
}

const gradNorm = (objective: Objective, n: number) => {
  const g = new Float64Array(n);
  return Promise.resolve(objective.evaluate(g)).then(() => Math.sqrt(jsVectors.dot(g, g)));
};

describe('convex problem, float64 TS engine', () => {
  const n = 200;
  const d = 8;
  const data = logisticData(n, d, 1);

  it('L-BFGS (strong Wolfe) reaches ‖g‖ < 1e-6 in under 100 iterations', async () => {
    const { objective } = float64Objective(n, d, data, false);
    const opt = new Lbfgs({ lr: 1, maxIter: 100, maxEval: 200, toleranceGrad: 1e-9, toleranceChange: 1e-15, historySize: 10, lineSearch: 'strongWolfe' });
    const report = await opt.step(objective, jsVectors);
    expect(report.iterations).toBeLessThan(100);
    expect(await gradNorm(objective, d + 1)).toBeLessThan(1e-6);
  });

  it('Newton-CG reaches ‖g‖ < 1e-6 in under 100 iterations, at the optimum L-BFGS finds', async () => {
    const a = float64Objective(n, d, data, true).objective;
    const b = float64Objective(n, d, data, false).objective;
    const newton = new NewtonCg({ lr: 1, maxIter: 99, cgMaxIter: 50, damping: 1e-8, adaptDamping: true, toleranceGrad: 1e-9, toleranceChange: 0 });
    const report = await newton.step(a, jsVectors);
    expect(report.iterations).toBeLessThan(100);
    expect(await gradNorm(a, d + 1)).toBeLessThan(1e-6);
    await new Lbfgs({ lr: 1, maxIter: 100, maxEval: 200, toleranceGrad: 1e-10, toleranceChange: 1e-15, historySize: 10, lineSearch: 'strongWolfe' }).step(b, jsVectors);
    for (let i = 0; i <= d; i++) expect(a.params[i]).toBeCloseTo(b.params[i], 5);
  });

  it('the Hessian-vector product matches central differences of the gradient', async () => {
    const { objective } = float64Objective(n, d, data, true);
    const r = rng(4);
    for (let i = 0; i <= d; i++) objective.params[i] = r() - 0.5;
    const v = Float64Array.from({ length: d + 1 }, () => r() - 0.5);
    const hv = new Float64Array(d + 1);
    await objective.hessianVector!(v, hv);
    const eps = 1e-5;
    const x0 = Float64Array.from(objective.params);
    const gp = new Float64Array(d + 1);
    const gm = new Float64Array(d + 1);
    jsVectors.addScaled(x0, eps, v, objective.params);
    await objective.evaluate(gp);
    jsVectors.addScaled(x0, -eps, v, objective.params);
    await objective.evaluate(gm);
    for (let i = 0; i <= d; i++) expect(hv[i]).toBeCloseTo((gp[i] - gm[i]) / (2 * eps), 7);
  });
});

describe.each(engineNames())('%s engine: second-order optimizers in fit', (engine) => {
  const n = 300;
  const d = 6;
  const data = logisticData(n, d, 2);
  const logistic = () => sequential({ inputSize: d, seed: 1, engine, layers: [dense(1, { activation: 'sigmoid', kernelRegularizer: l2(0.01) })] });

  it('L-BFGS on L2-regularised logistic regression: float32 gradient norm below 1e-4 within 100 iterations', async () => {
    const model = logistic();
    model.compile({ loss: 'binaryCrossentropy', optimizer: lbfgs({ lineSearch: 'strongWolfe', maxIter: 100, tolerance: 1e-6 }) });
    const history = await model.fit(data.x, data.y, { epochs: 1 });
    expect(history.epochs[0].iterations).toBeLessThan(100);
    expect(history.epochs[0].gradNorm).toBeLessThan(1e-4);
  });

  it('Newton-CG on the same problem: float32 gradient norm below 1e-4 within 100 iterations', async () => {
    const model = logistic();
    model.compile({ loss: 'binaryCrossentropy', optimizer: newtonCg({ maxIter: 99, damping: 1e-6, tolerance: 1e-6 }) });
    const history = await model.fit(data.x, data.y, { epochs: 1 });
    expect(history.epochs[0].iterations).toBeLessThan(100);
    expect(history.epochs[0].gradNorm).toBeLessThan(1e-4);
  });

  it('conjugate gradient (Polak–Ribière) reaches the same loss as L-BFGS within 1e-5', async () => {
    const a = logistic();
    a.compile({ loss: 'binaryCrossentropy', optimizer: lbfgs({ lineSearch: 'strongWolfe', maxIter: 200 }) });
    const b = logistic();
    b.compile({ loss: 'binaryCrossentropy', optimizer: conjugateGradient({ maxIter: 300 }) });
    await a.fit(data.x, data.y, { epochs: 1 });
    await b.fit(data.x, data.y, { epochs: 1 });
    expect((await b.evaluate(data.x, data.y)).loss).toBeCloseTo((await a.evaluate(data.x, data.y)).loss, 5);
  });

  it('Newton-CG reaches the L-BFGS optimum', async () => {
    const a = logistic();
    a.compile({ loss: 'binaryCrossentropy', optimizer: lbfgs({ lineSearch: 'strongWolfe', maxIter: 200 }) });
    const b = logistic();
    b.compile({ loss: 'binaryCrossentropy', optimizer: newtonCg({ maxIter: 30, damping: 1e-6 }) });
    await a.fit(data.x, data.y, { epochs: 1 });
    await b.fit(data.x, data.y, { epochs: 1 });
    const wa = a.getWeights()[0].data;
    const wb = b.getWeights()[0].data;
    for (let i = 0; i < wa.length; i++) expect(wb[i]).toBeCloseTo(wa[i], 3);
  });

  it('a model trained with Adam continues with L-BFGS (weights kept) and its loss keeps falling', async () => {
    const blob = blobs(200, 5, 3, 3);
    const model = sequential({ inputSize: 5, seed: 2, engine, layers: [dense(16, { activation: 'tanh' }), dense(3, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    const first = await model.fit(blob.x, blob.y, { epochs: 5, batchSize: 32 });
    const before = model.getWeights();
    model.compile({ loss: 'categoricalCrossentropy', optimizer: lbfgs({ lineSearch: 'strongWolfe' }) });
    expect(model.getWeights()).toEqual(before);
    const second = await model.fit(blob.x, blob.y, { epochs: 3 });
    expect(second.epochs[2].loss).toBeLessThan(first.epochs[4].loss);
  });

  it('K-FAC trains a small classifier on mini-batches', async () => {
    const blob = blobs(400, 8, 4, 5);
    const model = sequential({ inputSize: 8, seed: 3, engine, layers: [dense(16, { activation: 'relu' }), dense(4, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: kfac({ lr: 0.05 }), metrics: ['accuracy'] });
    const history = await model.fit(blob.x, blob.y, { epochs: 10, batchSize: 64 });
    expect(history.epochs[9].loss).toBeLessThan(history.epochs[0].loss / 2);
    expect((await model.evaluate(blob.x, blob.y)).accuracy).toBeGreaterThan(0.9);
  });

  it('a method that needs the full batch refuses mini-batches unless told', async () => {
    const model = logistic();
    model.compile({ loss: 'binaryCrossentropy', optimizer: lbfgs() });
    await expect(model.fit(data.x, data.y, { batchSize: 32 })).rejects.toThrow(/fit\(options.batchSize\): lbfgs needs the full batch \(batchSize 300, the default for it\), received 32; create it with \{ miniBatch: true \}/);
    model.compile({ loss: 'binaryCrossentropy', optimizer: lbfgs({ miniBatch: true }) });
    await expect(model.fit(data.x, data.y, { batchSize: 100, epochs: 1 })).resolves.toBeDefined();
  });
});

const root = mkdtempSync(join(tmpdir(), 'downhill-second-order-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(engineNames())('%s engine: a saved second-order run resumes exactly', (engine) => {
  const blob = blobs(120, 5, 3, 9);
  const cases: [string, () => Optimizer, number | undefined][] = [
    ['lbfgs', () => lbfgs({ lineSearch: 'strongWolfe', maxIter: 4, historySize: 3 }), undefined],
    ['conjugateGradient', () => conjugateGradient({ maxIter: 4 }), undefined],
    ['newtonCg', () => newtonCg({ maxIter: 2, damping: 1 }), undefined],
    ['kfac', () => kfac({ invFreq: 3 }), 32],
  ];
  for (const [name, make, batchSize] of cases) {
    it(`${name}: 1 epoch, save, load, 1 epoch gives the bits of 2 epochs in a row`, async () => {
      const build = () => {
        const m = sequential({ inputSize: 5, seed: 6, engine, layers: [dense(8, { activation: 'tanh' }), dense(3, { activation: 'softmax' })] });
        m.compile({ loss: 'categoricalCrossentropy', optimizer: make() });
        return m;
      };
      const straight = build();
      await straight.fit(blob.x, blob.y, { epochs: 2, batchSize });
      const first = build();
      await first.fit(blob.x, blob.y, { epochs: 1, batchSize });
      const dir = join(root, `${engine}-${name}`);
      await first.save(dir);
      const resumed = await loadModel(dir, { engine });
      await resumed.fit(blob.x, blob.y, { epochs: 2, initialEpoch: 1, batchSize });
      const a = straight.getWeights();
      const b = resumed.getWeights();
      a.forEach((w, i) => expect(Buffer.from(b[i].data.buffer).equals(Buffer.from(w.data.buffer)), w.name).toBe(true));
    });
  }
});

describe('K-FAC factors from the engine', () => {
  for (const engine of engines()) {
    it(`${engine.name}: A and G of each dense layer equal their direct computation`, () => {
      const spec = planSpec(3, [denseSpec(3, 4, 'tanh'), denseSpec(4, 2, 'linear')], { loss: lossSpec('meanSquaredError'), maxBatch: 5 });
      const count = paramCount(spec);
      const r = rng(8);
      const params = Float32Array.from({ length: count }, () => r() - 0.5);
      const plan = engine.createPlan(spec, { params, grads: new Float32Array(count), state: new Float32Array(0) });
      const n = 5;
      const x = Float32Array.from({ length: n * 3 }, () => 2 * r() - 1);
      const y = Float32Array.from({ length: n * 2 }, () => r());
      const indices = Int32Array.from({ length: n }, (_, i) => i);
      const a = [new Float32Array(16), new Float32Array(25)];
      const g = [new Float32Array(16), new Float32Array(4)];
      plan.lossAndGrad(x, y, indices, { factors: { a, g } });
      plan.dispose();
      // Direct: forward in float64, δ of each layer by hand for mse (k = 2).
      const w1 = (i: number, j: number) => params[i * 4 + j];
      const b1 = (j: number) => params[12 + j];
      const w2 = (i: number, j: number) => params[16 + i * 2 + j];
      const b2 = (j: number) => params[24 + j];
      const A1 = new Float64Array(16);
      const A2 = new Float64Array(25);
      const G1 = new Float64Array(16);
      const G2 = new Float64Array(4);
      for (let row = 0; row < n; row++) {
        const xi = [x[row * 3], x[row * 3 + 1], x[row * 3 + 2], 1];
        const h = [0, 1, 2, 3].map((j) => Math.tanh(xi[0] * w1(0, j) + xi[1] * w1(1, j) + xi[2] * w1(2, j) + b1(j)));
        const hi = [...h, 1];
        const o = [0, 1].map((j) => h.reduce((s, v, i) => s + v * w2(i, j), b2(j)));
        // Mean loss over n rows of (1/k)Σ(o − t)²: n·δ = 2(o − t)/k.
        const d2 = [0, 1].map((j) => (2 * (o[j] - y[row * 2 + j])) / 2);
        const d1 = [0, 1, 2, 3].map((i) => (d2[0] * w2(i, 0) + d2[1] * w2(i, 1)) * (1 - h[i] * h[i]));
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) A1[i * 4 + j] += (xi[i] * xi[j]) / n;
        for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) A2[i * 5 + j] += (hi[i] * hi[j]) / n;
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) G1[i * 4 + j] += (d1[i] * d1[j]) / n;
        for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) G2[i * 2 + j] += (d2[i] * d2[j]) / n;
      }
      const close = (got: Float32Array, want: Float64Array) => want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
      close(a[0], A1);
      close(a[1], A2);
      close(g[0], G1);
      close(g[1], G2);
    });
  }
});

describe('bad settings', () => {
  it('historySize below 1 is a RangeError', () => {
    expect(() => lbfgs({ historySize: 0 })).toThrow(/lbfgs\(options.historySize\): expected an integer ≥ 1, received 0/);
  });
  it('damping ≤ 0 is a RangeError', () => {
    expect(() => kfac({ damping: 0 })).toThrow(/kfac\(options.damping\): expected a number > 0, received 0/);
    expect(() => newtonCg({ damping: -1 })).toThrow(/newtonCg\(options.damping\): expected a number > 0/);
  });
  it('an unknown line search or CG variant is a RangeError', () => {
    expect(() => lbfgs({ lineSearch: 'armijo' as never })).toThrow(/lbfgs\(options.lineSearch\): expected one of 'strongWolfe', 'none'/);
    expect(() => conjugateGradient({ variant: 'daiYuan' as never })).toThrow(RangeError);
  });
});
