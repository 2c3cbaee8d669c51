// f32_gemm_direct, any m (in groups of 8 rows, 4 when n > 16), NEON (AArch64 baseline).
// C[m×n] = relu?(alpha·A·B + beta·C + bias): A[i·ars + p·acs] (row-major: ars = lda,
// acs = 1; transposed: ars = 1, acs = lda), B row-major k×n (ldb),
// read in place (no packing). Columns in chunks of 16 (4 q × m rows), then 4, then single
// columns with fmaf. Bitwise the packed path: k summed in blocks of kc from zero, in order,
// with FMA; each block combined with C as the micro-kernel does. Reference: scalar/gemm_direct.cc.
#include <arm_neon.h>

#include <cmath>

#include "kernels/table.h"

namespace dh::kernels::neon {
namespace {

template <int M, int Q>
void block(size_t j, size_t p0, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb, float* c, size_t ldc,
           float alpha, float beta, const float* bias, bool relu) {
  float32x4_t acc[M][Q];
  for (int i = 0; i < M; ++i)
    for (int q = 0; q < Q; ++q) acc[i][q] = vdupq_n_f32(0.0f);
  const float* bp = b + p0 * ldb + j;
  for (size_t p = 0; p < kc; ++p, bp += ldb) {
    float32x4_t bv[Q];
    for (int q = 0; q < Q; ++q) bv[q] = vld1q_f32(bp + 4 * q);
    for (int i = 0; i < M; ++i) {
      const float32x4_t av = vdupq_n_f32(a[i * ars + (p0 + p) * acs]);
      for (int q = 0; q < Q; ++q) acc[i][q] = vfmaq_f32(acc[i][q], av, bv[q]);
    }
  }
  const float32x4_t va = vdupq_n_f32(alpha), vb = vdupq_n_f32(beta), zero = vdupq_n_f32(0.0f);
  for (int i = 0; i < M; ++i) {
    float* cr = c + i * ldc + j;
    for (int q = 0; q < Q; ++q) {
      float32x4_t x = acc[i][q];
      if (alpha != 1.0f) x = vmulq_f32(va, x);
      if (beta == 1.0f) {
        x = vaddq_f32(x, vld1q_f32(cr + 4 * q));
      } else if (beta != 0.0f) {
        x = vfmaq_f32(x, vb, vld1q_f32(cr + 4 * q));
      }
      if (bias) x = vaddq_f32(x, vld1q_f32(bias + j + 4 * q));
      if (relu) x = vbslq_f32(vcltq_f32(x, zero), zero, x);
      vst1q_f32(cr + 4 * q, x);
    }
  }
}

template <int M>
void column(size_t j, size_t p0, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb, float* c,
            size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  for (int i = 0; i < M; ++i) {
    float acc = 0.0f;
    for (size_t p = 0; p < kc; ++p) acc = std::fmaf(a[i * ars + (p0 + p) * acs], b[(p0 + p) * ldb + j], acc);
    float* cr = c + i * ldc + j;
    float x = acc;
    if (alpha != 1.0f) x = alpha * x;
    if (beta == 1.0f) {
      x = x + *cr;
    } else if (beta != 0.0f) {
      x = std::fmaf(beta, *cr, x);
    }
    if (bias) x = x + bias[j];
    if (relu) x = x < 0.0f ? 0.0f : x;
    *cr = x;
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
    const bool rl = last && relu;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) block<M, 4>(j, p0, kb, a, ars, acs, b, ldb, c, ldc, alpha, bt, bs, rl);
    for (; j + 4 <= n; j += 4) block<M, 1>(j, p0, kb, a, ars, acs, b, ldb, c, ldc, alpha, bt, bs, rl);
    for (; j < n; ++j) column<M>(j, p0, kb, a, ars, acs, b, ldb, c, ldc, alpha, bt, bs, rl);
  }
}

// m <= 8 rows.
void rows_upto8(size_t m, size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb,
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

}  // namespace

void f32_gemm_direct(size_t m, size_t n, size_t k, size_t kc, const float* a, size_t ars, size_t acs, const float* b, size_t ldb,
                     float* c, size_t ldc, float alpha, float beta, const float* bias, bool relu) {
  // Groups of rows whose accumulators fit the registers (the row grouping does not change any
  // element's summation order).
  const size_t group = n > 16 ? 4 : 8;
  for (size_t i = 0; i < m; i += group) {
    const size_t r = m - i < group ? m - i : group;
    rows_upto8(r, n, k, kc, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, alpha, beta, bias, relu);
  }
}

}  // namespace dh::kernels::neon
