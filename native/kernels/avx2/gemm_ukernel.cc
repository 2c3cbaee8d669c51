// f32_gemm_ukernel, 6x16, AVX2+FMA (compiled with -mavx2 -mfma; only called after cpuid
// and xgetbv said so). 12 ymm accumulators, 2 ymm of B and 1 broadcast of A per k.
// C[6×16] = relu?(alpha·Σ_p a[p·6+i]·b[p·16+j] + beta·C + bias[j]); k summed in order with FMA;
// beta == 0 never reads C. Reference: scalar/gemm_ukernel.cc.
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

}  // namespace dh::kernels::avx2
