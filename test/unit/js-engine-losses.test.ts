// The pure-TS engine's row losses: gradients against float64 central differences for all 11
// losses (and their logit/fused forms), closed-form values, and finite results at extreme inputs.
import { describe, expect, it } from 'vitest';
import type { LossName, LossSpec } from '../../lib/engine/engine.js';
import { argmaxRow, countCorrect, rowLossFor } from '../../lib/engine/js/losses.js';
import { lossSpec } from '../helpers/specs.js';

interface Case {
  name: string;
  spec: LossSpec;
  fused?: boolean;
  u: number[];
  t: number[];
}

const probs = [0.21, 0.64, 0.08, 0.93];
const logits = [0.7, -1.3, 2.4, -0.2];
const oneHot = [0, 1, 0, 0];
const soft = [0.1, 0.6, 0.05, 0.25];

const cases: Case[] = [
  { name: 'meanSquaredError', spec: lossSpec('meanSquaredError'), u: logits, t: [0.2, -1, 1.5, 0.4] },
  { name: 'meanAbsoluteError', spec: lossSpec('meanAbsoluteError'), u: logits, t: [0.2, -1, 1.5, 0.4] },
  { name: 'huber δ 0.5', spec: lossSpec('huber', { delta: 0.5 }), u: logits, t: [0.2, -1, 1.5, 0.4] },
  { name: 'logCosh', spec: lossSpec('logCosh'), u: logits, t: [0.2, -1, 1.5, 0.4] },
  { name: 'poisson', spec: lossSpec('poisson'), u: probs.map((p) => 3 * p), t: [0, 2, 1, 3] },
  { name: 'poisson fromLogits', spec: lossSpec('poisson', { fromLogits: true }), u: logits, t: [0, 2, 1, 3] },
  { name: 'hinge', spec: lossSpec('hinge'), u: [0.3, -0.6, 1.7, -2.2], t: [1, -1, -1, 0] },
  { name: 'squaredHinge', spec: lossSpec('squaredHinge'), u: [0.3, -0.6, 1.7, -2.2], t: [1, -1, -1, 0] },
  { name: 'categoricalHinge', spec: lossSpec('categoricalHinge'), u: logits, t: oneHot },
  { name: 'kullbackLeiblerDivergence', spec: lossSpec('kullbackLeiblerDivergence'), u: probs, t: [0.3, 0, 0.5, 0.2] },
  { name: 'binaryCrossentropy', spec: lossSpec('binaryCrossentropy'), u: probs, t: [0, 1, 0.3, 1] },
  { name: 'binaryCrossentropy fromLogits', spec: lossSpec('binaryCrossentropy', { fromLogits: true }), u: logits, t: [0, 1, 0.3, 1] },
  { name: 'binaryCrossentropy fused', spec: lossSpec('binaryCrossentropy'), fused: true, u: logits, t: [0, 1, 0.3, 1] },
  { name: 'categoricalCrossentropy', spec: lossSpec('categoricalCrossentropy'), u: [0.1, 0.6, 0.05, 0.25], t: soft },
  { name: 'categoricalCrossentropy ε 0.1', spec: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), u: [0.1, 0.6, 0.05, 0.25], t: oneHot },
  { name: 'categoricalCrossentropy fused', spec: lossSpec('categoricalCrossentropy'), fused: true, u: logits, t: soft },
  { name: 'categoricalCrossentropy fused ε 0.2', spec: lossSpec('categoricalCrossentropy', { labelSmoothing: 0.2 }), fused: true, u: logits, t: oneHot },
  { name: 'categoricalCrossentropy fromLogits', spec: lossSpec('categoricalCrossentropy', { fromLogits: true }), u: logits, t: oneHot },
];

function evalRow(c: Case, u: number[], scale = 1, withGrad = true): { loss: number; grad: number[] } {
  const f = rowLossFor(c.spec, c.fused ?? false);
  const g = new Float64Array(u.length);
  const loss = f(Float64Array.from(u), Float64Array.from(c.t), 0, u.length, scale, withGrad ? g : null);
  return { loss, grad: Array.from(g) };
}

describe('loss gradients match float64 central differences (eps 1e-6), scaled by c = w/Σw', () => {
  it('every loss has a case', () => {
    const names = new Set(cases.map((c) => c.spec.kind));
    const all: LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'huber', 'binaryCrossentropy', 'categoricalCrossentropy', 'hinge', 'squaredHinge', 'categoricalHinge', 'kullbackLeiblerDivergence', 'logCosh', 'poisson'];
    expect([...names].sort()).toEqual(all.sort());
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const eps = 1e-6;
    const scale = 0.37;
    const { grad } = evalRow(c, c.u, scale);
    c.u.forEach((_, j) => {
      const up = c.u.slice();
      up[j] += eps;
      const down = c.u.slice();
      down[j] -= eps;
      const numeric = (scale * (evalRow(c, up, 1, false).loss - evalRow(c, down, 1, false).loss)) / (2 * eps);
      expect(Math.abs(grad[j] - numeric), `∂/∂u${j}`).toBeLessThanOrEqual(1e-8 + 1e-6 * Math.abs(numeric));
    });
  });
});

