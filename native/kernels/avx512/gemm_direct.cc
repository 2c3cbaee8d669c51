// f32_gemm_direct, m <= 8 rows (<= 4 when n > 16), AVX-512F (compiled with -mavx512f -mavx2 -mfma; only called
// after cpuid and xgetbv said the CPU and OS support ZMM state).
// C[m×n] = relu?(alpha·A·B + beta·C + bias): A[i·ars + p·acs] (row-major: ars = lda,
// acs = 1; transposed: ars = 1, acs = lda), B row-major k×n (ldb),
// read in place. Why: for one to a few rows (batch-1 inference and training), packing B
// costs more than the whole product. Columns in chunks of 64 (4 zmm × m rows of
// accumulators), the last partial vector masked.
// Bitwise the packed path: k is summed in blocks of kc from zero, in order, with FMA, and each
// block is combined with C exactly as the micro-kernel does (alpha, then beta or + C, then
// bias and ReLU after the last block). Reference: scalar/gemm_direct.cc.
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx512 {
namespace {

inline __mmask16 lanes(size_t left) { return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1); }

// Rows [0, M) × columns [j, j + 16·Q) (the last vector masked to n), one kc block.
template <int M, int Q>
void block(size_t n, size_t j, size_t p0, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb, float* c,
           size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  __m512 acc[M][Q];
  __mmask16 mask[Q];
  for (int q = 0; q < Q; ++q) {
    const size_t col = j + 16 * static_cast<size_t>(q);
    mask[q] = col < n ? lanes(n - col) : __mmask16(0);
    for (int i = 0; i < M; ++i) acc[i][q] = _mm512_setzero_ps();
  }
  const float* bp = b + p0 * ldb + j;
  for (size_t p = 0; p < kc; ++p, bp += ldb) {
    __m512 bv[Q];
    for (int q = 0; q < Q; ++q) bv[q] = _mm512_maskz_loadu_ps(mask[q], bp + 16 * q);
    for (int i = 0; i < M; ++i) {
      const __m512 av = _mm512_set1_ps(a[i * ars + (p0 + p) * acs]);
      for (int q = 0; q < Q; ++q) acc[i][q] = _mm512_fmadd_ps(av, bv[q], acc[i][q]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta), zero = _mm512_setzero_ps();
  for (int i = 0; i < M; ++i) {
    float* cr = c + i * ldc + j;
    for (int q = 0; q < Q; ++q) {
      const __mmask16 k = mask[q];
      __m512 x = acc[i][q];
      if (alpha != 1.0f) x = _mm512_mul_ps(va, x);
      if (beta == 1.0f) {
        x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(k, cr + 16 * q));
      } else if (beta != 0.0f) {
        x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k, cr + 16 * q), x);
      }
      if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(k, bias + j + 16 * q));
      if (relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(cr + 16 * q, k, x);
    }
  }
}

template <int M>
void rows(size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb, float* c, size_t ldc,
          float alpha, float beta, const float* bias, bool relu) {
  for (size_t p0 = 0; p0 < k; p0 += kc) {
    const size_t kb = k - p0 < kc ? k - p0 : kc;
    const bool last = p0 + kb == k;
    const float bt = p0 == 0 ? beta : 1.0f;
    const float* bs = last ? bias : nullptr;
    size_t j = 0;
    for (; j + 64 <= n; j += 64) block<M, 4>(n, j, p0, kb, a, ars, acs, b, ldb, c, ldc, alpha, bt, bs, last && relu);
    for (; j < n; j += 16) block<M, 1>(n, j, p0, kb, a, ars, acs, b, ldb, c, ldc, alpha, bt, bs, last && relu);
  }
}

}  // namespace

void f32_gemm_direct(size_t m, size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb,
                     float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  switch (m) {
    case 1: return rows<1>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 2: return rows<2>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 3: return rows<3>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 4: return rows<4>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 5: return rows<5>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 6: return rows<6>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 7: return rows<7>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    case 8: return rows<8>(n, k, kc, a, ars, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    default: return;
  }
}

}  // namespace dh::kernels::avx512
