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
};

/** A new zeroed vector of the same element type and length. */
export function like(v: Vector, length = v.length): Vector {
  return v instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}
