// f32_gemm_direct, any m, AVX-512F (compiled with -mavx512f -mavx2 -mfma; only called after
// cpuid and xgetbv said the CPU and OS support ZMM state).
// C[m×n] = relu?(alpha·A·B + beta·C + bias): A[i·ars + p·acs] (row-major: ars = lda,
// acs = 1; transposed: ars = 1, acs = lda), B row-major k×n (ldb), read in place. Why: for
// a few rows (batch-1 inference and training) packing B costs more than the whole product,
// and for narrow outputs (n <= 16, a 10-class last layer) a 32-wide micro-tile is mostly
// padding. Three tilings:
//   - n > 16 (few rows): 4 rows × 64 columns (4 zmm per row), the last vector masked;
//   - n <= 16, A row-major (or fewer than 16 rows): 16 rows × one masked zmm per row;
//   - n <= 16, A transposed (ars == 1), m >= 16: C computed by columns, 32 rows (2 zmm, contiguous in
//     A) × n columns of accumulators, every lane used; the tile is transposed through a
//     stack buffer (gather) for the epilogue, which then runs by rows as in the other two.
// Bitwise the packed path: every element is Σ_p a·b over a kc block from zero, p in order,
// with FMA (the product commutes, so the column tiling rounds exactly as the row tilings);
// each block combined with C exactly as the micro-kernel does (alpha, then beta or + C, then
// bias and ReLU after the last block). Reference: scalar/gemm_direct.cc.
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx512 {
namespace {

inline __mmask16 lanes(size_t left) { return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1); }

// Epilogue of one row segment (up to 16 columns, mask k): the micro-kernel's order.
inline void finish(__m512 x, float* cr, __mmask16 k, float alpha, float beta, const float* bias, bool relu) {
  if (alpha != 1.0f) x = _mm512_mul_ps(_mm512_set1_ps(alpha), x);
  if (beta == 1.0f) {
    x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(k, cr));
  } else if (beta != 0.0f) {
    x = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(k, cr), x);
  }
  if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(k, bias));
  if (relu) x = _mm512_max_ps(_mm512_setzero_ps(), x);  // NaN propagates
  _mm512_mask_storeu_ps(cr, k, x);
}

// Rows [0, M) × columns [j, j + 16·Q) (the last vector masked to n), one kc block.
template <int M, int Q>
void block(size_t n, size_t j, size_t p0, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb,
           float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  __m512 acc[M][Q];
  __mmask16 mask[Q];
#pragma GCC unroll 16
  for (int q = 0; q < Q; ++q) {
    const size_t col = j + 16 * static_cast<size_t>(q);
    mask[q] = col < n ? lanes(n - col) : __mmask16(0);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) acc[i][q] = _mm512_setzero_ps();
  }
  const float* bp = b + p0 * ldb + j;
  const float* ap = a + p0 * acs;
  for (size_t p = 0; p < kc; ++p, bp += ldb, ap += acs) {
    __m512 bv[Q];
#pragma GCC unroll 16
    for (int q = 0; q < Q; ++q) bv[q] = _mm512_maskz_loadu_ps(mask[q], bp + 16 * q);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const __m512 av = _mm512_set1_ps(ap[i * ars]);
#pragma GCC unroll 16
      for (int q = 0; q < Q; ++q) acc[i][q] = _mm512_fmadd_ps(av, bv[q], acc[i][q]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 16
    for (int q = 0; q < Q; ++q) {
      const size_t col = j + 16 * static_cast<size_t>(q);
      finish(acc[i][q], c + i * ldc + col, mask[q], alpha, beta, bias ? bias + col : nullptr, relu);
    }
  }
}

