/**
 * Pure-TS GEMM for the three products of a dense layer, row-major, over Float32Array or
 * Float64Array. Sums run in float64 in a scratch row and are stored once, so float32
 * storage rounds once per output element (like a fused native kernel).
 */

export type FloatArray = Float32Array | Float64Array;

/**
 * C[m×n] = A[m×k]·B[k×n] (+ C when `accumulate`). Four rows of A at a time share each
 * loaded row of B; zero entries of A (ReLU outputs) are skipped.
 * `scratch` holds at least 4·n float64s.
 */
export function gemmNN(
  m: number, n: number, k: number,
  a: FloatArray, aOff: number, lda: number,
  b: FloatArray, bOff: number, ldb: number,
  c: FloatArray, cOff: number, ldc: number,
  accumulate: boolean, scratch: Float64Array,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const s1 = n, s2 = 2 * n, s3 = 3 * n;
    if (accumulate) {
      for (let j = 0; j < n; j++) {
        scratch[j] = c[cOff + i * ldc + j];
        scratch[s1 + j] = c[cOff + (i + 1) * ldc + j];
        scratch[s2 + j] = c[cOff + (i + 2) * ldc + j];
        scratch[s3 + j] = c[cOff + (i + 3) * ldc + j];
      }
    } else scratch.fill(0, 0, 4 * n);
    const a0 = aOff + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (let p = 0; p < k; p++) {
      const v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
      if (v0 === 0 && v1 === 0 && v2 === 0 && v3 === 0) continue;
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        scratch[j] += v0 * bv;
        scratch[s1 + j] += v1 * bv;
        scratch[s2 + j] += v2 * bv;
        scratch[s3 + j] += v3 * bv;
      }
    }
    for (let j = 0; j < n; j++) {
      c[cOff + i * ldc + j] = scratch[j];
      c[cOff + (i + 1) * ldc + j] = scratch[s1 + j];
      c[cOff + (i + 2) * ldc + j] = scratch[s2 + j];
      c[cOff + (i + 3) * ldc + j] = scratch[s3 + j];
    }
  }
  for (; i < m; i++) {
    const ci = cOff + i * ldc;
    if (accumulate) for (let j = 0; j < n; j++) scratch[j] = c[ci + j];
    else scratch.fill(0, 0, n);
    const ai = aOff + i * lda;
    for (let p = 0; p < k; p++) {
      const v = a[ai + p];
      if (v === 0) continue;
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) scratch[j] += v * b[bp + j];
    }
    for (let j = 0; j < n; j++) c[ci + j] = scratch[j];
  }
}

/**
 * C[m×n] = Aᵀ·B (+ C) where A is stored k×m and B is k×n: the weight gradient Xᵀ·dZ,
 * a sum over the batch (k) in fixed order. Four rows of C at a time share each loaded row
 * of B (and read four adjacent values of A). `scratch` holds at least 4·n float64s.
 */
export function gemmTN(
  m: number, n: number, k: number,
  a: FloatArray, aOff: number, lda: number,
  b: FloatArray, bOff: number, ldb: number,
  c: FloatArray, cOff: number, ldc: number,
  accumulate: boolean, scratch: Float64Array,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const s1 = n, s2 = 2 * n, s3 = 3 * n;
    const c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    if (accumulate) {
      for (let j = 0; j < n; j++) {
        scratch[j] = c[c0 + j];
        scratch[s1 + j] = c[c1 + j];
        scratch[s2 + j] = c[c2 + j];
        scratch[s3 + j] = c[c3 + j];
      }
    } else scratch.fill(0, 0, 4 * n);
    for (let p = 0; p < k; p++) {
      const ap = aOff + p * lda + i;
      const v0 = a[ap], v1 = a[ap + 1], v2 = a[ap + 2], v3 = a[ap + 3];
      if (v0 === 0 && v1 === 0 && v2 === 0 && v3 === 0) continue;
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        scratch[j] += v0 * bv;
        scratch[s1 + j] += v1 * bv;
        scratch[s2 + j] += v2 * bv;
        scratch[s3 + j] += v3 * bv;
      }
    }
    for (let j = 0; j < n; j++) {
      c[c0 + j] = scratch[j];
      c[c1 + j] = scratch[s1 + j];
      c[c2 + j] = scratch[s2 + j];
      c[c3 + j] = scratch[s3 + j];
    }
  }
  for (; i < m; i++) {
    const ci = cOff + i * ldc;
    if (accumulate) for (let j = 0; j < n; j++) scratch[j] = c[ci + j];
    else scratch.fill(0, 0, n);
    for (let p = 0; p < k; p++) {
      const v = a[aOff + p * lda + i];
      if (v === 0) continue;
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) scratch[j] += v * b[bp + j];
    }
    for (let j = 0; j < n; j++) c[ci + j] = scratch[j];
  }
}

/**
 * C[m×n] = A·Bᵀ (+ C when `accumulate`) where A is m×k and B is stored n×k: the input gradient
 * dZ·Wᵀ. Contiguous dot products, four rows of A against each row of B.
 */
export function gemmNT(
  m: number, n: number, k: number,
  a: FloatArray, aOff: number, lda: number,
  b: FloatArray, bOff: number, ldb: number,
  c: FloatArray, cOff: number, ldc: number,
  accumulate = false,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = aOff + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * ldb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      if (accumulate) {
        s0 = c[cOff + i * ldc + j];
        s1 = c[cOff + (i + 1) * ldc + j];
        s2 = c[cOff + (i + 2) * ldc + j];
        s3 = c[cOff + (i + 3) * ldc + j];
      }
      for (let p = 0; p < k; p++) {
        const bv = b[bj + p];
        s0 += a[a0 + p] * bv;
        s1 += a[a1 + p] * bv;
        s2 += a[a2 + p] * bv;
        s3 += a[a3 + p] * bv;
      }
      c[cOff + i * ldc + j] = s0;
      c[cOff + (i + 1) * ldc + j] = s1;
      c[cOff + (i + 2) * ldc + j] = s2;
      c[cOff + (i + 3) * ldc + j] = s3;
    }
  }
  for (; i < m; i++) {
    const ai = aOff + i * lda;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * ldb;
      let s = accumulate ? c[cOff + i * ldc + j] : 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      c[cOff + i * ldc + j] = s;
    }
  }
}
