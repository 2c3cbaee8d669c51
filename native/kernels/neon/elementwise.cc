// f32_relu_backward and f32_colsum, NEON (AArch64 baseline). Same results as
// scalar/elementwise.cc bit for bit (compare+select, and plain adds in the same row order).
#include <arm_neon.h>

#include "kernels/table.h"

namespace dh::kernels::neon {

void f32_relu_backward(size_t n, const float* act, float* dz) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32x4_t keep = vcgtq_f32(vld1q_f32(act + i), zero);
    vst1q_f32(dz + i, vbslq_f32(keep, vld1q_f32(dz + i), zero));
  }
  for (; i < n; ++i) dz[i] = act[i] > 0.0f ? dz[i] : 0.0f;
}

void f32_colsum(size_t rows, size_t cols, const float* x, size_t ldx, float* out, bool accumulate) {
  size_t j = 0;
  for (; j + 16 <= cols; j += 16) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * ldx + j;
      s0 = vaddq_f32(s0, vld1q_f32(xr));
      s1 = vaddq_f32(s1, vld1q_f32(xr + 4));
      s2 = vaddq_f32(s2, vld1q_f32(xr + 8));
      s3 = vaddq_f32(s3, vld1q_f32(xr + 12));
    }
    if (accumulate) {
      s0 = vaddq_f32(vld1q_f32(out + j), s0);
      s1 = vaddq_f32(vld1q_f32(out + j + 4), s1);
      s2 = vaddq_f32(vld1q_f32(out + j + 8), s2);
      s3 = vaddq_f32(vld1q_f32(out + j + 12), s3);
    }
    vst1q_f32(out + j, s0);
    vst1q_f32(out + j + 4, s1);
    vst1q_f32(out + j + 8, s2);
    vst1q_f32(out + j + 12, s3);
  }
  for (; j < cols; ++j) {
    float s = 0.0f;
    for (size_t r = 0; r < rows; ++r) s += x[r * ldx + j];
    out[j] = accumulate ? out[j] + s : s;
  }
}

}  // namespace dh::kernels::neon
