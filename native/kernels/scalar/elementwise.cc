// f32_relu_backward and f32_colsum, scalar reference.
//   relu_backward: dz[i] = act[i] > 0 ? dz[i] : 0
//   colsum:        out[j] = (accumulate ? out[j] : 0) + Σ_r x[r·ldx + j], r in order
#include "kernels/table.h"

namespace dh::kernels::scalar {

void f32_relu_backward(size_t n, const float* act, float* dz) {
  for (size_t i = 0; i < n; ++i) dz[i] = act[i] > 0.0f ? dz[i] : 0.0f;
}

void f32_colsum(size_t rows, size_t cols, const float* x, size_t ldx, float* out, bool accumulate) {
  constexpr size_t W = 16;
  size_t j = 0;
  for (; j + W <= cols; j += W) {
    float s[W] = {};
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * ldx + j;
      for (size_t q = 0; q < W; ++q) s[q] += xr[q];
    }
    for (size_t q = 0; q < W; ++q) out[j + q] = accumulate ? out[j + q] + s[q] : s[q];
  }
  for (; j < cols; ++j) {
    float s = 0.0f;
    for (size_t r = 0; r < rows; ++r) s += x[r * ldx + j];
    out[j] = accumulate ? out[j] + s : s;
  }
}

}  // namespace dh::kernels::scalar
