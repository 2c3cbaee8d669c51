/**
 * Batch and layer normalization kernels, forward and backward, over row-major rows × n values.
 * Statistics are float64: μ = Σx/m, then σ² = Σ(x − μ)²/m (two passes, biased), each sum in
 * row order (batchNorm, per column) or index order (layerNorm, per row); invStd = 1/√(σ² + eps).
 * x̂ is stored in the engine's float type (rounded once) and the backward pass reads it back.
 */
import type { FloatArray } from './gemm.js';

/** Parameter offsets of a normalization layer in the arena (running statistics: batchNorm only). */
export interface NormParams {
  gamma: number;
  beta: number;
}

/**
 * Batch statistics of each column over `rows` rows: mean[j], biased var[j] (float64), then
 * x̂ = (x − μ)·invStd and out = γ·x̂ + β. invStd[j] is kept for the backward pass.
 */
export function batchNormTrainForward(
  x: FloatArray, out: FloatArray, xhat: FloatArray, rows: number, n: number,
  params: FloatArray, p: NormParams, eps: number,
  mean: Float64Array, variance: Float64Array, invStd: Float64Array,
): void {
  mean.fill(0, 0, n);
  variance.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < n; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const d = x[o + j] - mean[j];
      variance[j] += d * d;
    }
  }
  for (let j = 0; j < n; j++) {
    variance[j] /= rows;
    invStd[j] = 1 / Math.sqrt(variance[j] + eps);
  }
  normalizeColumns(x, out, xhat, rows, n, params, p, mean, invStd);
}

/** Inference: x̂ = (x − runningMean)/√(runningVar + eps); invStd[j] kept for the backward pass. */
export function batchNormInferForward(
  x: FloatArray, out: FloatArray, xhat: FloatArray, rows: number, n: number,
  params: FloatArray, p: NormParams, runningMean: number, runningVar: number, eps: number,
  mean: Float64Array, invStd: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    mean[j] = params[runningMean + j];
    invStd[j] = 1 / Math.sqrt(params[runningVar + j] + eps);
  }
  normalizeColumns(x, out, xhat, rows, n, params, p, mean, invStd);
}

function normalizeColumns(
  x: FloatArray, out: FloatArray, xhat: FloatArray, rows: number, n: number,
  params: FloatArray, p: NormParams, mean: Float64Array, invStd: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const h = (x[o + j] - mean[j]) * invStd[j];
      xhat[o + j] = h;
      out[o + j] = params[p.gamma + j] * h + params[p.beta + j];
    }
  }
}

/**
 * running = (1 − m)·running + m·batch, with the unbiased variance σ²·n/(n − 1) (n ≥ 2 rows),
 * in float64, rounded once at the store.
 */
export function updateRunningStats(
  params: FloatArray, runningMean: number, runningVar: number, n: number, rows: number, momentum: number,
  mean: Float64Array, variance: Float64Array,
): void {
  const keep = 1 - momentum;
  const unbias = rows / (rows - 1);
  for (let j = 0; j < n; j++) {
    params[runningMean + j] = keep * params[runningMean + j] + momentum * mean[j];
    params[runningVar + j] = keep * params[runningVar + j] + momentum * (variance[j] * unbias);
  }
}

/**
 * Backward of batchNorm over `rows` rows. dβ = Σ g, dγ = Σ g·x̂ per column (row order, float64),
 * into `sums` (2n: dγ then dβ). Training (batch statistics):
 * dx = γ·invStd·(g − dβ/m − x̂·dγ/m); inference (running statistics): dx = γ·invStd·g.
 * dx is skipped when null; dx may be g.
 */
export function batchNormBackward(
  g: FloatArray, xhat: FloatArray, dx: FloatArray | null, rows: number, n: number,
  params: FloatArray, p: NormParams, invStd: Float64Array, training: boolean, sums: Float64Array,
): void {
  sums.fill(0, 0, 2 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      sums[j] += g[o + j] * xhat[o + j];
      sums[n + j] += g[o + j];
    }
  }
  if (!dx) return;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const scale = params[p.gamma + j] * invStd[j];
      dx[o + j] = training ? scale * (g[o + j] - sums[n + j] / rows - xhat[o + j] * (sums[j] / rows)) : scale * g[o + j];
    }
  }
}

