// Threaded drivers of the fused optimizer kernels and the gradient-norm reduction used by
// clipping. Work is split into contiguous ranges aligned to 64 elements; every element is
// updated by one thread with the same code, so results never depend on the thread count.
#pragma once

#include <cstddef>

#include "kernels/table.h"

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

// Runs kernel `fn` of a table over [0, n) on the pool (small n stays on the caller).
template <class Step>
using OptimizerKernel = void (*)(size_t n, float* param, const float* grad, Slots st, const Step& s);

using RangeFn = void (*)(const void* ctx, size_t n, float* param, const float* grad, Slots st);
void run_optimizer(runtime::ThreadPool* pool, size_t n, float* param, const float* grad, Slots st, RangeFn fn,
                   const void* ctx);

template <class Step>
void optimizer_update(runtime::ThreadPool* pool, OptimizerKernel<Step> kernel, size_t n, float* param,
                      const float* grad, Slots st, const Step& s) {
  struct Ctx {
    OptimizerKernel<Step> kernel;
    const Step* step;
  } ctx{kernel, &s};
  run_optimizer(
      pool, n, param, grad, st,
      [](const void* c, size_t len, float* p, const float* g, Slots sl) {
        const Ctx* x = static_cast<const Ctx*>(c);
        x->kernel(len, p, g, sl, *x->step);
      },
      &ctx);
}

// Σ x[i]² in double, in a fixed order whatever the thread count, ISA or engine: blocks of
// kSumSquaresBlock elements; within a block 8 lanes (lane i mod 8) summed in index order
// and combined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)); block partials summed in block
// order. A float32 square is exact in double and Σ ≤ 2³²·(2¹²⁸)² = 2²⁸⁸ cannot overflow
// (nor can 1e-30² underflow), so the norm needs no scaling to stay finite and exact-ish.
// `partials` holds sum_squares_blocks(n) doubles.
constexpr size_t kSumSquaresBlock = 4096;
inline constexpr size_t sum_squares_blocks(size_t n) { return (n + kSumSquaresBlock - 1) / kSumSquaresBlock; }
double sum_squares(runtime::ThreadPool* pool, size_t n, const float* x, double* partials);

}  // namespace dh::kernels
