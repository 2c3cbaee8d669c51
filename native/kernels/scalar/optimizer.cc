// f32_adam_update and f32_sgd_update, scalar reference: the exact per-element formulas
// documented on AdamStep / SgdStep in kernels/table.h (float math, no FMA).
#include <cmath>

#include "kernels/table.h"

namespace dh::kernels::scalar {

void f32_adam_update(size_t n, float* param, const float* grad, float* m, float* v, const AdamStep& s) {
  const bool l2 = !s.decoupled && s.wd != 0.0f;
  const bool decay = s.decoupled && s.wd != 0.0f;
  for (size_t i = 0; i < n; ++i) {
    float th = param[i];
    float g = grad[i];
    if (l2) g = g + s.wd * th;
    if (decay) th = th * s.decay;
    const float mi = s.b1 * m[i] + s.omb1 * g;
    const float vi = s.b2 * v[i] + s.omb2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    param[i] = th - s.step_size * (mi / denom);
  }
}

void f32_sgd_update(size_t n, float* param, const float* grad, float* buf, const SgdStep& s) {
  const bool wd = s.wd != 0.0f;
  const bool mom = s.momentum != 0.0f;
  for (size_t i = 0; i < n; ++i) {
    const float th = param[i];
    float g = grad[i];
    if (wd) g = g + s.wd * th;
    if (mom) {
      const float b = s.first ? g : s.momentum * buf[i] + s.omd * g;
      buf[i] = b;
      g = s.nesterov ? g + s.momentum * b : b;
    }
    param[i] = th - s.lr * g;
  }
}

}  // namespace dh::kernels::scalar
