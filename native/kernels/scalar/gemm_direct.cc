// f32_gemm_direct, any m, scalar (any CPU): the reference of the direct kernels.
// C[m×n] = relu?(alpha·A·B + beta·C + bias): A[i·ars + p·acs] (row-major: ars = lda,
// acs = 1; transposed: ars = 1, acs = lda), B row-major k×n (ldb),
// read in place, no packing (for a few rows packing B costs more than the product).
// Bitwise the packed scalar path: k summed in blocks of kc from zero, in order, with
// separate multiply and add; each block combined with C as scalar/gemm_ukernel.cc does
// (alpha, then + C or + beta·C, then bias and ReLU after the last block).
#include "kernels/table.h"

namespace dh::kernels::scalar {

void f32_gemm_direct(size_t m, size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb,
                     float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  constexpr size_t W = 16;  // columns per pass: accumulators stay in registers
  for (size_t p0 = 0; p0 < k; p0 += kc) {
    const size_t kb = k - p0 < kc ? k - p0 : kc;
    const bool last = p0 + kb == k;
    const float bt = p0 == 0 ? beta : 1.0f;
    for (size_t i = 0; i < m; ++i) {
      for (size_t j0 = 0; j0 < n; j0 += W) {
        const size_t w = n - j0 < W ? n - j0 : W;
        float acc[W] = {};
        for (size_t p = 0; p < kb; ++p) {
          const float ai = a[i * ars + (p0 + p) * acs];
          const float* br = b + (p0 + p) * ldb + j0;
          for (size_t q = 0; q < w; ++q) acc[q] += ai * br[q];
        }
        float* cr = c + i * ldc + j0;
        for (size_t q = 0; q < w; ++q) {
          float x = acc[q];
          if (alpha != 1.0f) x = alpha * x;
          if (bt == 1.0f) {
            x = x + cr[q];
          } else if (bt != 0.0f) {
            x = x + bt * cr[q];
          }
          if (last && bias) x = x + bias[j0 + q];
          if (last && relu) x = x < 0.0f ? 0.0f : x;
          cr[q] = x;
        }
      }
    }
  }
}

}  // namespace dh::kernels::scalar
