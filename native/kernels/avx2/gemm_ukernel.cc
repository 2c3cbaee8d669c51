// f32_gemm_ukernel, 6x16, AVX2+FMA (compiled with -mavx2 -mfma; only called after cpuid
// and xgetbv said so). 12 ymm accumulators, 2 ymm of B and 1 broadcast of A per k.
// C[6×16] = relu?(alpha·Σ_p a[p·6+i]·b[p·16+j] + beta·C + bias[j]); k summed in order with FMA;
// beta == 0 never reads C. Reference: scalar/gemm_ukernel.cc.
// f32_gemm_ukernel_ldb: the same arithmetic on an mr×nr tile (mr <= 6 rows, one instance per
// height), A's mr values of step p at p·lda (packed: lda = mr), B read in place (rows p·ldb,
// masked to nr columns).
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx2 {

namespace {
constexpr int MR = 6;
constexpr int NR = 16;
}  // namespace

void f32_gemm_ukernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, float alpha,
                      float beta, const float* bias, bool relu) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#define DH_STEP(P)                                                  \
  {                                                                 \
    const __m256 b0 = _mm256_load_ps(b + (P)*NR);                   \
    const __m256 b1 = _mm256_load_ps(b + (P)*NR + 8);               \
    __m256 av = _mm256_broadcast_ss(a + (P)*MR + 0);                \
    c00 = _mm256_fmadd_ps(av, b0, c00);                             \
    c01 = _mm256_fmadd_ps(av, b1, c01);                             \
    av = _mm256_broadcast_ss(a + (P)*MR + 1);                       \
    c10 = _mm256_fmadd_ps(av, b0, c10);                             \
    c11 = _mm256_fmadd_ps(av, b1, c11);                             \
    av = _mm256_broadcast_ss(a + (P)*MR + 2);                       \
    c20 = _mm256_fmadd_ps(av, b0, c20);                             \
    c21 = _mm256_fmadd_ps(av, b1, c21);                             \
    av = _mm256_broadcast_ss(a + (P)*MR + 3);                       \
    c30 = _mm256_fmadd_ps(av, b0, c30);                             \
    c31 = _mm256_fmadd_ps(av, b1, c31);                             \
    av = _mm256_broadcast_ss(a + (P)*MR + 4);                       \
    c40 = _mm256_fmadd_ps(av, b0, c40);                             \
    c41 = _mm256_fmadd_ps(av, b1, c41);                             \
    av = _mm256_broadcast_ss(a + (P)*MR + 5);                       \
    c50 = _mm256_fmadd_ps(av, b0, c50);                             \
    c51 = _mm256_fmadd_ps(av, b1, c51);                             \
  }

  // One k per iteration: unrolling by hand makes GCC hoist the B loads of several k and spill
  // accumulators; the simple loop keeps all 12 in registers.
  for (size_t p = 0; p < kc; ++p) {
    DH_STEP(0)
    a += MR;
    b += NR;
  }
#undef DH_STEP

  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  const __m256 zero = _mm256_setzero_ps();
  const bool scale = alpha != 1.0f;
  const __m256 bias0 = bias ? _mm256_loadu_ps(bias) : zero;
  const __m256 bias1 = bias ? _mm256_loadu_ps(bias + 8) : zero;

  auto store = [&](float* cr, __m256 x0, __m256 x1) {
    if (scale) {
      x0 = _mm256_mul_ps(va, x0);
      x1 = _mm256_mul_ps(va, x1);
    }
    if (beta == 1.0f) {
      x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
      x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
    } else if (beta != 0.0f) {
      x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), x0);
      x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), x1);
    }
    if (bias) {
      x0 = _mm256_add_ps(x0, bias0);
      x1 = _mm256_add_ps(x1, bias1);
    }
    if (relu) {  // max(0, x) returns x when x is NaN: NaN propagates
      x0 = _mm256_max_ps(zero, x0);
      x1 = _mm256_max_ps(zero, x1);
    }
    _mm256_storeu_ps(cr, x0);
    _mm256_storeu_ps(cr + 8, x1);
  };
  store(c + 0 * ldc, c00, c01);
  store(c + 1 * ldc, c10, c11);
  store(c + 2 * ldc, c20, c21);
  store(c + 3 * ldc, c30, c31);
  store(c + 4 * ldc, c40, c41);
  store(c + 5 * ldc, c50, c51);
}