/** Per row: μ, biased σ², invStd[r]; x̂ = (x − μ)·invStd; out = γ·x̂ + β. */
export function layerNormForward(
  x: FloatArray, out: FloatArray, xhat: FloatArray, rows: number, n: number,
  params: FloatArray, p: NormParams, eps: number, invStd: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += x[o + j];
    const mean = sum / n;
    let sq = 0;
    for (let j = 0; j < n; j++) {
      const d = x[o + j] - mean;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / n + eps);
    invStd[r] = inv;
    for (let j = 0; j < n; j++) {
      const h = (x[o + j] - mean) * inv;
      xhat[o + j] = h;
      out[o + j] = params[p.gamma + j] * h + params[p.beta + j];
    }
  }
}

/**
 * Backward of layerNorm: with ĝ = g·γ per row, dx = invStd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (the
 * means as index-order sums / n); dγ = Σ g·x̂, dβ = Σ g per column in row order (float64), into
 * `sums` (2n: dγ then dβ). dx is skipped when null; dx may be g.
 */
export function layerNormBackward(
  g: FloatArray, xhat: FloatArray, dx: FloatArray | null, rows: number, n: number,
  params: FloatArray, p: NormParams, invStd: Float64Array, sums: Float64Array,
): void {
  sums.fill(0, 0, 2 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < n; j++) {
      const gj = g[o + j];
      const h = xhat[o + j];
      sums[j] += gj * h;
      sums[n + j] += gj;
      const gh = gj * params[p.gamma + j];
      m1 += gh;
      m2 += gh * h;
    }
    if (!dx) continue;
    m1 /= n;
    m2 /= n;
    const inv = invStd[r];
    for (let j = 0; j < n; j++) dx[o + j] = inv * (g[o + j] * params[p.gamma + j] - m1 - xhat[o + j] * m2);
  }
}

/**
 * R-operator forward of batchNorm (Hessian-vector products). With the direction's Vγ, Vβ (`v`,
 * null for a frozen layer): training, per column, Rx̂ = s·(Rx − mean Rx − x̂·mean(x̂·Rx)) and
 * Rs = −s²·mean(x̂·Rx); inference, Rx̂ = s·Rx, Rs = 0. Rout = γ·Rx̂ + Vγ·x̂ + Vβ. Column means in
 * float64, row order.
 */
export function batchNormRForward(
  xhat: FloatArray, rx: FloatArray, rxhat: FloatArray, rout: FloatArray, rows: number, n: number,
  params: FloatArray, v: FloatArray | null, p: NormParams, invStd: Float64Array, training: boolean,
  rs: Float64Array, sums: Float64Array,
): void {
  sums.fill(0, 0, 2 * n);
  if (training) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let j = 0; j < n; j++) {
        sums[j] += rx[o + j];
        sums[n + j] += xhat[o + j] * rx[o + j];
      }
    }
  }
  for (let j = 0; j < n; j++) rs[j] = -invStd[j] * invStd[j] * (sums[n + j] / rows);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const h = invStd[j] * (rx[o + j] - sums[j] / rows - xhat[o + j] * (sums[n + j] / rows));
      rxhat[o + j] = h;
      rout[o + j] = params[p.gamma + j] * h + (v ? v[p.gamma + j] * xhat[o + j] + v[p.beta + j] : 0);
    }
  }
}

/**
 * R-operator backward of batchNorm: with g = ∂L/∂out and Rg, per column (training; the centering
 * terms vanish in inference): h = g − mean g − x̂·mean(g·x̂), Rh = Rg − mean Rg − Rx̂·mean(g·x̂)
 * − x̂·mean(Rg·x̂ + g·Rx̂); dx = γs·h, Rdx = (Vγ·s + γ·Rs)·h + γs·Rh. Leaves R{dγ} = Σ(Rg·x̂ + g·Rx̂)
 * and R{dβ} = Σ Rg in `sums` (2n of its 4n values: R{dγ} then R{dβ}).
 */
