#include "kernels/ops.h"

#include <algorithm>
#include <cmath>

#include "kernels/dropout.h"
#include "kernels/parallel.h"
#include "runtime/thread_pool.h"

namespace dh::kernels {
namespace {

// Transcendental activations cost ~10 cheap elements each.
size_t act_cost(Activation a) {
  return a == Activation::kLinear || a == Activation::kRelu || a == Activation::kLeakyRelu ||
                 a == Activation::kHardSigmoid
             ? 1
             : 10;
}

}  // namespace

void relu_backward(const KernelTable& t, runtime::ThreadPool* pool, size_t n, const float* act, float* dz) {
  parallel_for(pool, n, kChunk, 1, [&](size_t b, size_t e) { t.f32_relu_backward(e - b, act + b, dz + b); });
}

void colsum(const KernelTable& t, runtime::ThreadPool* pool, size_t rows, size_t cols, const float* x, size_t ldx,
            float* out, bool accumulate) {
  parallel_ranges(pool, threads_for(pool, rows * cols, kMinElemsPerThread), cols, kChunk,
                  [&](size_t b, size_t e) { t.f32_colsum(rows, e - b, x + b, ldx, out + b, accumulate); });
}

void activation_forward(runtime::ThreadPool* pool, Activation a, float alpha, size_t rows, size_t cols,
                        const float* z, float* o) {
  if (a == Activation::kSoftmax) {
    parallel_for(pool, rows, 1, cols * 10, [&](size_t b, size_t e) { softmax_rows(b, e, cols, z, o); });
    return;
  }
  if (a == Activation::kLinear && z == o) return;
  parallel_for(pool, rows * cols, kChunk, act_cost(a),
               [&](size_t b, size_t e) { act_forward(a, alpha, e - b, z + b, o + b); });
}

void activation_backward(const KernelTable& t, runtime::ThreadPool* pool, Activation a, float alpha, size_t rows,
                         size_t cols, const float* z, const float* o, const float* g, float* dz) {
  if (a == Activation::kSoftmax) {
    parallel_for(pool, rows, 1, cols * 2, [&](size_t b, size_t e) { softmax_backward_rows(b, e, cols, o, g, dz); });
    return;
  }
  if (a == Activation::kLinear && g == dz) return;
  if (a == Activation::kRelu && g == dz) {
    relu_backward(t, pool, rows * cols, o, dz);
    return;
  }
  parallel_for(pool, rows * cols, kChunk, act_cost(a), [&](size_t b, size_t e) {
    act_backward(a, alpha, e - b, z ? z + b : nullptr, o ? o + b : nullptr, g + b, dz + b);
  });
}

void loss(runtime::ThreadPool* pool, size_t rows, const LossTargets& t, const LossArgs& a) {
  parallel_for(pool, rows, 1, a.k * 8, [&](size_t b, size_t e) { loss_rows(b, e, t, a); });
}

void activation_rbackward(runtime::ThreadPool* pool, Activation a, float alpha, size_t rows, size_t cols,
                          const float* z, const float* o, const float* rz, const float* ro, const float* g,
                          const float* rg, float* out) {
  if (a == Activation::kSoftmax) {
    parallel_for(pool, rows, 1, cols * 4,
                 [&](size_t b, size_t e) { softmax_rbackward_rows(b, e, cols, o, ro, g, rg, out); });
    return;
  }
  parallel_for(pool, rows * cols, kChunk, act_cost(a) * 2, [&](size_t b, size_t e) {
    act_rbackward(a, alpha, e - b, z ? z + b : nullptr, o ? o + b : nullptr, rz + b, g + b, rg + b, out + b);
  });
}

void loss_curvature(runtime::ThreadPool* pool, size_t rows, const LossTargets& t, const LossArgs& a, const float* ru,
                    float* rg) {
  parallel_for(pool, rows, 1, a.k * 8, [&](size_t b, size_t e) { loss_curvature_rows(b, e, t, a, ru, rg); });
}

void dropout(runtime::ThreadPool* pool, size_t rows, size_t cols, size_t row0, uint32_t key, uint32_t threshold,
             float scale, const float* x, float* y) {
  const size_t base = row0 * cols;
  parallel_for(pool, rows * cols, kChunk, 3, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) y[i] = dropout_bits(key, base + i) >= threshold ? x[i] * scale : 0.0f;
  });
}

double reg_loss(runtime::ThreadPool* pool, size_t n, const float* w, double l1, double l2, double* partials) {
  const size_t blocks = reg_blocks(n);
  parallel_ranges(pool, threads_for(pool, n, kMinElemsPerThread), blocks, 1, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      const size_t start = b * kRegBlock, end = std::min(n, start + kRegBlock);
      double s1 = 0.0, s2 = 0.0;
      for (size_t i = start; i < end; ++i) {
        const double v = static_cast<double>(w[i]);
        s1 += std::fabs(v);
        s2 += v * v;
      }
      partials[b] = l1 * s1 + l2 * s2;
    }
  });
  double total = 0.0;
  for (size_t b = 0; b < blocks; ++b) total += partials[b];
  return total;
}

void reg_grad(runtime::ThreadPool* pool, size_t n, const float* w, float l1, float l2, float* g) {
  const float two_l2 = 2.0f * l2;
  parallel_for(pool, n, kChunk, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const float v = w[i];
      const float s = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
      g[i] = g[i] + (l1 * s + two_l2 * v);
    }
  });
}

}  // namespace dh::kernels
