// The pure-TS engine's batchNorm/layerNorm kernels (statistics, backward against float64 central
// differences, zero-variance batches, running statistics) and dropout masks (rate, determinism,
// chunking, scale).
import { describe, expect, it } from 'vitest';
import { dropoutBits, dropoutKey, dropoutThreshold } from '../../lib/engine/engine.js';
import { dropoutBackward, dropoutForward } from '../../lib/engine/js/dropout.js';
import {
  batchNormBackward, batchNormInferForward, batchNormTrainForward, layerNormBackward, layerNormForward, updateRunningStats,
} from '../../lib/engine/js/norms.js';
import { randomInputs } from '../helpers/data.js';

const ROWS = 5;
const N = 3;
const EPS = 1e-3;
/** Arena: gamma [N], beta [N], runningMean [N], runningVar [N]. */
const P = { gamma: 0, beta: N };
const params = Float64Array.of(1.3, 0.7, -0.4, 0.2, -0.1, 0.5, 0.3, -0.2, 0.1, 1.5, 0.8, 2.1);
const x0 = Float64Array.from(randomInputs(ROWS, N, 7));
const g0 = Float64Array.from(randomInputs(ROWS, N, 8));

type Kind = 'batchTrain' | 'batchInfer' | 'layer';

/** Σ g·out of the layer at x with these params. */
function objective(kind: Kind, x: Float64Array, p: Float64Array): number {
  const out = new Float64Array(ROWS * N);
  const xhat = new Float64Array(ROWS * N);
  if (kind === 'batchTrain') batchNormTrainForward(x, out, xhat, ROWS, N, p, P, EPS, new Float64Array(N), new Float64Array(N), new Float64Array(N));
  else if (kind === 'batchInfer') batchNormInferForward(x, out, xhat, ROWS, N, p, P, 2 * N, 3 * N, EPS, new Float64Array(N), new Float64Array(N));
  else layerNormForward(x, out, xhat, ROWS, N, p, P, EPS, new Float64Array(ROWS));
  return out.reduce((s, v, i) => s + v * g0[i], 0);
}

function analytic(kind: Kind) {
  const out = new Float64Array(ROWS * N);
  const xhat = new Float64Array(ROWS * N);
  const dx = new Float64Array(ROWS * N);
  const sums = new Float64Array(2 * N);
  if (kind === 'layer') {
    const inv = new Float64Array(ROWS);
    layerNormForward(x0, out, xhat, ROWS, N, params, P, EPS, inv);
    layerNormBackward(g0, xhat, dx, ROWS, N, params, P, inv, sums);
  } else {
    const inv = new Float64Array(N);
    if (kind === 'batchTrain') batchNormTrainForward(x0, out, xhat, ROWS, N, params, P, EPS, new Float64Array(N), new Float64Array(N), inv);
    else batchNormInferForward(x0, out, xhat, ROWS, N, params, P, 2 * N, 3 * N, EPS, new Float64Array(N), inv);
    batchNormBackward(g0, xhat, dx, ROWS, N, params, P, inv, kind === 'batchTrain', sums);
  }
  return { dx, dGamma: sums.subarray(0, N), dBeta: sums.subarray(N, 2 * N) };
}

describe('normalization backward matches float64 central differences (eps 1e-6)', () => {
  const h = 1e-6;
  const close = (a: number, e: number) => Math.abs(a - e) <= 1e-8 + 1e-6 * Math.abs(e);
  it.each(['batchTrain', 'batchInfer', 'layer'] as const)('%s: dx, dγ, dβ', (kind) => {
    const { dx, dGamma, dBeta } = analytic(kind);
    for (let i = 0; i < ROWS * N; i++) {
      const up = x0.slice();
      up[i] += h;
      const down = x0.slice();
      down[i] -= h;
      const numeric = (objective(kind, up, params) - objective(kind, down, params)) / (2 * h);
      expect(close(dx[i], numeric), `dx[${i}] ${dx[i]} vs ${numeric}`).toBe(true);
    }
    for (let j = 0; j < 2 * N; j++) {
      const up = params.slice();
      up[j] += h;
      const down = params.slice();
      down[j] -= h;
      const numeric = (objective(kind, x0, up) - objective(kind, x0, down)) / (2 * h);
      const got = j < N ? dGamma[j] : dBeta[j - N];
      expect(close(got, numeric), `param ${j}: ${got} vs ${numeric}`).toBe(true);
    }
  });
});

