/**
 * The 11 losses of engine.ts, one row at a time: the row's loss l (float64) and, when asked,
 * its gradient scaled by the row's share c = wᵣ/Σw of the weighted mean. Every value is
 * computed in float64 from the stored operands; gradients are rounded once at the store.
 *
 * Numerical choices (the native engine mirrors them up to float32 rounding):
 * - the sum over a row's k values runs in index order in float64; "mean" losses divide that
 *   sum by k once; gradients are c·(1/k)·∂ (c/k computed once per row);
 * - softmax cross-entropy (fused or fromLogits) is −Σ q·(z − lse) = Σ_{q≠0} q·((max − z) + ln Σe^(z−max)),
 *   terms with q = 0 skipped (so class labels and one-hot rows give identical results);
 * - the probability-space cross-entropy also skips q = 0 terms.
 */
import type { LossSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';
import { sigmoid, sigmoidSlope, tanhSlope } from './activations.js';

/**
 * The loss of the row at offset `o` (k values) of u (the last layer's z for the fused losses,
 * else the output o) against the target row t. When g is given, writes c·∂l/∂u there.
 */
export type RowLoss = (u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null) => number;

/** ln 2. */
const LN2 = Math.LN2;
const CE_EPS = 1e-7;
const POISSON_EPS = 1e-8;
const BCE_LOG_FLOOR = -100;

/**
 * The row loss for a spec. `fused`: the last layer is sigmoid (binaryCrossentropy) or softmax
 * (categoricalCrossentropy) and u is its pre-activation; those losses then use the logit forms,
 * as they do with fromLogits.
 */
export function rowLossFor(spec: LossSpec, fused: boolean): RowLoss {
  const logits = fused || spec.fromLogits;
  switch (spec.kind) {
    case 'meanSquaredError':
      return meanSquaredError;
    case 'meanAbsoluteError':
      return meanAbsoluteError;
    case 'huber':
      return huber(spec.delta);
    case 'logCosh':
      return logCosh;
    case 'poisson':
      return spec.fromLogits ? poissonLogits : poisson;
    case 'hinge':
      return hinge;
    case 'squaredHinge':
      return squaredHinge;
    case 'categoricalHinge':
      return categoricalHinge;
    case 'kullbackLeiblerDivergence':
      return kullbackLeibler;
    case 'binaryCrossentropy':
      return logits ? binaryCrossentropyLogits : binaryCrossentropy;
    case 'categoricalCrossentropy':
      return logits ? softmaxCrossentropy(spec.labelSmoothing) : categoricalCrossentropy(spec.labelSmoothing);
  }
}

function meanSquaredError(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const d = u[j] - t[j];
    sum += d * d;
    if (g) g[j] = ck * (2 * d);
  }
  return sum / k;
}

function meanAbsoluteError(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const d = u[j] - t[j];
    sum += Math.abs(d);
    if (g) g[j] = d > 0 ? ck : d < 0 ? -ck : d === 0 ? 0 : d;
  }
  return sum / k;
}

function huber(delta: number): RowLoss {
  const half = 0.5 * delta;
  return (u, t, o, k, c, g) => {
    let sum = 0;
    const ck = c / k;
    for (let j = o; j < o + k; j++) {
      const d = u[j] - t[j];
      const a = Math.abs(d);
      if (a <= delta) {
        sum += 0.5 * d * d;
        if (g) g[j] = ck * d;
      } else {
        sum += delta * (a - half);
        if (g) g[j] = ck * (d > 0 ? delta : d < 0 ? -delta : d);
      }
    }
    return sum / k;
  };
}

/** log cosh d = |d| + log1p(e^−2|d|) − ln 2 (no overflow); derivative tanh d. */
function logCosh(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const d = u[j] - t[j];
    const a = Math.abs(d);
    sum += a + Math.log1p(Math.exp(-2 * a)) - LN2;
    if (g) g[j] = ck * Math.tanh(d);
  }
  return sum / k;
}

function poisson(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const p = u[j] + POISSON_EPS;
    sum += u[j] - t[j] * Math.log(p);
    if (g) g[j] = ck * (1 - t[j] / p);
  }
  return sum / k;
}

/** Log-rate output: e^o − t·o (∞ when e^o overflows, never NaN from finite input). */
function poissonLogits(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const e = Math.exp(u[j]);
    sum += e - t[j] * u[j];
    if (g) g[j] = ck * (e - t[j]);
  }
  return sum / k;
}

/** Targets −1/0/1: s = t > 0 ? 1 : −1; max(0, 1 − s·o), derivative −s where positive (0 at the kink). */
function hinge(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const s = t[j] > 0 ? 1 : -1;
    const m = 1 - s * u[j];
    if (m > 0) sum += m;
    if (g) g[j] = m > 0 ? -s * ck : m === m ? 0 : m;
  }
  return sum / k;
}