// n > 16, m <= 4 rows.
template <int M>
void wide(size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb, float* c,
          size_t ldc, float alpha, float beta, const float* bias, bool relu) {
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

// n <= 16, M rows of A read as rows (one broadcast per row and k).
template <int M>
void narrow_rows(size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb, float* c,
                 size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  for (size_t p0 = 0; p0 < k; p0 += kc) {
    const size_t kb = k - p0 < kc ? k - p0 : kc;
    const bool last = p0 + kb == k;
    block<M, 1>(n, 0, p0, kb, a, ars, acs, b, ldb, c, ldc, alpha, p0 == 0 ? beta : 1.0f, last ? bias : nullptr,
                last && relu);
  }
}

// n <= 16 (N columns), A transposed (ars == 1): rows [0, 16·V) of C (masked to m) as columns of
// V zmm, one kc block; then transposed through a stack tile into rows for the epilogue.
template <int N, int V>
void cols_block(size_t m, size_t p0, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  __m512 acc[N][V];
  __mmask16 rmask[V];
#pragma GCC unroll 16
  for (int v = 0; v < V; ++v) {
    const size_t row = 16 * static_cast<size_t>(v);
    rmask[v] = row < m ? lanes(m - row) : __mmask16(0);
#pragma GCC unroll 16
    for (int jj = 0; jj < N; ++jj) acc[jj][v] = _mm512_setzero_ps();
  }
  const float* ap = a + p0 * lda;
  const float* bp = b + p0 * ldb;
  for (size_t p = 0; p < kc; ++p, ap += lda, bp += ldb) {
    __m512 av[V];
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) av[v] = _mm512_maskz_loadu_ps(rmask[v], ap + 16 * v);
#pragma GCC unroll 16
    for (int jj = 0; jj < N; ++jj) {
      const __m512 bv = _mm512_set1_ps(bp[jj]);
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[jj][v] = _mm512_fmadd_ps(av[v], bv, acc[jj][v]);
    }
  }
  alignas(64) float t[N * 16 * V];  // t[j·16V + i] = C tile (i, j)
#pragma GCC unroll 16
  for (int jj = 0; jj < N; ++jj) {
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) _mm512_store_ps(t + jj * 16 * V + 16 * v, acc[jj][v]);
  }
  const __mmask16 cmask = lanes(N);
  const __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                         _mm512_set1_epi32(16 * V));
  const size_t rows = m < 16 * static_cast<size_t>(V) ? m : 16 * static_cast<size_t>(V);
  for (size_t i = 0; i < rows; ++i) {
    const __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), cmask, idx, t + i, 4);
    finish(x, c + i * ldc, cmask, alpha, beta, bias, relu);
  }
}

template <int N, int V>
void narrow_cols(size_t m, size_t k, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                 size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  constexpr size_t R = 16 * V;
  for (size_t i = 0; i < m; i += R) {
    const size_t mr = m - i < R ? m - i : R;
    for (size_t p0 = 0; p0 < k; p0 += kc) {
      const size_t kb = k - p0 < kc ? k - p0 : kc;
      const bool last = p0 + kb == k;
      cols_block<N, V>(mr, p0, kb, a + i, lda, b, ldb, c + i * ldc, ldc, alpha, p0 == 0 ? beta : 1.0f,
                       last ? bias : nullptr, last && relu);
    }
  }
}

using DirectFn = void (*)(size_t, size_t, size_t, const float*, size_t, const float*, size_t, float*, size_t, float,
                          float, const float*, bool);
// Column tilings by n: two zmm of rows while N·2 accumulators fit, one beyond.
constexpr DirectFn kCols[17] = {
    nullptr,
    narrow_cols<1, 2>,
    narrow_cols<2, 2>,
    narrow_cols<3, 2>,
    narrow_cols<4, 2>,
    narrow_cols<5, 2>,
    narrow_cols<6, 2>,
    narrow_cols<7, 2>,
    narrow_cols<8, 2>,
    narrow_cols<9, 2>,
    narrow_cols<10, 2>,
    narrow_cols<11, 2>,
    narrow_cols<12, 2>,
    narrow_cols<13, 1>,
    narrow_cols<14, 1>,
    narrow_cols<15, 1>,
    narrow_cols<16, 1>,
};

using RowsFn = void (*)(size_t, size_t, size_t, const float*, size_t, size_t, const float*, size_t, float*, size_t,
                        float, float, const float*, bool);
constexpr RowsFn kRows[17] = {
    nullptr,          narrow_rows<1>,  narrow_rows<2>,  narrow_rows<3>,  narrow_rows<4>,  narrow_rows<5>,
    narrow_rows<6>,   narrow_rows<7>,  narrow_rows<8>,  narrow_rows<9>,  narrow_rows<10>, narrow_rows<11>,
    narrow_rows<12>,  narrow_rows<13>, narrow_rows<14>, narrow_rows<15>, narrow_rows<16>,
};
constexpr RowsFn kWide[5] = {nullptr, wide<1>, wide<2>, wide<3>, wide<4>};

}  // namespace

void f32_gemm_direct(size_t m, size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b,
                     size_t ldb, float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  if (m == 0 || n == 0) return;
  if (n > 16) {
    for (size_t i = 0; i < m; i += 4) {
      const size_t r = m - i < 4 ? m - i : 4;
      kWide[r](n, k, kc, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, alpha, beta, bias, relu);
    }
    return;
  }
  if (ars == 1 && m >= 16) {
    kCols[n](m, k, kc, a, acs, b, ldb, c, ldc, alpha, beta, bias, relu);
    return;
  }
  for (size_t i = 0; i < m; i += 16) {
    const size_t r = m - i < 16 ? m - i : 16;
    kRows[r](n, k, kc, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, alpha, beta, bias, relu);
  }
}

}  // namespace dh::kernels::avx512
