// The second-order methods' building blocks on small float64 problems written out in TS.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lbfgs, twoLoop } from '../../lib/second-order/lbfgs.js';
import { ConjugateGradient, type CgVariant } from '../../lib/second-order/conjugate-gradient.js';
import { NewtonCg } from '../../lib/second-order/newton-cg.js';
import { LineSearchScratch, strongWolfe } from '../../lib/second-order/line-search.js';
import { jsVectors as vec, type Vector } from '../../lib/second-order/vectors.js';
import type { Objective } from '../../lib/second-order/objective.js';
import { rng } from '../helpers/rng.js';

/** f = ½xᵀAx − bᵀx with a random SPD A = MᵀM + I. */
function quadratic(n: number, seed: number) {
  const r = rng(seed);
  const m = Array.from({ length: n * n }, () => 2 * r() - 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = i === j ? 1 : 0;
    for (let k = 0; k < n; k++) s += m[k * n + i] * m[k * n + j];
    a[i * n + j] = s;
  }
  const b = Float64Array.from({ length: n }, () => 2 * r() - 1);
  const mul = (v: Vector, out: Vector) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * v[j];
      out[i] = s;
    }
  };
  const params = new Float64Array(n);
  const ax = new Float64Array(n);
  let products = 0;
  const objective: Objective = {
    params,
    evaluate(g) {
      mul(params, ax);
      let f = 0;
      for (let i = 0; i < n; i++) {
        f += 0.5 * params[i] * ax[i] - b[i] * params[i];
        g[i] = ax[i] - b[i];
      }
      return f;
    },
    hessianVector(v, out) {
      products++;
      mul(v, out);
    },
  };
  return { objective, a, b, mul, products: () => products };
}

/** Rosenbrock in n dimensions, minimum 0 at (1, …, 1). */
function rosenbrock(n: number, start: number[]): Objective {
  const params = Float64Array.from(start);
  return {
    params,
    evaluate(g) {
      let f = 0;
      g.fill(0);
      for (let i = 0; i < n - 1; i++) {
        const a = params[i + 1] - params[i] ** 2;
        const b = 1 - params[i];
        f += 100 * a * a + b * b;
        g[i] += -400 * params[i] * a - 2 * b;
        g[i + 1] += 200 * a;
      }
      return f;
    },
  };
}

describe('linear CG inside Newton-CG', () => {
  it('solves an n = 12 quadratic in at most n Hessian products: one Newton step reaches the minimum', async () => {
    const n = 12;
    const q = quadratic(n, 3);
    const newton = new NewtonCg({ lr: 1, maxIter: 1, cgMaxIter: n, cgTolerance: 1e-13, damping: 1e-12, adaptDamping: false, toleranceGrad: 0, toleranceChange: 0 });
    await newton.step(q.objective, vec);
    const g = new Float64Array(n);
    q.objective.evaluate(g);
    expect(vec.maxAbs(g)).toBeLessThan(1e-8);
    expect(newton.hessianProducts).toBeLessThanOrEqual(n);
  });
});

describe('two-loop recursion', () => {
  it('equals −H·g for the dense BFGS inverse update from the same pairs', () => {
    const n = 6;
    const q = quadratic(n, 5);
    const r = rng(9);
    const stps: Vector[] = [];
    const dirs: Vector[] = [];
    const ro: number[] = [];
    for (let k = 0; k < 4; k++) {
      const s = Float64Array.from({ length: n }, () => 2 * r() - 1);
      const y = new Float64Array(n);
      q.mul(s, y);
      stps.push(s);
      dirs.push(y);
      ro.push(1 / vec.dot(y, s));
    }
    const gamma = vec.dot(stps[3], dirs[3]) / vec.dot(dirs[3], dirs[3]);
    // H₀ = γI; H ← (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ, oldest pair first.
    let h = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? gamma : 0));
    for (let k = 0; k < 4; k++) {
      const s = stps[k];
      const y = dirs[k];
      const left = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0) - ro[k] * s[Math.floor(i / n)] * y[i % n]);
      const tmp = new Array(n * n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let l = 0; l < n; l++) tmp[i * n + j] += left[i * n + l] * h[l * n + j];
      const next = new Array(n * n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        for (let l = 0; l < n; l++) next[i * n + j] += tmp[i * n + l] * left[j * n + l];
        next[i * n + j] += ro[k] * s[i] * s[j];
      }
      h = next;
    }
    const g = Float64Array.from({ length: n }, () => 2 * r() - 1);
    const expected = Array.from({ length: n }, (_, i) => -h.slice(i * n, i * n + n).reduce((acc, v, j) => acc + v * g[j], 0));
    const d = new Float64Array(n);
    twoLoop(vec, g, stps, dirs, ro, gamma, new Float64Array(n), d, []);
    for (let i = 0; i < n; i++) expect(d[i]).toBeCloseTo(expected[i], 12);
  });
});