function squaredHinge(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const s = t[j] > 0 ? 1 : -1;
    const m = 1 - s * u[j];
    if (m > 0) sum += m * m;
    if (g) g[j] = m > 0 ? ck * (-2 * s * m) : m === m ? 0 : m;
  }
  return sum / k;
}

/** max(0, maxⱼ (1 − tⱼ)oⱼ − Σ t·o + 1), ties to the first j; not divided by k. */
function categoricalHinge(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let pos = 0;
  let best = o;
  let neg = (1 - t[o]) * u[o];
  for (let j = o; j < o + k; j++) {
    pos += t[j] * u[j];
    const v = (1 - t[j]) * u[j];
    if (v > neg) {
      neg = v;
      best = j;
    }
  }
  const m = neg - pos + 1;
  const loss = m > 0 ? m : m === m ? 0 : m;
  if (g) {
    for (let j = o; j < o + k; j++) g[j] = m > 0 ? c * ((j === best ? 1 - t[j] : 0) - t[j]) : 0;
  }
  return loss;
}

/** Σ_{t>0} t·(ln t − ln max(o, 1e-7)); derivative −t/o where o > 1e-7, else 0. Not divided by k. */
function kullbackLeibler(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  for (let j = o; j < o + k; j++) {
    const tj = t[j];
    const p = u[j];
    if (tj > 0) sum += tj * (Math.log(tj) - Math.log(p > CE_EPS ? p : CE_EPS));
    if (g) g[j] = tj > 0 && p > CE_EPS ? c * (-tj / p) : 0;
  }
  return sum;
}

/** max(z, 0) − z·t + log1p(e^−|z|); dz = sigmoid(z) − t. */
function binaryCrossentropyLogits(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const z = u[j];
    sum += (z > 0 ? z : 0) - z * t[j] + Math.log1p(Math.exp(-Math.abs(z)));
    if (g) g[j] = ck * (sigmoid(z) - t[j]);
  }
  return sum / k;
}

/** −(t·max(ln o, −100) + (1 − t)·max(ln(1 − o), −100)); do = (o − t)/max(o(1 − o), 1e-12). */
function binaryCrossentropy(u: FloatArray, t: FloatArray, o: number, k: number, c: number, g: FloatArray | null): number {
  let sum = 0;
  const ck = c / k;
  for (let j = o; j < o + k; j++) {
    const p = u[j];
    const tj = t[j];
    const lp = Math.max(Math.log(p), BCE_LOG_FLOOR);
    const lq = Math.max(Math.log(1 - p), BCE_LOG_FLOOR);
    sum -= tj * lp + (1 - tj) * lq;
    if (g) g[j] = ck * ((p - tj) / Math.max(p * (1 - p), 1e-12));
  }
  return sum / k;
}

/**
 * Softmax cross-entropy on logits z with q = (1 − ε)t + ε/k: Σ_{q≠0} q·((max − z) + ln s),
 * s = Σ e^(z − max); dz = c·(p·Σq − q), p = e^(z − max)/s.
 */
function softmaxCrossentropy(eps: number): RowLoss {
  return (u, t, o, k, c, g) => {
    const end = o + k;
    let max = u[o];
    for (let j = o + 1; j < end; j++) if (u[j] > max) max = u[j];
    let s = 0;
    for (let j = o; j < end; j++) s += Math.exp(u[j] - max);
    const logs = Math.log(s);
    const spread = eps / k;
    let loss = 0;
    let qSum = 0;
    for (let j = o; j < end; j++) {
      const q = eps === 0 ? t[j] : (1 - eps) * t[j] + spread;
      qSum += q;
      if (q !== 0) loss += q * (max - u[j] + logs);
    }
    if (g) {
      for (let j = o; j < end; j++) {
        const q = eps === 0 ? t[j] : (1 - eps) * t[j] + spread;
        g[j] = c * ((Math.exp(u[j] - max) / s) * qSum - q);
      }
    }
    return loss;
  };
}

/** −Σ_{q≠0} q·ln max(o, 1e-7); derivative −q/o where o > 1e-7, else 0. */
function categoricalCrossentropy(eps: number): RowLoss {
  return (u, t, o, k, c, g) => {
    const spread = eps / k;
    let loss = 0;
    for (let j = o; j < o + k; j++) {
      const q = eps === 0 ? t[j] : (1 - eps) * t[j] + spread;
      const p = u[j];
      if (q !== 0) loss -= q * Math.log(p > CE_EPS ? p : CE_EPS);
      if (g) g[j] = p > CE_EPS ? c * (-q / p) : 0;
    }
    return loss;
  };
}

