/**
 * Vector operations of the second-order methods over whole parameter arenas. Dot products and
 * norms accumulate in float64 in index order (the same result whatever runs them). The native
 * engine provides SIMD versions of the same operations; this is the pure-TS set.
 */
import type { VectorOps } from '../engine/engine.js';

export type Vector = Float32Array | Float64Array;

/** dot, axpy, scale, addScaled, maxAbs, sumAbs over whole vectors (lib/engine/engine.ts VectorOps). */
export type Vectors = VectorOps;

export const jsVectors: Vectors = {
  dot(a, b) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  },
  axpy(alpha, x, y) {
    for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
  },
  scale(alpha, x) {
    for (let i = 0; i < x.length; i++) x[i] *= alpha;
  },
  addScaled(x, t, d, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] + t * d[i];
  },
  maxAbs(x) {
    let m = 0;
    for (let i = 0; i < x.length; i++) {
      const v = Math.abs(x[i]);
      if (v > m || v !== v) m = v;
    }
    return m;
  },
  sumAbs(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
    return s;
  },
  copy(x, out) {
    out.set(x);
  },
  matmul(transA, transB, m, n, k, a, b, c) {
    const row = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        if (av === 0) continue;
        if (transB) for (let j = 0; j < n; j++) row[j] += av * b[j * k + p];
        else {
          const o = p * n;
          for (let j = 0; j < n; j++) row[j] += av * b[o + j];
        }
      }
      for (let j = 0; j < n; j++) c[i * n + j] = row[j];
    }
  },
  spdInverse(s, n, damping, out) {
    // Cholesky S + λI = LLᵀ, then the inverse column by column from two triangular solves.
    const l = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = s[i * n + j] + (i === j ? damping : 0);
        for (let p = 0; p < j; p++) sum -= l[i * n + p] * l[j * n + p];
        if (i === j) {
          if (!(sum > 0)) return false;
          l[i * n + i] = Math.sqrt(sum);
        } else l[i * n + j] = sum / l[j * n + j];
      }
    }
    const col = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        let sum = i === c ? 1 : 0;
        for (let p = 0; p < i; p++) sum -= l[i * n + p] * col[p];
        col[i] = sum / l[i * n + i];
      }
      for (let i = n - 1; i >= 0; i--) {
        let sum = col[i];
        for (let p = i + 1; p < n; p++) sum -= l[p * n + i] * col[p];
        col[i] = sum / l[i * n + i];
      }
      for (let i = 0; i < n; i++) out[i * n + c] = col[i];
    }
    return true;
  },
};

/** A new zeroed vector of the same element type and length. */
export function like(v: Vector, length = v.length): Vector {
  return v instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}
