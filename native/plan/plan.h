// A compiled network: arena offsets, a workspace for maxBatch rows allocated once, and the
// units of work the binding exposes (train steps, predict, loss and gradient). Pure C++17;
// never throws after construction and never allocates in a call: results come back as
// return values (steps completed, cancelled or not).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/table.h"
#include "plan/spec.h"
#include "plan/update.h"
#include "runtime/memory.h"

namespace dh::plan {

// JS-owned arenas (lengths checked by the binding): params and grads hold param_count()
// floats, state holds state_slots() × param_count().
struct Arenas {
  float* params = nullptr;
  float* grads = nullptr;
  float* state = nullptr;
};

// Class indices (one per row, in [0, outputs)) or target rows (outputs floats per row).
struct Targets {
  const int32_t* labels = nullptr;
  const float* probs = nullptr;
};

struct TrainRequest {
  const float* x = nullptr;  // rows × inputSize
  Targets y;
  const int32_t* indices = nullptr;  // every entry in [0, rows)
  size_t count = 0;                  // indices
  size_t batch = 0;                  // 1..maxBatch
  const float* lrs = nullptr;        // one per step
  size_t steps = 0;                  // ceil(count / batch)
  double step_start = 0;             // optimizer steps already taken
  float* loss_out = nullptr;         // steps
  int32_t* correct_out = nullptr;    // steps
};

class Plan {
 public:
  // Allocates the whole workspace (throws std::bad_alloc); spec must pass validate().
  Plan(const Spec& spec, const kernels::KernelTable& table, int threads);

  const Spec& spec() const { return spec_; }
  size_t param_count() const { return params_; }
  size_t output_size() const { return dims_.back(); }

  // Runs the steps in order; returns how many completed. Stops early (without updating)
  // when a step's loss is not finite (its loss is in loss_out[returned]), or before a step
  // when `cancel` is set.
  size_t train_steps(const Arenas& a, const TrainRequest& req, const std::atomic<bool>& cancel);

  // out (rows × outputs) = network output (probabilities for a softmax last layer).
  // Returns false if `cancel` was seen between chunks.
  bool predict(const Arenas& a, const float* x, size_t rows, float* out, const std::atomic<bool>* cancel);

  // Mean loss over the indexed rows; grads = its gradient. No update. count >= 1.
  double loss_and_grad(const Arenas& a, const float* x, const Targets& y, const int32_t* indices, size_t count);

 private:
  void gather(const float* x, const int32_t* idx, size_t rows);
  void forward(const Arenas& a, const float* in, size_t rows, float* last_out);
  // Loss rows for the last forward; fills dz of the last layer (scaled by 1/grad_den),
  // row_loss_, row_correct_. Returns Σ row losses (double, in row order).
  double loss(const Targets& y, const int32_t* idx, size_t rows, float grad_den, size_t* correct);
  void backward(const Arenas& a, const float* in, size_t rows, bool accumulate);
  void update(const Arenas& a, float lr, double t);

  Spec spec_;
  const kernels::KernelTable& kt_;
  std::vector<size_t> dims_;      // d0 = inputSize, d[l+1] = units of layer l
  std::vector<size_t> w_off_;     // arena offset of W_l; b_l follows at + d[l]·d[l+1]
  size_t params_ = 0;
  bool softmax_last_ = false;

  runtime::AlignedArray<float> mem_;
  float* xb_ = nullptr;            // gathered input rows
  std::vector<float*> act_;        // layer outputs (after activation)
  std::vector<float*> dz_;         // gradients w.r.t. each layer's pre-activation
  float* probs_ = nullptr;         // probabilities when the last layer is not softmax
  float* row_loss_ = nullptr;
  runtime::AlignedArray<uint8_t> row_correct_;
  kernels::GemmWorkspace gemm_ws_;
  UpdateScratch update_;  // clipping partials, NAdam product
};

}  // namespace dh::plan
