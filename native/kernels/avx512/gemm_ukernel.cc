// f32_gemm_ukernel, 12x32, AVX-512F (compiled with -mavx512f -mavx2 -mfma; only called after
// cpuid and xgetbv said the CPU and OS support ZMM state). 24 zmm accumulators, 2 zmm of B
// and 1 broadcast of A per k.
// C[12×32] = relu?(alpha·Σ_p a[p·12+i]·b[p·32+j] + beta·C + bias[j]); k summed in order with
// FMA; beta == 0 never reads C. Reference: scalar/gemm_ukernel.cc.
// f32_gemm_ukernel_ldb: the same arithmetic on an mr×nr tile (mr <= 12 rows, one instance per
// height: 2·mr accumulators, no padding rows), A's mr values of step p at p·lda (packed: lda =
// mr; a transposed A in place), B read in place (rows p·ldb, masked to nr columns, prefetched a
// few k ahead).
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx512 {

namespace {
constexpr int MR = 12;
constexpr int NR = 32;
}  // namespace

void f32_gemm_ukernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, float alpha,
                      float beta, const float* bias, bool relu) {
#define DH_DECL(I) __m512 c##I##0 = _mm512_setzero_ps(), c##I##1 = _mm512_setzero_ps();
  DH_DECL(0) DH_DECL(1) DH_DECL(2) DH_DECL(3) DH_DECL(4) DH_DECL(5)
  DH_DECL(6) DH_DECL(7) DH_DECL(8) DH_DECL(9) DH_DECL(A) DH_DECL(B)
#undef DH_DECL

#define DH_ROW(I, IDX)                                     \
  av = _mm512_set1_ps(a[(P)*MR + (IDX)]);                  \
  c##I##0 = _mm512_fmadd_ps(av, b0, c##I##0);              \
  c##I##1 = _mm512_fmadd_ps(av, b1, c##I##1);
#define DH_STEP(PP)                                        \
  {                                                        \
    constexpr int P = (PP);                                \
    const __m512 b0 = _mm512_load_ps(b + P * NR);          \
    const __m512 b1 = _mm512_load_ps(b + P * NR + 16);     \
    __m512 av;                                             \
    DH_ROW(0, 0) DH_ROW(1, 1) DH_ROW(2, 2) DH_ROW(3, 3)    \
    DH_ROW(4, 4) DH_ROW(5, 5) DH_ROW(6, 6) DH_ROW(7, 7)    \
    DH_ROW(8, 8) DH_ROW(9, 9) DH_ROW(A, 10) DH_ROW(B, 11)  \
  }

  // The tile of C is read (beta != 0) or written only after the k loop: fetch its 24 lines now so
  // the misses overlap the FMAs instead of stalling the stores.
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
  }

  // One k per iteration: unrolling by hand makes GCC hoist the B loads of several k and spill
  // accumulators; the simple loop keeps all 24 in registers.
  for (size_t p = 0; p < kc; ++p) {
    DH_STEP(0)
    a += MR;
    b += NR;
  }
#undef DH_STEP
#undef DH_ROW

  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const __m512 zero = _mm512_setzero_ps();
  const bool scale = alpha != 1.0f;
  const __m512 bias0 = bias ? _mm512_loadu_ps(bias) : zero;
  const __m512 bias1 = bias ? _mm512_loadu_ps(bias + 16) : zero;

  auto store = [&](float* cr, __m512 x0, __m512 x1) {
    if (scale) {
      x0 = _mm512_mul_ps(va, x0);
      x1 = _mm512_mul_ps(va, x1);
    }
    if (beta == 1.0f) {
      x0 = _mm512_add_ps(x0, _mm512_loadu_ps(cr));
      x1 = _mm512_add_ps(x1, _mm512_loadu_ps(cr + 16));
    } else if (beta != 0.0f) {
      x0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr), x0);
      x1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr + 16), x1);
    }
    if (bias) {
      x0 = _mm512_add_ps(x0, bias0);
      x1 = _mm512_add_ps(x1, bias1);
    }
    if (relu) {  // max(0, x) returns x when x is NaN: NaN propagates
      x0 = _mm512_max_ps(zero, x0);
      x1 = _mm512_max_ps(zero, x1);
    }
    _mm512_storeu_ps(cr, x0);
    _mm512_storeu_ps(cr + 16, x1);
  };
  store(c + 0 * ldc, c00, c01);
  store(c + 1 * ldc, c10, c11);
  store(c + 2 * ldc, c20, c21);
  store(c + 3 * ldc, c30, c31);
  store(c + 4 * ldc, c40, c41);
  store(c + 5 * ldc, c50, c51);
  store(c + 6 * ldc, c60, c61);
  store(c + 7 * ldc, c70, c71);
  store(c + 8 * ldc, c80, c81);
  store(c + 9 * ldc, c90, c91);
  store(c + 10 * ldc, cA0, cA1);
  store(c + 11 * ldc, cB0, cB1);
}