export function batchNormRBackward(
  g: FloatArray, rg: FloatArray, xhat: FloatArray, rxhat: FloatArray, dx: FloatArray | null, rdx: FloatArray | null,
  rows: number, n: number, params: FloatArray, v: FloatArray | null, p: NormParams, invStd: Float64Array, rs: Float64Array,
  training: boolean, sums: Float64Array,
): void {
  // sums: [R{dγ} | R{dβ} | Σg | Σg·x̂]
  sums.fill(0, 0, 4 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      sums[j] += rg[o + j] * xhat[o + j] + g[o + j] * rxhat[o + j];
      sums[n + j] += rg[o + j];
      sums[2 * n + j] += g[o + j];
      sums[3 * n + j] += g[o + j] * xhat[o + j];
    }
  }
  if (!dx || !rdx) return;
  const c = training ? 1 / rows : 0;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const gamma = params[p.gamma + j];
      const s = invStd[j];
      const mgx = sums[3 * n + j] * c;
      const h = g[o + j] - sums[2 * n + j] * c - xhat[o + j] * mgx;
      const rh = rg[o + j] - sums[n + j] * c - rxhat[o + j] * mgx - xhat[o + j] * (sums[j] * c);
      dx[o + j] = gamma * s * h;
      rdx[o + j] = ((v ? v[p.gamma + j] : 0) * s + gamma * rs[j]) * h + gamma * s * rh;
    }
  }
}

/**
 * R-operator forward of layerNorm, per row: Rx̂ = s·(Rx − mean Rx − x̂·mean(x̂·Rx)),
 * Rs = −s²·mean(x̂·Rx), Rout = γ·Rx̂ + Vγ·x̂ + Vβ (v null for a frozen layer).
 */
export function layerNormRForward(
  xhat: FloatArray, rx: FloatArray, rxhat: FloatArray, rout: FloatArray, rows: number, n: number,
  params: FloatArray, v: FloatArray | null, p: NormParams, invStd: Float64Array, rs: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < n; j++) {
      m1 += rx[o + j];
      m2 += xhat[o + j] * rx[o + j];
    }
    m1 /= n;
    m2 /= n;
    const s = invStd[r];
    rs[r] = -s * s * m2;
    for (let j = 0; j < n; j++) {
      const h = s * (rx[o + j] - m1 - xhat[o + j] * m2);
      rxhat[o + j] = h;
      rout[o + j] = params[p.gamma + j] * h + (v ? v[p.gamma + j] * xhat[o + j] + v[p.beta + j] : 0);
    }
  }
}

/**
 * R-operator backward of layerNorm, per row with ĝ = g·γ, Rĝ = Rg·γ + g·Vγ: h = ĝ − mean ĝ − x̂·mean(ĝ·x̂),
 * Rh = Rĝ − mean Rĝ − Rx̂·mean(ĝ·x̂) − x̂·mean(Rĝ·x̂ + ĝ·Rx̂); dx = s·h, Rdx = Rs·h + s·Rh. Leaves
 * R{dγ} = Σ(Rg·x̂ + g·Rx̂) and R{dβ} = Σ Rg per column in `sums` (2n).
 */
export function layerNormRBackward(
  g: FloatArray, rg: FloatArray, xhat: FloatArray, rxhat: FloatArray, dx: FloatArray | null, rdx: FloatArray | null,
  rows: number, n: number, params: FloatArray, v: FloatArray | null, p: NormParams, invStd: Float64Array, rs: Float64Array,
  sums: Float64Array,
): void {
  sums.fill(0, 0, 2 * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let a1 = 0;
    let a2 = 0;
    let b1 = 0;
    let b2 = 0;
    for (let j = 0; j < n; j++) {
      const gamma = params[p.gamma + j];
      const gh = g[o + j] * gamma;
      const rgh = rg[o + j] * gamma + (v ? g[o + j] * v[p.gamma + j] : 0);
      sums[j] += rg[o + j] * xhat[o + j] + g[o + j] * rxhat[o + j];
      sums[n + j] += rg[o + j];
      a1 += gh;
      a2 += gh * xhat[o + j];
      b1 += rgh;
      b2 += rgh * xhat[o + j] + gh * rxhat[o + j];
    }
    if (!dx || !rdx) continue;
    a1 /= n;
    a2 /= n;
    b1 /= n;
    b2 /= n;
    const s = invStd[r];
    for (let j = 0; j < n; j++) {
      const gamma = params[p.gamma + j];
      const gh = g[o + j] * gamma;
      const rgh = rg[o + j] * gamma + (v ? g[o + j] * v[p.gamma + j] : 0);
      const h = gh - a1 - xhat[o + j] * a2;
      const rh = rgh - b1 - rxhat[o + j] * a2 - xhat[o + j] * b2;
      dx[o + j] = s * h;
      rdx[o + j] = rs[r] * h + s * rh;
    }
  }
}
