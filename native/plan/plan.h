// A compiled network: arena offsets, a workspace for maxBatch rows allocated once, and the
// units of work the binding exposes (train steps, predict, evaluate, loss and gradient).
// Pure C++17; never throws after construction and never allocates in a call: results come
// back as return values (steps completed, cancelled or not).
//
// Behaviours (engine.ts): training = dropout masks on (step t, batch row r), batchNorm on
// the batch statistics; inference = dropout off, batchNorm on the running statistics.
// trainSteps trains (and updates batchNorm's running statistics); predict and evaluate infer;
// lossAndGrad does either.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/table.h"
#include "plan/spec.h"
#include "plan/step_split.h"
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

// Class indices (one per dataset row, in [0, outputs); only for losses that take labels) or
// target rows (outputs floats per dataset row); optional weights (one per dataset row,
// finite, >= 0), indexed like the targets.
struct Targets {
  const int32_t* labels = nullptr;
  const float* probs = nullptr;
  const float* weights = nullptr;
};

struct TrainRequest {
  const float* x = nullptr;  // rows × inputSize
  Targets y;
  const int32_t* indices = nullptr;  // every entry in [0, rows)
  size_t count = 0;                  // indices
  size_t batch = 0;                  // 1..maxBatch (>= 2 rows in every batch with batchNorm)
  const float* lrs = nullptr;        // one per step
  size_t steps = 0;                  // ceil(count / batch)
  double step_start = 0;             // optimizer steps already taken
  float* loss_out = nullptr;         // steps
  int32_t* correct_out = nullptr;    // steps
};

// K-FAC's Kronecker factors (engine.ts LossAndGradOptions.factors), one pair per dense layer
// in order, frozen ones included: a[i] is d×d, d = inputs + 1 (useBias) or inputs; g[i] is
// units×units; row-major, JS memory.
struct Factors {
  float* const* a = nullptr;
  float* const* g = nullptr;
};

struct EvalResult {
  double loss = 0;
  size_t correct = 0;
};

class Plan {
 public:
  // Allocates the whole workspace (throws std::bad_alloc); spec must pass validate().
  Plan(const Spec& spec, const kernels::KernelTable& table, int threads);

  const Spec& spec() const { return spec_; }
  size_t param_count() const { return params_; }
  size_t output_size() const { return dims_.back(); }

  // Runs the steps in order; returns how many completed. Stops early (without updating
  // anything, running statistics included) when a step's loss is not finite (its loss is in
  // loss_out[returned]), or before a step when `cancel` is set.
  size_t train_steps(const Arenas& a, const TrainRequest& req, const std::atomic<bool>& cancel);

  // out (rows × outputs) = network output (probabilities for a softmax last layer).
  // Returns false if `cancel` was seen between chunks.
  bool predict(const Arenas& a, const float* x, size_t rows, float* out, const std::atomic<bool>* cancel);

  // Loss (Σ w·l / Σ w + regularization) and rows right over every row of x in order, in
  // chunks of maxBatch; outputs into out (rows × outputs) when not null. False if cancelled.
  bool evaluate(const Arenas& a, const float* x, const Targets& y, size_t rows, float* out,
                const std::atomic<bool>* cancel, EvalResult* result);

  // Loss over the indexed rows (as a train step reports it); grads = its gradient. No update.
  // count 0: the regularization term and its gradient; with training and batchNorm,
  // 2 <= count <= maxBatch. Dropout masks of `step`,
  // rows numbered by their position in indices.
  // With factors, also fills K-FAC's factors from the same passes: A = (1/n)·Σ āāᵀ (ā = [x; 1]),
  // G = n·Σ δδᵀ (δ = ∂loss/∂z of the row), summed in float32 by the GEMM and mirrored from the
  // upper triangle so both are exactly symmetric (zeros for count 0).
  double loss_and_grad(const Arenas& a, const float* x, const Targets& y, const int32_t* indices, size_t count,
                       bool training, uint64_t step, const Factors* factors = nullptr);
  size_t dense_layers() const { return dense_count_; }

