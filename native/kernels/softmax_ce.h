// Fused softmax + categorical cross-entropy over rows (portable code; cheap next to the
// GEMMs). Log-sum-exp stable: with mx = max_j z_j, s = Σ_j exp(z_j − mx):
//   p_j   = exp(z_j − mx) / s
//   loss  = Σ_j t_j·((mx − z_j) + log s)        (class index y: (mx − z_y) + log s)
//   dz_j  = (p_j·Σt − t_j) / grad_den           (class index y: (p_j − [j == y]) / grad_den)
// exp of very negative values underflows to 0; a NaN or ±inf logit gives a non-finite loss.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dh::kernels {

struct CeTargets {
  const int32_t* labels = nullptr;  // class indices, or
  const float* probs = nullptr;     // target rows of `classes` values (ld = classes)
  const int32_t* rows = nullptr;    // row r's target is entry rows[r] (null: entry r)
};

struct CeOut {
  float* probs = nullptr;   // may alias the logits (same ld); null: not written
  float* dz = nullptr;      // gradient w.r.t. the logits (ld = classes); null: not computed
  float grad_den = 1.0f;
  float* row_loss = nullptr;      // one per row
  uint8_t* row_correct = nullptr; // one per row: argmax(output) == target class (first max wins)
  bool argmax_on_probs = true;    // output row = probabilities (softmax layer) or the logits
};

// Rows [r0, r1) of z (ld = classes).
void softmax_ce_rows(size_t r0, size_t r1, size_t classes, const float* z, const CeTargets& t, const CeOut& o);

// p = softmax(z) in place for rows [r0, r1) (same arithmetic as softmax_ce_rows).
void softmax_rows(size_t r0, size_t r1, size_t classes, float* z);

}  // namespace dh::kernels