/**
 * Rows the model got right (TrainRequest.correctOut): with k > 1, the first argmax of the
 * output equals the first argmax of the target row; with k = 1, (o > θ) = (t > 0.5).
 */
export function countCorrect(out: FloatArray, t: FloatArray, rows: number, k: number, theta: number): number {
  let correct = 0;
  if (k === 1) {
    for (let r = 0; r < rows; r++) if (out[r] > theta === t[r] > 0.5) correct++;
    return correct;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    if (argmaxRow(out, o, k) === argmaxRow(t, o, k)) correct++;
  }
  return correct;
}

/** Index of the first largest value of a row (v[j] > v[best] from j = 1; a NaN at 0 wins). */
export function argmaxRow(v: FloatArray, o: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[o + j] > v[o + best]) best = j;
  return best;
}

/** θ of the k = 1 accuracy rule: 0 for hinge, squaredHinge and fromLogits losses, else 0.5. */
export function correctThreshold(spec: LossSpec): number {
  return spec.kind === 'hinge' || spec.kind === 'squaredHinge' || spec.fromLogits ? 0 : 0.5;
}

/**
 * The R-operator of a row loss's gradient: out = c·H·Ru, H = ∂²l/∂u² of the row at offset `o`
 * (k values), for Hessian-vector products. Piecewise-linear losses (meanAbsoluteError, hinge,
 * categoricalHinge) have H = 0; the clipped forms use the branch their gradient takes.
 */
export type RowCurvature = (u: FloatArray, t: FloatArray, o: number, k: number, c: number, ru: FloatArray, out: FloatArray) => void;

export function rowCurvatureFor(spec: LossSpec, fused: boolean): RowCurvature {
  const logits = fused || spec.fromLogits;
  const diagonal = (h: (u: number, t: number) => number, perK: boolean): RowCurvature => (u, t, o, k, c, ru, out) => {
    const ck = perK ? c / k : c;
    for (let j = o; j < o + k; j++) {
      const hj = h(u[j], t[j]);
      out[j] = hj === 0 ? 0 : ck * hj * ru[j];
    }
  };
  switch (spec.kind) {
    case 'meanSquaredError':
      return diagonal(() => 2, true);
    case 'meanAbsoluteError':
    case 'hinge':
    case 'categoricalHinge':
      return diagonal(() => 0, true);
    case 'huber': {
      const delta = spec.delta;
      return diagonal((u, t) => (Math.abs(u - t) <= delta ? 1 : 0), true);
    }
    case 'logCosh':
      return diagonal((u, t) => tanhSlope(u - t), true);
    case 'poisson':
      return spec.fromLogits ? diagonal((u) => Math.exp(u), true) : diagonal((u, t) => t / ((u + POISSON_EPS) * (u + POISSON_EPS)), true);
    case 'squaredHinge':
      return diagonal((u, t) => (1 - (t > 0 ? 1 : -1) * u > 0 ? 2 : 0), true);
    case 'kullbackLeiblerDivergence':
      return diagonal((u, t) => (t > 0 && u > CE_EPS ? t / (u * u) : 0), false);
    case 'binaryCrossentropy':
      if (logits) return diagonal((z) => sigmoidSlope(z), true);
      // d/do (o − t)/max(o(1 − o), 1e-12).
      return diagonal((p, t) => {
        const q = p * (1 - p);
        return q > 1e-12 ? (q - (p - t) * (1 - 2 * p)) / (q * q) : 1e12;
      }, true);
    case 'categoricalCrossentropy': {
      const eps = spec.labelSmoothing;
      if (!logits) {
        return (u, t, o, k, c, ru, out) => {
          for (let j = o; j < o + k; j++) {
            const q = eps === 0 ? t[j] : (1 - eps) * t[j] + eps / k;
            out[j] = u[j] > CE_EPS && q !== 0 ? c * (q / (u[j] * u[j])) * ru[j] : 0;
          }
        };
      }
      // dz = c(p·Σq − q): R{dz} = c·Σq·Rp, Rp = p ⊙ (Rz − Σ p·Rz).
      return (u, t, o, k, c, ru, out) => {
        const end = o + k;
        let max = u[o];
        for (let j = o + 1; j < end; j++) if (u[j] > max) max = u[j];
        let s = 0;
        for (let j = o; j < end; j++) s += Math.exp(u[j] - max);
        let qSum = 0;
        let dot = 0;
        for (let j = o; j < end; j++) {
          qSum += eps === 0 ? t[j] : (1 - eps) * t[j] + eps / k;
          dot += (Math.exp(u[j] - max) / s) * ru[j];
        }
        for (let j = o; j < end; j++) out[j] = c * qSum * ((Math.exp(u[j] - max) / s) * (ru[j] - dot));
      };
    }
  }
}
