// f32_relu_backward and f32_colsum, AVX-512F. Same results as scalar/elementwise.cc bit for
// bit (compare+mask, and plain adds in the same row order).
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx512 {

void f32_relu_backward(size_t n, const float* act, float* dz) {
  const __m512 zero = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 k = _mm512_cmp_ps_mask(_mm512_loadu_ps(act + i), zero, _CMP_GT_OQ);
    _mm512_storeu_ps(dz + i, _mm512_maskz_mov_ps(k, _mm512_loadu_ps(dz + i)));
  }
  for (; i < n; ++i) dz[i] = act[i] > 0.0f ? dz[i] : 0.0f;
}

void f32_colsum(size_t rows, size_t cols, const float* x, size_t ldx, float* out, bool accumulate) {
  size_t j = 0;
  for (; j + 64 <= cols; j += 64) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * ldx + j;
      s0 = _mm512_add_ps(s0, _mm512_loadu_ps(xr));
      s1 = _mm512_add_ps(s1, _mm512_loadu_ps(xr + 16));
      s2 = _mm512_add_ps(s2, _mm512_loadu_ps(xr + 32));
      s3 = _mm512_add_ps(s3, _mm512_loadu_ps(xr + 48));
    }
    if (accumulate) {
      s0 = _mm512_add_ps(_mm512_loadu_ps(out + j), s0);
      s1 = _mm512_add_ps(_mm512_loadu_ps(out + j + 16), s1);
      s2 = _mm512_add_ps(_mm512_loadu_ps(out + j + 32), s2);
      s3 = _mm512_add_ps(_mm512_loadu_ps(out + j + 48), s3);
    }
    _mm512_storeu_ps(out + j, s0);
    _mm512_storeu_ps(out + j + 16, s1);
    _mm512_storeu_ps(out + j + 32, s2);
    _mm512_storeu_ps(out + j + 48, s3);
  }
  for (; j + 16 <= cols; j += 16) {
    __m512 s = _mm512_setzero_ps();
    for (size_t r = 0; r < rows; ++r) s = _mm512_add_ps(s, _mm512_loadu_ps(x + r * ldx + j));
    if (accumulate) s = _mm512_add_ps(_mm512_loadu_ps(out + j), s);
    _mm512_storeu_ps(out + j, s);
  }
  for (; j < cols; ++j) {
    float s = 0.0f;
    for (size_t r = 0; r < rows; ++r) s += x[r * ldx + j];
    out[j] = accumulate ? out[j] + s : s;
  }
}

}  // namespace dh::kernels::avx512
