// f32_gemm_ukernel, 4x8, scalar (baseline x86-64 / any CPU): the reference micro-kernel.
// C[4×8] = relu?(alpha·Σ_p a[p·4+i]·b[p·8+j] + beta·C + bias[j]); k summed in order p = 0..kc-1
// with separate multiply and add; beta == 0 never reads C.
#include "kernels/table.h"

namespace dh::kernels::scalar {

namespace {
constexpr int MR = 4;
constexpr int NR = 8;
}  // namespace

void f32_gemm_ukernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, float alpha,
                      float beta, const float* bias, bool relu) {
  float acc[MR][NR] = {};
  for (size_t p = 0; p < kc; ++p) {
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; ++i) {
    float* cr = c + i * ldc;
    for (int j = 0; j < NR; ++j) {
      float x = acc[i][j];
      if (alpha != 1.0f) x = alpha * x;
      if (beta == 1.0f) {
        x = x + cr[j];
      } else if (beta != 0.0f) {
        x = x + beta * cr[j];
      }
      if (bias) x = x + bias[j];
      if (relu) x = x < 0.0f ? 0.0f : x;  // keeps NaN, like max(0, x) on SIMD
      cr[j] = x;
    }
  }
}

}  // namespace dh::kernels::scalar