describe('batchNorm statistics', () => {
  it('training output has per-column mean β and biased variance γ²·σ²/(σ² + eps)', () => {
    const out = new Float64Array(ROWS * N);
    const mean = new Float64Array(N);
    const variance = new Float64Array(N);
    batchNormTrainForward(x0, out, new Float64Array(ROWS * N), ROWS, N, params, P, EPS, mean, variance, new Float64Array(N));
    for (let j = 0; j < N; j++) {
      let m = 0;
      for (let r = 0; r < ROWS; r++) m += out[r * N + j] / ROWS;
      let v = 0;
      for (let r = 0; r < ROWS; r++) v += (out[r * N + j] - m) ** 2 / ROWS;
      expect(m).toBeCloseTo(params[N + j], 12);
      expect(v).toBeCloseTo((params[j] ** 2 * variance[j]) / (variance[j] + EPS), 12);
    }
  });
  it('a zero-variance batch is finite: out = β, gradients finite (float32 too)', () => {
    for (const F of [Float64Array, Float32Array]) {
      const x = new F(ROWS * N).fill(3.25);
      const out = new F(ROWS * N);
      const xhat = new F(ROWS * N);
      const inv = new Float64Array(N);
      const p = F.from(params);
      batchNormTrainForward(x, out, xhat, ROWS, N, p, P, 1e-5, new Float64Array(N), new Float64Array(N), inv);
      for (let i = 0; i < ROWS * N; i++) expect(out[i]).toBe(p[N + (i % N)]);
      const dx = new F(ROWS * N);
      const sums = new Float64Array(2 * N);
      batchNormBackward(F.from(g0), xhat, dx, ROWS, N, p, P, inv, true, sums);
      expect(Array.from(dx).every(Number.isFinite)).toBe(true);
      expect(Array.from(sums).every(Number.isFinite)).toBe(true);
      const lnOut = new F(ROWS * N);
      layerNormForward(x, lnOut, xhat, ROWS, N, p, P, 1e-5, new Float64Array(ROWS));
      expect(Array.from(lnOut).every(Number.isFinite)).toBe(true);
    }
  });
  it('running statistics: (1 − m)·running + m·batch with the unbiased variance', () => {
    const p = params.slice();
    const mean = Float64Array.of(1, 2, 3);
    const variance = Float64Array.of(0.5, 1, 2);
    updateRunningStats(p, 2 * N, 3 * N, N, 4, 0.1, mean, variance);
    for (let j = 0; j < N; j++) {
      expect(p[2 * N + j]).toBeCloseTo(0.9 * params[2 * N + j] + 0.1 * mean[j], 15);
      expect(p[3 * N + j]).toBeCloseTo(0.9 * params[3 * N + j] + 0.1 * variance[j] * (4 / 3), 15);
    }
  });
});

describe('dropout masks', () => {
  const rows = 200;
  const n = 500;
  const x = new Float32Array(rows * n).fill(2);
  it('drops a fraction ≈ rate (±0.01 over 10⁵ elements) and scales the rest by fround(1/(1 − rate))', () => {
    for (const rate of [0.1, 0.5, 0.8]) {
      const out = new Float32Array(rows * n);
      const mask = new Uint8Array(rows * n);
      dropoutForward(x, out, mask, rows, n, 0, 42, 3, 1, rate);
      const kept = Math.fround(2 * Math.fround(1 / (1 - rate)));
      let dropped = 0;
      let wrong = 0;
      for (let i = 0; i < out.length; i++) {
        if (mask[i] === 0) dropped++;
        if (out[i] !== (mask[i] === 0 ? 0 : kept)) wrong++;
      }
      expect(wrong).toBe(0);
      expect(Math.abs(dropped / out.length - rate)).toBeLessThanOrEqual(0.01);
    }
  });
  it('is the pure function of (seed, step, layer, element) that engine.ts defines', () => {
    const out = new Float32Array(rows * n);
    const mask = new Uint8Array(rows * n);
    dropoutForward(x, out, mask, rows, n, 0, 7, 11, 2, 0.3);
    const key = dropoutKey(7, 11, 2);
    const threshold = dropoutThreshold(0.3);
    let wrong = 0;
    for (let e = 0; e < rows * n; e++) if (mask[e] !== (dropoutBits(key, e) >= threshold ? 1 : 0)) wrong++;
    expect(wrong).toBe(0);
    const again = new Uint8Array(rows * n);
    dropoutForward(x, new Float32Array(rows * n), again, rows, n, 0, 7, 11, 2, 0.3);
    expect(again.every((m, i) => m === mask[i])).toBe(true);
    const otherStep = new Uint8Array(rows * n);
    dropoutForward(x, new Float32Array(rows * n), otherStep, rows, n, 0, 7, 12, 2, 0.3);
    expect(otherStep.some((m, i) => m !== mask[i])).toBe(true);
  });
  it('a batch split into chunks (rowBase) gets the masks of the whole batch', () => {
    const whole = new Uint8Array(rows * n);
    dropoutForward(x, new Float32Array(rows * n), whole, rows, n, 0, 5, 1, 0, 0.4);
    const part = new Uint8Array(50 * n);
    dropoutForward(x, new Float32Array(50 * n), part, 50, n, 120, 5, 1, 0, 0.4);
    expect(part.every((m, i) => m === whole[120 * n + i])).toBe(true);
  });
  it('backward passes the gradient through kept elements only, scaled', () => {
    const g = Float64Array.of(1, 2, 3, 4);
    const dx = new Float64Array(4);
    dropoutBackward(g, dx, Uint8Array.of(1, 0, 0, 1), 4, 0.5);
    expect(Array.from(dx)).toEqual([2, 0, 0, 8]);
  });
});