  // H·v of the loss over the indexed rows (as loss_and_grad computes it, same behaviour) by the
  // R-operator (forward-over-reverse), into out (param_count() floats, JS memory, not
  // overlapping v). Only the trainable ranges count: v elsewhere is ignored and out there is 0;
  // L2 regularization adds 2·l2·v (L1 has no curvature away from 0). The gradient arena is not
  // touched. Call prepare_r() first (it allocates the R-operator's buffers once).
  void hessian_vector(const Arenas& a, const float* x, const Targets& y, const int32_t* indices, size_t count,
                      bool training, uint64_t step, const float* v, float* out);
  void prepare_r();

 private:
  struct LayerWs {
    size_t off = 0;           // arena offset of the layer's first parameter
    float* out = nullptr;     // output buffer (maxBatch × units)
    float* d = nullptr;       // gradient w.r.t. the output, in place w.r.t. z for dense
    float* keep = nullptr;    // dense with a z-derivative activation: z; norms: x̂
    float* invstd = nullptr;  // batchNorm: units; layerNorm: maxBatch
    double* mean = nullptr;   // batchNorm: batch statistics for the running update
    double* var = nullptr;
    uint32_t threshold = 0;   // dropout
    float scale = 1.0f;
    // Set by the last forward: input and output rows (inference dropout aliases them).
    const float* x = nullptr;
    float* y = nullptr;
  };
  // Where a forward/backward pass runs: the whole batch, its kernels split over the pool (no
  // Lane), or one lane — a contiguous slice of the batch's rows that one thread runs alone with
  // its own GEMM scratch and gradient arena (data-parallel steps, see train_steps).
  struct Lane {
    size_t row = 0;                // the slice's first row in the workspace buffers (and in the dropout numbering)
    int slot = 0;                  // GEMM scratch
    const float* input = nullptr;  // the slice's input rows
    float* grads = nullptr;        // the gradient arena its backward writes
  };
  struct RegTerm {
    size_t off, n;
    double l1, l2;
    bool grad;  // the layer is trainable
  };

  // The pool for a kernel of a whole-batch pass: none in a lane or in a serial train step.
  runtime::ThreadPool* whole_pool(const Lane* lane) const;
  void zero_frozen_grads(const Arenas& a) const;
  // Input rows [r0, r1) of the batch (dataset rows idx[r]) into xb_.
  void gather(const float* x, const int32_t* idx, size_t r0, size_t r1);
  // Sets row_scale_ for weighted rows; returns Σ w over them (double, in row order).
  double weight_sum(const float* weights, const int32_t* idx, size_t rows) const;
  void forward(const Arenas& a, const float* in, size_t rows, bool training, uint64_t step, size_t row0,
               bool fused_stop, float* last_out, const Lane* lane = nullptr);
  // Loss of the last forward's rows: row_loss_, row_correct_, and the gradient rows into the
  // last layer's d (scaled by row_scale_ or 1/grad_den) when `grad`. With a lane: its rows
  // [lane->row, lane->row + rows) on this thread; else rows [0, rows) on the pool.
  void loss(const Targets& y, const int32_t* idx, size_t rows, bool grad, float grad_den, bool weighted,
            const Lane* lane = nullptr);
  // Σ w·l (weighted) or Σ l over rows, in row order; adds the rows right to *correct.
  double loss_sum(const float* weights, const int32_t* idx, size_t rows, size_t* correct) const;
  // Down to the lowest layer with trainable parameters (with factors: the lowest dense layer).
  void backward(const Arenas& a, size_t rows, bool training, uint64_t step, size_t row0, bool accumulate,
                const Factors* factors = nullptr, size_t count = 0, const Lane* lane = nullptr);
  // Batch reductions (dW, db) sum blocks of this many rows, each from zero, in block order;
  // a lane is one block (see lanes_for in plan.cc).
  static constexpr size_t kRowBlock = 256;
  // Lanes for a training batch of `rows`; 1: the whole batch, its kernels split over the pool.
  size_t lanes_for(size_t rows) const;
  size_t lane_threads() const;
  // Lanes for an inference chunk of `rows` (any split gives the same bits).
  size_t infer_lanes(size_t rows) const;
  // One data-parallel step's forward, loss and backward over `lanes` slices of the batch: lane 0's
  // gradients in a.grads, lane l's in the l-th spare arena (lane_grads_), to be summed in lane order.
  void lane_step(const Arenas& a, const TrainRequest& req, const int32_t* idx, size_t rows, size_t lanes,
                 uint64_t step, bool weighted);
  void accumulate_factors(const float* x, const float* dz, size_t rows, size_t din, size_t dout, bool bias, size_t di,
                          const Factors* f, size_t count, bool accumulate);
  // Mirrors the upper triangles into the lower ones (or zeroes the factors when empty).
  void finish_factors(const Factors* f, bool empty);
  void update_running_stats(const Arenas& a, size_t rows);
  void r_forward(const Arenas& a, size_t rows, bool training, uint64_t step, size_t row0, const float* v);
  void r_backward(const Arenas& a, size_t rows, bool training, uint64_t step, size_t row0, const float* v, float* out);
  double reg_loss(const Arenas& a);
  void reg_grads(const Arenas& a);

