// Loss of each row of a batch, its gradient and whether the row was right (portable C++,
// baseline only; cheap next to the GEMMs). Formulas: lib/engine/engine.ts LossSpec, with the
// network output o (k values per row), the last layer's pre-activation z and the target row t
// (class labels become one-hot rows on the fly). Per row everything is float math in element
// order; row r only reads and writes row r, so any split of the rows gives the same bits.
//
// Softmax + categorical cross-entropy from logits (fused on the softmax layer's z, or
// fromLogits on o) is the log-sum-exp-stable kernel: with mx = max_j x_j, s = Σ_j exp(x_j − mx),
// q = (1 − ε)·t + ε/k:
//   p_j = exp(x_j − mx) / s;  loss = Σ_j q_j·((mx − x_j) + log s)   (labels, ε = 0: (mx − x_y) + log s)
//   grad_j = p_j·Σq − q_j
// exp of very negative values underflows to 0; a NaN or ±inf logit gives a non-finite loss.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dh::kernels {

enum class LossKind {
  kMeanSquaredError,
  kMeanAbsoluteError,
  kHuber,
  kBinaryCrossentropy,
  kCategoricalCrossentropy,
  kHinge,
  kSquaredHinge,
  kCategoricalHinge,
  kKullbackLeiblerDivergence,
  kLogCosh,
  kPoisson,
};

struct LossTargets {
  const int32_t* labels = nullptr;  // a class index per dataset row, or
  const float* rows = nullptr;      // a target row of k values per dataset row
  const int32_t* idx = nullptr;     // batch row r is dataset row idx[r] (null: row r)
};

struct LossArgs {
  LossKind kind = LossKind::kCategoricalCrossentropy;
  // BCE / CCE / poisson on logits: fromLogits (the logits are o), or fused (below).
  bool logits = false;
  // Sigmoid (BCE) or softmax (CCE) last layer fused with the loss: the loss reads its
  // pre-activation z, writes o = sigmoid(z) / softmax(z) (o may alias z) and the gradient is
  // w.r.t. z. Otherwise it reads o and the gradient is w.r.t. o.
  bool fused = false;
  float smoothing = 0.0f;  // categoricalCrossentropy's ε
  float delta = 1.0f;      // huber's δ
  float theta = 0.5f;      // k = 1: the row is right when (o > theta) == (t > 0.5)
  size_t k = 0;
  const float* z = nullptr;
  float* o = nullptr;
  // Gradient rows (ld = k): raw / grad_den, or raw · row_scale[r] when row_scale is given.
  // Null: no gradient (evaluation).
  float* grad = nullptr;
  float grad_den = 1.0f;
  const float* row_scale = nullptr;
  float* row_loss = nullptr;       // one per row (unweighted)
  uint8_t* row_correct = nullptr;  // one per row
};

// Rows [r0, r1).
void loss_rows(size_t r0, size_t r1, const LossTargets& t, const LossArgs& a);

// The R-operator of the loss gradient (Hessian-vector products), after loss_rows on the same
// rows: rg = c·H·ru per row, H = ∂²l/∂u² at u = z (fused: computed from o = sigmoid/softmax(z),
// which loss_rows wrote) or u = o, ru = R{u}; c = row_scale[r] or 1/grad_den as for the
// gradient. Piecewise-linear losses (meanAbsoluteError, hinge, categoricalHinge) have H = 0;
// the clamped forms use the branch their gradient takes. Reads a.o, a.grad_den, a.row_scale.
void loss_curvature_rows(size_t r0, size_t r1, const LossTargets& t, const LossArgs& a, const float* ru, float* rg);

}  // namespace dh::kernels
