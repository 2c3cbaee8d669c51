// The pure-TS update against closed forms (PyTorch's formulas), float64 and float32.
import { describe, expect, it } from 'vitest';
import { applyUpdate } from '../../lib/engine/js/optimizers.js';
import type { OptimizerSpec } from '../../lib/engine/engine.js';

const sgd = (momentum = 0, dampening = 0, nesterov = false, weightDecay = 0): OptimizerSpec => ({ kind: 'sgd', momentum, dampening, nesterov, weightDecay });
const adam = (weightDecay = 0, decoupled = false): OptimizerSpec => ({ kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled });

describe.each([Float64Array, Float32Array])('%o update', (F) => {
  const tol = F === Float64Array ? 1e-12 : 1e-6;

  it('SGD: θ₁ = θ₀ − lr·g', () => {
    const p = F.of(1, -2, 3);
    applyUpdate(sgd(), 0.1, 1, p, F.of(0.5, 0.25, -1), new F(0));
    expect(Array.from(p)).toEqual([0.95, -2.025, 3.1].map((v) => (F === Float32Array ? Math.fround(v) : v)));
  });

  it('SGD momentum: the buffer is g at step 1, then μ·b + (1 − dampening)·g', () => {
    const p = F.of(1);
    const b = new F(1);
    applyUpdate(sgd(0.9, 0.1), 0.1, 1, p, F.of(2), b);
    expect(b[0]).toBeCloseTo(2, 6);
    applyUpdate(sgd(0.9, 0.1), 0.1, 2, p, F.of(1), b);
    expect(Math.abs(b[0] - (0.9 * 2 + 0.9 * 1))).toBeLessThanOrEqual(tol * 3);
    expect(Math.abs(p[0] - (1 - 0.2 - 0.1 * 2.7))).toBeLessThanOrEqual(tol * 3);
  });

  it('Nesterov uses g + μ·b', () => {
    const p = F.of(0);
    applyUpdate(sgd(0.5, 0, true), 1, 1, p, F.of(1), new F(1));
    expect(p[0]).toBeCloseTo(-1.5, 6);
  });

  it('Adam step 1 moves each parameter by lr·sign(g) when |g| ≫ eps', () => {
    const p = F.of(1, 1, 1);
    const state = new F(6);
    applyUpdate(adam(), 1e-3, 1, p, F.of(3, -0.5, 1e-2), state);
    for (const [i, s] of [1, -1, 1].entries()) expect(Math.abs(p[i] - (1 - 1e-3 * s))).toBeLessThanOrEqual(1e-3 * 1e-5 + tol);
    expect(state[0]).toBeCloseTo(0.3, 6); // m = (1 − β1)·g
    expect(state[3]).toBeCloseTo(0.001 * 9, 6); // v = (1 − β2)·g²
  });

  it('AdamW decays θ by (1 − lr·wd) before the Adam step; zero gradient leaves only the decay', () => {
    const p = F.of(2);
    applyUpdate(adam(0.1, true), 0.01, 1, p, F.of(0), new F(2));
    expect(Math.abs(p[0] - 2 * (1 - 0.01 * 0.1))).toBeLessThanOrEqual(tol * 2);
  });

  it('zero gradients with no weight decay leave the parameters unchanged', () => {
    for (const opt of [sgd(), sgd(0.9), adam()]) {
      const p = F.of(0.3, -0.7);
      applyUpdate(opt, 0.1, 1, p, new F(2), new F(4));
      expect(Array.from(p)).toEqual(Array.from(F.of(0.3, -0.7)));
    }
  });
});
