// f32_gemm_ukernel, 12x8, NEON (AArch64 Advanced SIMD: baseline on every arm64 CPU, no flags
// needed). 24 q-register accumulators (12 rows × 2 vectors of 4), 3 q of A and 2 q of B per k,
// FMA by lane.
// C[12×8] = relu?(alpha·Σ_p a[p·12+i]·b[p·8+j] + beta·C + bias[j]); k summed in order with
// FMA; beta == 0 never reads C. Reference: scalar/gemm_ukernel.cc.
// f32_gemm_ukernel_ldb: the same arithmetic on an mr×nr tile, A's mr values of step p at p·lda,
// B read in place (rows p·ldb); full tiles by the same register tile, edges element by element.
#include <arm_neon.h>

#include <cmath>

#include "kernels/table.h"

namespace dh::kernels::neon {

namespace {
constexpr int MR = 12;
constexpr int NR = 8;

// kLdb: A steps lda apart and B rows at b + p·ldb (all NR columns).
template <bool kLdb>
inline void tile(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, float alpha, float beta,
                 const float* bias, bool relu) {
  float32x4_t acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
  for (size_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4), a2 = vld1q_f32(a + 8);
#define DH_ROW(I, AV, L)                                \
  acc[I][0] = vfmaq_laneq_f32(acc[I][0], b0, AV, L);    \
  acc[I][1] = vfmaq_laneq_f32(acc[I][1], b1, AV, L);
    DH_ROW(0, a0, 0) DH_ROW(1, a0, 1) DH_ROW(2, a0, 2) DH_ROW(3, a0, 3)
    DH_ROW(4, a1, 0) DH_ROW(5, a1, 1) DH_ROW(6, a1, 2) DH_ROW(7, a1, 3)
    DH_ROW(8, a2, 0) DH_ROW(9, a2, 1) DH_ROW(10, a2, 2) DH_ROW(11, a2, 3)
#undef DH_ROW
    a += kLdb ? lda : MR;
    b += kLdb ? ldb : NR;
  }
  const float32x4_t va = vdupq_n_f32(alpha), vb = vdupq_n_f32(beta), zero = vdupq_n_f32(0.0f);
  const float32x4_t bias0 = bias ? vld1q_f32(bias) : zero, bias1 = bias ? vld1q_f32(bias + 4) : zero;
  for (int i = 0; i < MR; ++i) {
    float* cr = c + i * ldc;
    for (int h = 0; h < 2; ++h) {
      float32x4_t x = acc[i][h];
      if (alpha != 1.0f) x = vmulq_f32(va, x);
      if (beta == 1.0f) {
        x = vaddq_f32(x, vld1q_f32(cr + 4 * h));
      } else if (beta != 0.0f) {
        x = vfmaq_f32(x, vb, vld1q_f32(cr + 4 * h));
      }
      if (bias) x = vaddq_f32(x, h ? bias1 : bias0);
      // x < 0 ? 0 : x, keeping NaN (vmaxq_f32 would turn NaN into NaN too, but this matches
      // the scalar reference's -0.0 and NaN handling exactly).
      if (relu) x = vbslq_f32(vcltq_f32(x, zero), zero, x);
      vst1q_f32(cr + 4 * h, x);
    }
  }
}

}  // namespace

void f32_gemm_ukernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, float alpha, float beta,
                      const float* bias, bool relu) {
  tile<false>(kc, a, MR, b, NR, c, ldc, alpha, beta, bias, relu);
}

void f32_gemm_ukernel_ldb(size_t mr, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, size_t nr,
                          float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  if (mr == static_cast<size_t>(MR) && nr >= static_cast<size_t>(NR)) {
    tile<true>(kc, a, lda, b, ldb, c, ldc, alpha, beta, bias, relu);
    return;
  }
  // Edge tile: the same sums one element at a time (fmaf rounds once, as vfmaq), then the
  // full tile's epilogue.
  const size_t cols = nr < static_cast<size_t>(NR) ? nr : static_cast<size_t>(NR);
  for (size_t i = 0; i < mr; ++i) {
    float* cr = c + i * ldc;
    for (size_t j = 0; j < cols; ++j) {
      float x = 0.0f;
      for (size_t p = 0; p < kc; ++p) x = std::fmaf(a[p * lda + i], b[p * ldb + j], x);
      if (alpha != 1.0f) x = alpha * x;
      if (beta == 1.0f) {
        x = x + cr[j];
      } else if (beta != 0.0f) {
        x = std::fmaf(beta, cr[j], x);
      }
      if (bias) x = x + bias[j];
      if (relu) x = x < 0.0f ? 0.0f : x;
      cr[j] = x;
    }
  }
}

}  // namespace dh::kernels::neon
