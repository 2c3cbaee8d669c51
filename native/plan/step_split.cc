#include "plan/step_split.h"

#include <algorithm>

namespace dh::plan {
namespace {

double median(double* v, int n) {
  std::sort(v, v + n);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

void StepSplit::begin(size_t batch) {
  if (batch == batch_) return;
  batch_ = batch;
  probing_ = true;
  step_ = 0;
  keep_steps_ = kKeepSteps;
}

bool StepSplit::parallel(size_t rows) const {
  if (rows != batch_ || !probing_) return keep_parallel_;
  return (step_ / kBlockSteps) % 2 == 0;
}

void StepSplit::record(size_t rows, bool parallel, double seconds) {
  if (rows != batch_) return;
  if (!probing_) {
    if (++step_ >= keep_steps_) probing_ = true, step_ = 0;
    return;
  }
  // A step run the other way than the probe asked (the caller decided) is not a sample.
  const int block = step_ / kBlockSteps, in_block = step_ % kBlockSteps;
  if (parallel != (block % 2 == 0)) return;
  if (in_block > 0) times_[parallel ? 1 : 0][block / 2 * (kBlockSteps - 1) + in_block - 1] = seconds;
  if (++step_ < kProbeSteps) return;
  const double split = median(times_[1], kSamples), serial = median(times_[0], kSamples);
  const bool was = keep_parallel_;
  keep_parallel_ = was ? !(serial < (1.0 - kSwitchMargin) * split) : split < (1.0 - kSwitchMargin) * serial;
  keep_steps_ = keep_parallel_ == was ? std::min(2 * keep_steps_, kMaxKeepSteps) : kKeepSteps;
  probing_ = false;
  step_ = 0;
}

}  // namespace dh::plan
