/** Row and column helpers of the dense layer: bias add and the bias gradient. */
import type { FloatArray } from './gemm.js';

/** z[r, j] += bias[bOff + j] for each of `rows` rows of width n. */
export function addBias(z: FloatArray, rows: number, n: number, bias: FloatArray, bOff: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) z[o + j] += bias[bOff + j];
  }
}

/** out[oOff + j] (+)= Σ_rows dz[r, j], summed in row order in float64 (from out's value when accumulating). */
export function columnSums(dz: FloatArray, rows: number, n: number, out: FloatArray, oOff: number, accumulate: boolean, scratch: Float64Array): void {
  if (accumulate) for (let j = 0; j < n; j++) scratch[j] = out[oOff + j];
  else scratch.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) scratch[j] += dz[o + j];
  }
  for (let j = 0; j < n; j++) out[oOff + j] = scratch[j];
}

/** out[oOff + j] (+)= sums[j] for j < n (the float64 sums rounded once at the store). */
export function storeSums(sums: Float64Array, sOff: number, n: number, out: FloatArray, oOff: number, accumulate: boolean): void {
  if (accumulate) for (let j = 0; j < n; j++) out[oOff + j] += sums[sOff + j];
  else for (let j = 0; j < n; j++) out[oOff + j] = sums[sOff + j];
}