namespace {

// Rows of B prefetched ahead of the k loop (two lines per row). Neutral, within noise, when B
// already sits in L2 (0, 4, 8, 16 and 32 rows measured on 60×256×784); kept for weights that
// do not.
constexpr size_t kPrefetchRows = 8;

inline __mmask16 lanes(size_t left) { return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1); }

// M rows: A's M values of step p at a + p·lda; B in place; kMasked: columns limited to m0, m1
// (else all 32 read and written).
template <int M, bool kMasked>
void tile_ldb(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, __mmask16 m0, __mmask16 m1, float* c, size_t ldc,
              float alpha, float beta, const float* bias, bool relu) {
  __m512 acc[M][2];
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
  }
  const float* pf = b + kPrefetchRows * ldb;
  for (size_t p = 0; p < kc; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(pf), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(pf + NR - 1), _MM_HINT_T0);
    __m512 b0, b1;
    if (kMasked) {
      b0 = _mm512_maskz_loadu_ps(m0, b);
      b1 = _mm512_maskz_loadu_ps(m1, b + 16);
    } else {
      b0 = _mm512_loadu_ps(b);
      b1 = _mm512_loadu_ps(b + 16);
    }
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += lda;
    b += ldb;
    pf += ldb;
  }

  // The micro-kernel's epilogue, on the valid lanes only.
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta), zero = _mm512_setzero_ps();
  const __mmask16 k0 = kMasked ? m0 : __mmask16(0xffff), k1 = kMasked ? m1 : __mmask16(0xffff);
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(k0, bias) : zero;
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(k1, bias + 16) : zero;
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    float* cr = c + i * ldc;
    __m512 x0 = acc[i][0], x1 = acc[i][1];
    if (alpha != 1.0f) {
      x0 = _mm512_mul_ps(va, x0);
      x1 = _mm512_mul_ps(va, x1);
    }
    if (beta == 1.0f) {
      x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(k0, cr));
      x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(k1, cr + 16));
    } else if (beta != 0.0f) {
      x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k0, cr), x0);
      x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k1, cr + 16), x1);
    }
    if (bias) {
      x0 = _mm512_add_ps(x0, bias0);
      x1 = _mm512_add_ps(x1, bias1);
    }
    if (relu) {
      x0 = _mm512_max_ps(zero, x0);
      x1 = _mm512_max_ps(zero, x1);
    }
    _mm512_mask_storeu_ps(cr, k0, x0);
    _mm512_mask_storeu_ps(cr + 16, k1, x1);
  }
}

template <int M>
void tile_ldb_cols(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, size_t nr, float* c, size_t ldc, float alpha,
                   float beta, const float* bias, bool relu) {
  if (nr >= static_cast<size_t>(NR)) {
    tile_ldb<M, false>(kc, a, lda, b, ldb, 0, 0, c, ldc, alpha, beta, bias, relu);
  } else {
    tile_ldb<M, true>(kc, a, lda, b, ldb, lanes(nr), nr > 16 ? lanes(nr - 16) : __mmask16(0), c, ldc, alpha, beta, bias,
                      relu);
  }
}

using LdbFn = void (*)(size_t, const float*, size_t, const float*, size_t, size_t, float*, size_t, float, float, const float*,
                       bool);
constexpr LdbFn kLdb[MR + 1] = {
    nullptr,          tile_ldb_cols<1>, tile_ldb_cols<2>,  tile_ldb_cols<3>,  tile_ldb_cols<4>,
    tile_ldb_cols<5>, tile_ldb_cols<6>, tile_ldb_cols<7>,  tile_ldb_cols<8>,  tile_ldb_cols<9>,
    tile_ldb_cols<10>, tile_ldb_cols<11>, tile_ldb_cols<12>,
};

}  // namespace

void f32_gemm_ukernel_ldb(size_t mr, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, size_t nr,
                          float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  kLdb[mr](kc, a, lda, b, ldb, nr, c, ldc, alpha, beta, bias, relu);
}

}  // namespace dh::kernels::avx512