describe('loss values', () => {
  const row = (spec: LossSpec, u: number[], t: number[], fused = false) => evalRow({ name: '', spec, fused, u, t }, u).loss;
  it('meanSquaredError and meanAbsoluteError are means over k', () => {
    expect(row(lossSpec('meanSquaredError'), [1, 2], [0, 0])).toBe(2.5);
    expect(row(lossSpec('meanAbsoluteError'), [1, -3], [0, 0])).toBe(2);
  });
  it('huber: ½d² inside δ, δ(|d| − ½δ) outside', () => {
    expect(row(lossSpec('huber', { delta: 1 }), [0.5, 3], [0, 0])).toBeCloseTo((0.125 + 2.5) / 2, 15);
  });
  it('fused softmax cross-entropy equals −ln softmax(z)[c], and label smoothing mixes in ε/k', () => {
    const z = [1, 2, 3];
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(row(lossSpec('categoricalCrossentropy'), z, [0, 1, 0], true)).toBeCloseTo(lse - 2, 14);
    const eps = 0.3;
    const q = [eps / 3, 1 - eps + eps / 3, eps / 3];
    expect(row(lossSpec('categoricalCrossentropy', { labelSmoothing: eps }), z, [0, 1, 0], true)).toBeCloseTo(q.reduce((s, qj, j) => s + qj * (lse - z[j]), 0), 14);
  });
  it('binary cross-entropy on probabilities floors the logs at −100', () => {
    expect(row(lossSpec('binaryCrossentropy'), [0, 1], [1, 0])).toBe(100);
  });
  it('categoricalHinge: max(0, max (1 − t)o − Σ t·o + 1)', () => {
    expect(row(lossSpec('categoricalHinge'), [0.2, 0.5, 0.9], [0, 1, 0])).toBeCloseTo(0.9 - 0.5 + 1, 15);
    expect(row(lossSpec('categoricalHinge'), [0.2, 3, 0.9], [0, 1, 0])).toBe(0);
  });
  it('kullbackLeiblerDivergence skips t = 0 and clips o at 1e-7', () => {
    expect(row(lossSpec('kullbackLeiblerDivergence'), [0, 0.5], [0, 1])).toBeCloseTo(Math.log(2), 15);
    expect(row(lossSpec('kullbackLeiblerDivergence'), [0, 1], [1, 0])).toBeCloseTo(-Math.log(1e-7), 12);
  });
});

describe('extreme inputs stay finite (the logit forms are log-sum-exp stable)', () => {
  const extremes = [1e4, -1e4, 3e38, -3e38];
  it('fused softmax cross-entropy with logits ×1e4 matches a float64 LSE reference', () => {
    const z = [0.3, -1.2, 2.2, 0.05].map((v) => v * 1e4);
    const c: Case = { name: '', spec: lossSpec('categoricalCrossentropy'), fused: true, u: z, t: [1, 0, 0, 0] };
    const { loss, grad } = evalRow(c, z);
    expect(loss).toBeCloseTo(2.2e4 - 0.3e4, 6);
    expect(grad.every(Number.isFinite)).toBe(true);
    expect(grad[0]).toBe(-1);
    expect(grad[2]).toBe(1);
  });
  for (const F of [Float64Array, Float32Array]) {
    it(`±1e4 and ±3e38 logits in ${F.name}: fused/fromLogits BCE and CE, logCosh, huber, hinge give finite loss and gradient`, () => {
      const specs: [LossSpec, boolean][] = [
        [lossSpec('binaryCrossentropy'), true], [lossSpec('binaryCrossentropy', { fromLogits: true }), false],
        [lossSpec('categoricalCrossentropy', { labelSmoothing: 0.1 }), true], [lossSpec('categoricalCrossentropy', { fromLogits: true }), false],
        [lossSpec('logCosh'), false], [lossSpec('huber'), false], [lossSpec('hinge'), false], [lossSpec('squaredHinge'), false],
        [lossSpec('meanAbsoluteError'), false], [lossSpec('categoricalHinge'), false],
      ];
      for (const [spec, fused] of specs) {
        const f = rowLossFor(spec, fused);
        const t = F.of(1, 0, 0, 1);
        const g = new F(4);
        const inputs = spec.kind === 'logCosh' || spec.kind === 'huber' || spec.kind === 'hinge' || spec.kind === 'squaredHinge' || spec.kind === 'meanAbsoluteError' || spec.kind === 'categoricalHinge' ? [1e4, -1e4] : extremes;
        for (const v of inputs) {
          const u = F.of(v, -v, v, 0);
          const loss = f(u, t, 0, 4, 0.5, g);
          expect(Number.isFinite(loss), `${spec.kind} fused=${fused} at ${v}: loss ${loss}`).toBe(true);
          expect(Array.from(g).every(Number.isFinite), `${spec.kind} at ${v}: grad ${Array.from(g)}`).toBe(true);
        }
      }
    });
  }
  it('probability-space cross-entropies at o ∈ {0, 1} stay finite (clipped logs)', () => {
    for (const spec of [lossSpec('binaryCrossentropy'), lossSpec('categoricalCrossentropy'), lossSpec('kullbackLeiblerDivergence')]) {
      const g = new Float64Array(2);
      const loss = rowLossFor(spec, false)(Float64Array.of(0, 1), Float64Array.of(1, 0), 0, 2, 1, g);
      expect(Number.isFinite(loss)).toBe(true);
      expect(Array.from(g).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('correct rows', () => {
  it('k > 1: first argmax of output equals first argmax of the target row', () => {
    expect(argmaxRow(Float64Array.of(1, 3, 3), 0, 3)).toBe(1);
    expect(countCorrect(Float64Array.of(0.1, 0.9, 0.8, 0.2), Float64Array.of(0, 1, 0, 1), 2, 2, 0.5)).toBe(1);
  });
  it('k = 1: (o > θ) = (t > 0.5)', () => {
    expect(countCorrect(Float64Array.of(0.6, 0.4, -0.1), Float64Array.of(1, 0, 0), 3, 1, 0.5)).toBe(3);
    expect(countCorrect(Float64Array.of(0.6, 0.4, -0.1), Float64Array.of(1, 1, 0), 3, 1, 0)).toBe(3);
  });
});