describe('strong-Wolfe line search', () => {
  for (const [name, start] of [['near the valley', [-1.2, 1]], ['far out', [3, -2, 1, 0.5]]] as const) {
    it(`on Rosenbrock ${name}: the accepted step satisfies both strong-Wolfe conditions (c1 1e-4, c2 0.9)`, async () => {
      const objective = rosenbrock(start.length, [...start]);
      const n = start.length;
      const g = new Float64Array(n);
      const f = objective.evaluate(g);
      const d = Float64Array.from(g, (v) => -v);
      const gtd = vec.dot(g, d);
      const result = await strongWolfe(objective, vec, new LineSearchScratch(objective.params), d, f, g, gtd, 1);
      expect(result.f).toBeLessThanOrEqual(f + 1e-4 * result.t * gtd);
      expect(Math.abs(vec.dot(g, d))).toBeLessThanOrEqual(0.9 * Math.abs(gtd));
      const check = new Float64Array(n);
      expect(objective.evaluate(check)).toBe(result.f);
    });
  }
});

describe('methods converge on Rosenbrock', () => {
  it('L-BFGS with strong Wolfe reaches (1, 1) within 1e-6', async () => {
    const objective = rosenbrock(2, [-1.2, 1]);
    const opt = new Lbfgs({ lr: 1, maxIter: 200, maxEval: 500, toleranceGrad: 1e-10, toleranceChange: 1e-14, historySize: 10, lineSearch: 'strongWolfe' });
    await opt.step(objective, vec);
    expect(Math.abs(objective.params[0] - 1)).toBeLessThan(1e-6);
    expect(Math.abs(objective.params[1] - 1)).toBeLessThan(1e-6);
  });

  for (const variant of ['polakRibiere', 'fletcherReeves', 'hestenesStiefel'] as CgVariant[]) {
    it(`nonlinear CG (${variant}) reaches (1, 1) within 1e-4`, async () => {
      const objective = rosenbrock(2, [-1.2, 1]);
      const opt = new ConjugateGradient({ lr: 1, variant, restart: 2, maxIter: 5000, toleranceGrad: 1e-9, toleranceChange: 1e-15, lineSearch: 'strongWolfe' });
      await opt.step(objective, vec);
      expect(Math.abs(objective.params[0] - 1)).toBeLessThan(1e-4);
      expect(Math.abs(objective.params[1] - 1)).toBeLessThan(1e-4);
    });
  }
});

describe('L-BFGS against torch.optim.LBFGS (float64 logistic regression)', () => {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/second-order/lbfgs-logistic.json', import.meta.url), 'utf8'));
  const { n, d, l2 } = fx;
  const x = Float64Array.from(fx.x);
  const y = Float64Array.from(fx.y);
  const logistic = (): Objective => {
    const params = new Float64Array(d + 1);
    return {
      params,
      evaluate(g) {
        g.fill(0);
        let f = 0;
        for (let i = 0; i < n; i++) {
          let z = params[d];
          for (let j = 0; j < d; j++) z += x[i * d + j] * params[j];
          f += Math.max(z, 0) - z * y[i] + Math.log1p(Math.exp(-Math.abs(z)));
          const r = (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))) - y[i];
          for (let j = 0; j < d; j++) g[j] += (r * x[i * d + j]) / n;
          g[d] += r / n;
        }
        f /= n;
        for (let j = 0; j < d; j++) {
          f += l2 * params[j] ** 2;
          g[j] += 2 * l2 * params[j];
        }
        return f;
      },
    };
  };
  for (const c of fx.cases) {
    it(`line search ${c.lineSearch}, history ${c.historySize}: losses and parameters of 6 steps within 1e-9`, async () => {
      const objective = logistic();
      const opt = new Lbfgs({ lr: c.lr, maxIter: c.maxIter, maxEval: Math.floor((c.maxIter * 5) / 4), toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: c.historySize, lineSearch: c.lineSearch });
      for (let step = 0; step < c.losses.length; step++) {
        const report = await opt.step(objective, vec);
        expect(report.initialLoss).toBeCloseTo(c.losses[step], 9);
        for (let j = 0; j <= d; j++) expect(objective.params[j]).toBeCloseTo(c.params[step][j], 7);
      }
      expect(opt.funcEvals).toBe(c.funcEvals);
      expect(opt.nIter).toBe(c.nIter);
    });
  }
});
