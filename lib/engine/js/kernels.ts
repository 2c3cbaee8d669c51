/** Elementwise and row kernels of the pure-TS engine: activations, softmax-CE, reductions. */
import type { Activation } from '../engine.js';
import type { FloatArray } from './gemm.js';

/** Adds the bias to each of `rows` rows of z (width n) and applies the activation in place. */
export function biasActivate(z: FloatArray, rows: number, n: number, bias: FloatArray, bOff: number, act: Activation): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) z[o + j] += bias[bOff + j];
  }
  if (act === 'relu') {
    const len = rows * n;
    for (let i = 0; i < len; i++) if (!(z[i] > 0) && z[i] === z[i]) z[i] = 0;
  } else if (act === 'softmax') {
    for (let r = 0; r < rows; r++) softmaxRow(z, r * n, n);
  }
}

/** Numerically stable softmax of one row in place (max subtracted; exp never overflows). */
export function softmaxRow(z: FloatArray, o: number, n: number): void {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (z[o + j] > max) max = z[o + j];
  if (max === -Infinity) max = 0;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(z[o + j] - max);
    z[o + j] = e;
    sum += e;
  }
  for (let j = 0; j < n; j++) z[o + j] /= sum;
}

/** dZ ⊙= (A > 0): the ReLU derivative, from the layer's post-activation output A. */
export function reluBackward(dz: FloatArray, a: FloatArray, len: number): void {
  for (let i = 0; i < len; i++) if (!(a[i] > 0)) dz[i] = 0;
}

/** db[j] (+)= Σ_rows dz[r, j], summed in row order. */
export function columnSums(dz: FloatArray, rows: number, n: number, out: FloatArray, oOff: number, accumulate: boolean, scratch: Float64Array): void {
  if (accumulate) for (let j = 0; j < n; j++) scratch[j] = out[oOff + j];
  else scratch.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) scratch[j] += dz[o + j];
  }
  for (let j = 0; j < n; j++) out[oOff + j] = scratch[j];
}

/** Index of the first largest value of a row (NaN never wins). */
export function argmaxRow(v: FloatArray, o: number, n: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < n; j++) {
    if (v[o + j] > bestValue) {
      bestValue = v[o + j];
      best = j;
    }
  }
  return best;
}

export interface LossResult {
  /** Σ over rows of the row loss (not yet divided). */
  sum: number;
  correct: number;
}

/**
 * Fused softmax + categorical cross-entropy on `rows` rows of logits z (width n), in place:
 * z becomes the probabilities p, dz receives (p·Σt − t) / divisor. Targets are either class
 * labels (`labels`, one per row) or target rows (`targets`, n per row). log p = z − lse(z).
 */
export function softmaxCrossEntropy(
  z: FloatArray, dz: FloatArray, rows: number, n: number,
  labels: Int32Array | null, targets: FloatArray | null, divisor: number,
): LossResult {
  let sum = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (z[o + j] > max) max = z[o + j];
    const shift = max === -Infinity ? 0 : max;
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(z[o + j] - shift);
    const lse = shift + Math.log(s);
    const predicted = argmaxRow(z, o, n);
    if (labels) {
      const label = labels[r];
      sum += lse - z[o + label];
      if (predicted === label) correct++;
      for (let j = 0; j < n; j++) {
        const p = Math.exp(z[o + j] - lse);
        z[o + j] = p;
        dz[o + j] = (j === label ? p - 1 : p) / divisor;
      }
    } else {
      const t = targets!;
      let tSum = 0;
      for (let j = 0; j < n; j++) {
        const tj = t[o + j];
        tSum += tj;
        if (tj !== 0) sum -= tj * (z[o + j] - lse);
      }
      if (predicted === argmaxRow(t, o, n)) correct++;
      for (let j = 0; j < n; j++) {
        const p = Math.exp(z[o + j] - lse);
        z[o + j] = p;
        dz[o + j] = (p * tSum - t[o + j]) / divisor;
      }
    }
  }
  return { sum, correct };
}