namespace {

constexpr size_t kPrefetchRows = 8;  // rows of B prefetched ahead of the k loop (as in avx512/)

// Lanes j < n of 8 set (all ones), the others clear.
__m256i lanes(size_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 8 ? n : 8)), idx);
}

template <int M, bool kMasked>
void tile_ldb(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, __m256i m0, __m256i m1, float* c,
              size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  __m256 acc[M][2];
#pragma GCC unroll 6
  for (int i = 0; i < M; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  const float* pf = b + kPrefetchRows * ldb;
  for (size_t p = 0; p < kc; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(pf), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(pf + NR - 1), _MM_HINT_T0);
    __m256 b0, b1;
    if (kMasked) {
      b0 = _mm256_maskload_ps(b, m0);
      b1 = _mm256_maskload_ps(b + 8, m1);
    } else {
      b0 = _mm256_loadu_ps(b);
      b1 = _mm256_loadu_ps(b + 8);
    }
#pragma GCC unroll 6
    for (int i = 0; i < M; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
    }
    a += lda;
    b += ldb;
    pf += ldb;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta), zero = _mm256_setzero_ps();
  const __m256 bias0 = bias ? _mm256_maskload_ps(bias, m0) : zero;
  const __m256 bias1 = bias ? _mm256_maskload_ps(bias + 8, m1) : zero;
#pragma GCC unroll 6
  for (int i = 0; i < M; ++i) {
    float* cr = c + i * ldc;
    __m256 x0 = acc[i][0], x1 = acc[i][1];
    if (alpha != 1.0f) {
      x0 = _mm256_mul_ps(va, x0);
      x1 = _mm256_mul_ps(va, x1);
    }
    if (beta == 1.0f) {
      x0 = _mm256_add_ps(x0, _mm256_maskload_ps(cr, m0));
      x1 = _mm256_add_ps(x1, _mm256_maskload_ps(cr + 8, m1));
    } else if (beta != 0.0f) {
      x0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), x0);
      x1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), x1);
    }
    if (bias) {
      x0 = _mm256_add_ps(x0, bias0);
      x1 = _mm256_add_ps(x1, bias1);
    }
    if (relu) {
      x0 = _mm256_max_ps(zero, x0);
      x1 = _mm256_max_ps(zero, x1);
    }
    _mm256_maskstore_ps(cr, m0, x0);
    _mm256_maskstore_ps(cr + 8, m1, x1);
  }
}

template <int M>
void tile_ldb_cols(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, size_t nr, float* c, size_t ldc, float alpha,
                   float beta, const float* bias, bool relu) {
  const __m256i m0 = lanes(nr), m1 = lanes(nr > 8 ? nr - 8 : 0);
  if (nr >= static_cast<size_t>(NR)) {
    tile_ldb<M, false>(kc, a, lda, b, ldb, m0, m1, c, ldc, alpha, beta, bias, relu);
  } else {
    tile_ldb<M, true>(kc, a, lda, b, ldb, m0, m1, c, ldc, alpha, beta, bias, relu);
  }
}

using LdbFn = void (*)(size_t, const float*, size_t, const float*, size_t, size_t, float*, size_t, float, float, const float*,
                       bool);
constexpr LdbFn kLdb[MR + 1] = {nullptr,          tile_ldb_cols<1>, tile_ldb_cols<2>, tile_ldb_cols<3>,
                                tile_ldb_cols<4>, tile_ldb_cols<5>, tile_ldb_cols<6>};

}  // namespace

void f32_gemm_ukernel_ldb(size_t mr, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, size_t nr,
                          float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  kLdb[mr](kc, a, lda, b, ldb, nr, c, ldc, alpha, beta, bias, relu);
}

}  // namespace dh::kernels::avx2
