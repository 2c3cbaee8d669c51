// f32_gemm_ukernel, 4x8, scalar (baseline x86-64 / any CPU): the reference micro-kernel.
// C[4×8] = relu?(alpha·Σ_p a[p·4+i]·b[p·8+j] + beta·C + bias[j]); k summed in order p = 0..kc-1
// with separate multiply and add; beta == 0 never reads C.
// f32_gemm_ukernel_ldb: the same on an mr×nr tile, A's mr values of step p at p·lda (packed:
// lda = mr), B read in place (rows p·ldb).
#include "kernels/table.h"

namespace dh::kernels::scalar {

namespace {
constexpr int MR = 4;
constexpr int NR = 8;

// Rows × cols of the tile (compile-time for a full tile, so the loops unroll as in the packed kernel).
template <size_t kRows, size_t kCols>
void tile_ldb(size_t rows, size_t cols, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
              size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  if (kRows) rows = kRows;
  if (kCols) cols = kCols;
  float acc[MR][NR] = {};
  for (size_t p = 0; p < kc; ++p) {
    for (size_t i = 0; i < rows; ++i) {
      const float ai = a[i];
      for (size_t j = 0; j < cols; ++j) acc[i][j] += ai * b[j];
    }
    a += lda;
    b += ldb;
  }
  for (size_t i = 0; i < rows; ++i) {
    float* cr = c + i * ldc;
    for (size_t j = 0; j < cols; ++j) {
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

}  // namespace

// The packed B panel is a tile read in place with ldb = NR.
void f32_gemm_ukernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, float alpha,
                      float beta, const float* bias, bool relu) {
  tile_ldb<MR, NR>(MR, NR, kc, a, MR, b, NR, c, ldc, alpha, beta, bias, relu);
}

void f32_gemm_ukernel_ldb(size_t mr, size_t kc, const float* a, size_t lda, const float* b, size_t ldb, size_t nr,
                          float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  if (mr == MR && nr == NR) return tile_ldb<MR, NR>(mr, nr, kc, a, lda, b, ldb, c, ldc, alpha, beta, bias, relu);
  tile_ldb<0, 0>(mr, nr, kc, a, lda, b, ldb, c, ldc, alpha, beta, bias, relu);
}

}  // namespace dh::kernels::scalar
