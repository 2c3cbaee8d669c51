// The optimizer step of a plan: gradient clipping (global L2 norm, value) fused into one
// fused kernel per optimizer over the whole arena. Per-step constants are computed here in
// double, exactly as lib/engine/js/optimizers.ts does, then cast to float once.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "kernels/table.h"
#include "plan/spec.h"

namespace dh::runtime {
class ThreadPool;
}

namespace dh::plan {

// Scratch that outlives steps: the norm partials (sized once: no allocation per step) and
// NAdam's running product of momentum coefficients (recomputed from t when not contiguous).
struct UpdateScratch {
  std::vector<double> partials;
  double nadam_t = 0;
  double nadam_mu_product = 1;
  void reserve(size_t n);
};

using Range = std::pair<size_t, size_t>;  // [start, end) of the arena

// One optimizer step t (from 1) with learning rate lr over an arena of n parameters; state
// holds state_slots(opt) × n floats (slot k at state + k·n). Only the `count` ranges are
// updated (params and state); the clipping norm is over the whole gradient arena (the plan
// keeps gradients outside the ranges at 0).
void apply_update(const kernels::KernelTable& kt, runtime::ThreadPool* pool, const OptimizerSpec& opt, size_t n,
                  const Range* ranges, size_t count, float* params, const float* grads, float* state, float lr,
                  double t, UpdateScratch& scratch);

// The same over the whole arena (one range [0, n)).
void apply_update(const kernels::KernelTable& kt, runtime::ThreadPool* pool, const OptimizerSpec& opt, size_t n,
                  float* params, const float* grads, float* state, float lr, double t, UpdateScratch& scratch);

}  // namespace dh::plan