  Spec spec_;
  const kernels::KernelTable& kt_;
  std::vector<size_t> dims_;  // d0 = inputSize, d[l+1] = units of layer l
  size_t params_ = 0;
  bool fused_ = false;        // loss on the last layer's z
  float theta_ = 0.5f;        // k = 1 correctness threshold
  int first_trainable_ = -1;  // lowest layer with trainable parameters (-1: none)
  int first_dense_ = -1;      // lowest dense layer (-1: none)
  size_t dense_count_ = 0;
  std::vector<size_t> dense_index_;  // layer → its index among the dense layers
  std::vector<Range> ranges_, frozen_;
  std::vector<RegTerm> reg_;

  runtime::AlignedArray<float> mem_;
  runtime::AlignedArray<double> dmem_;
  float* xb_ = nullptr;  // gathered input rows
  float* zeros_ = nullptr;  // a zero bias for bias-free ReLU layers
  float* row_loss_ = nullptr;
  float* row_scale_ = nullptr;
  float* colbuf_ = nullptr;  // column sums for the factors' bias row
  double* reg_partials_ = nullptr;
  std::vector<LayerWs> ws_;
  // The R-operator's buffers (hessian_vector), allocated by prepare_r().
  struct LayerR {
    float* z = nullptr;      // dense: R{z}
    float* out = nullptr;    // R{output}
    float* d = nullptr;      // R{∂L/∂output}, in place R{∂L/∂z} for dense
    float* xhat = nullptr;   // norms: R{x̂}
    double* rs = nullptr;    // norms: R{invstd}
    const float* x = nullptr;  // set by r_forward: R{input}
    float* y = nullptr;        // R{output} used (inference dropout aliases R{input})
    bool x_zero = true;        // R{input} is 0 (no trainable layer below)
  };
  std::vector<LayerR> r_;
  runtime::AlignedArray<float> rmem_;
  runtime::AlignedArray<double> rdmem_;
  float* r_input_ = nullptr;  // R{x} = 0
  bool lanes_ok_ = false;  // no batchNorm or layerNorm, something to train
  bool has_batch_norm_ = false;
  size_t max_lanes_ = 1;   // lanes the spare gradient arenas allow
  runtime::AlignedArray<float> lane_grads_;  // (max_lanes_ − 1) gradient arenas, lanes 1…
  runtime::AlignedArray<uint8_t> row_correct_;
  kernels::GemmWorkspace gemm_ws_;
  UpdateScratch update_;  // clipping partials, NAdam product
  StepSplit step_split_;  // whole-batch train steps: on the pool or on the calling thread
  bool serial_ = false;   // the current train step runs on the calling thread alone
};

}  // namespace dh::plan
