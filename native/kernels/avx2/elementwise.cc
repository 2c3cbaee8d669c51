// f32_relu_backward and f32_colsum, AVX2 (-mavx2 -mfma). Same results as scalar/elementwise.cc
// bit for bit (compare+and, and plain adds in the same row order).
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx2 {

void f32_relu_backward(size_t n, const float* act, float* dz) {
  const __m256 zero = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 mask = _mm256_cmp_ps(_mm256_loadu_ps(act + i), zero, _CMP_GT_OQ);
    _mm256_storeu_ps(dz + i, _mm256_and_ps(mask, _mm256_loadu_ps(dz + i)));
  }
  for (; i < n; ++i) dz[i] = act[i] > 0.0f ? dz[i] : 0.0f;
}

void f32_colsum(size_t rows, size_t cols, const float* x, size_t ldx, float* out, bool accumulate) {
  size_t j = 0;
  for (; j + 32 <= cols; j += 32) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * ldx + j;
      s0 = _mm256_add_ps(s0, _mm256_loadu_ps(xr));
      s1 = _mm256_add_ps(s1, _mm256_loadu_ps(xr + 8));
      s2 = _mm256_add_ps(s2, _mm256_loadu_ps(xr + 16));
      s3 = _mm256_add_ps(s3, _mm256_loadu_ps(xr + 24));
    }
    if (accumulate) {
      s0 = _mm256_add_ps(_mm256_loadu_ps(out + j), s0);
      s1 = _mm256_add_ps(_mm256_loadu_ps(out + j + 8), s1);
      s2 = _mm256_add_ps(_mm256_loadu_ps(out + j + 16), s2);
      s3 = _mm256_add_ps(_mm256_loadu_ps(out + j + 24), s3);
    }
    _mm256_storeu_ps(out + j, s0);
    _mm256_storeu_ps(out + j + 8, s1);
    _mm256_storeu_ps(out + j + 16, s2);
    _mm256_storeu_ps(out + j + 24, s3);
  }
  for (; j + 8 <= cols; j += 8) {
    __m256 s = _mm256_setzero_ps();
    for (size_t r = 0; r < rows; ++r) s = _mm256_add_ps(s, _mm256_loadu_ps(x + r * ldx + j));
    if (accumulate) s = _mm256_add_ps(_mm256_loadu_ps(out + j), s);
    _mm256_storeu_ps(out + j, s);
  }
  for (; j < cols; ++j) {
    float s = 0.0f;
    for (size_t r = 0; r < rows; ++r) s += x[r * ldx + j];
    out[j] = accumulate ? out[j] + s : s;
  }
}

}  // namespace dh::kernels::avx2
