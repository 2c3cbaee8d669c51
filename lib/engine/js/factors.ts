/**
 * K-FAC's Kronecker factors of a dense layer (engine.ts, LossAndGradOptions.factors), summed in
 * float64 over the rows of every chunk, then stored: A = (1/n)·Σᵣ āᵣāᵣᵀ, ā = [input; 1] (the 1
 * only with a bias), and G = (1/n)·Σᵣ (n·δᵣ)(n·δᵣ)ᵀ = n·Σᵣ δᵣδᵣᵀ, δᵣ = ∂loss/∂zᵣ (the gradient the
 * backward pass leaves in the layer's dz). Rows are added in order; only the upper triangle is
 * summed and the lower one mirrored from it, so both factors are exactly symmetric.
 */
import type { FloatArray } from './gemm.js';

/**
 * acc[i·d + j] += scale·Σᵣ vᵣᵢ·vᵣⱼ for i ≤ j over `rows` rows of width `width` (v row-major);
 * with `withOne`, d = width + 1 and v gains a trailing 1.
 */
export function accumulateOuter(v: FloatArray, rows: number, width: number, withOne: boolean, scale: number, acc: Float64Array): void {
  const d = withOne ? width + 1 : width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let i = 0; i < width; i++) {
      const vi = scale * v[o + i];
      if (vi === 0) continue;
      const row = i * d;
      for (let j = i; j < width; j++) acc[row + j] += vi * v[o + j];
      if (withOne) acc[row + width] += vi;
    }
    if (withOne) acc[width * d + width] += scale;
  }
}

/** out = acc with the lower triangle mirrored from the upper one (d × d, row-major). */
export function storeSymmetric(acc: Float64Array, d: number, out: Float32Array): void {
  for (let i = 0; i < d; i++) {
    out[i * d + i] = acc[i * d + i];
    for (let j = i + 1; j < d; j++) {
      const v = acc[i * d + j];
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
}
