// Threaded wrappers of the table's elementwise kernels and of the portable activation, loss,
// dropout and regularization kernels (kernels/parallel.h: contiguous ranges aligned to 64
// elements, whole rows or column blocks; every output computed by one thread with the same
// code path in a fixed order, so results do not depend on the thread count). Small inputs
// stay on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/loss.h"
#include "kernels/table.h"

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

void relu_backward(const KernelTable& t, runtime::ThreadPool* pool, size_t n, const float* act, float* dz);

void colsum(const KernelTable& t, runtime::ThreadPool* pool, size_t rows, size_t cols, const float* x, size_t ldx,
            float* out, bool accumulate);

// Activation of rows × cols values (softmax: per row; p may alias z). Backward: dz may alias g.
void activation_forward(runtime::ThreadPool* pool, Activation a, float alpha, size_t rows, size_t cols,
                        const float* z, float* o);
void activation_backward(const KernelTable& t, runtime::ThreadPool* pool, Activation a, float alpha, size_t rows,
                         size_t cols, const float* z, const float* o, const float* g, float* dz);

void loss(runtime::ThreadPool* pool, size_t rows, const LossTargets& t, const LossArgs& a);

// R-operators (Hessian-vector products). Forward: ro = f′(z)·rz (softmax: p ⊙ (rz − Σ p·rz)),
// i.e. the backward with g = rz. Backward: out = f″(z)·rz·g + f′(z)·rg (softmax: see
// softmax_rbackward_rows). Loss: rg = c·H·ru (loss_curvature_rows).
void activation_rbackward(runtime::ThreadPool* pool, Activation a, float alpha, size_t rows, size_t cols,
                          const float* z, const float* o, const float* rz, const float* ro, const float* g,
                          const float* rg, float* out);
void loss_curvature(runtime::ThreadPool* pool, size_t rows, const LossTargets& t, const LossArgs& a, const float* ru,
                    float* rg);

// Inverted dropout of rows × cols values: element (r, c) is e = (row0 + r)·cols + c, kept when
// dropout_bits(key, e) >= threshold (then · scale), else 0. y may alias x; backward: dx = dy
// masked and scaled the same way (dx may alias dy).
void dropout(runtime::ThreadPool* pool, size_t rows, size_t cols, size_t row0, uint32_t key, uint32_t threshold,
             float scale, const float* x, float* y);

// Regularization of n weights: returns l1·Σ|w| + l2·Σw² summed in double in a fixed order
// (blocks of kRegBlock elements, block partials in block order; partials holds
// reg_blocks(n) doubles); reg_grad adds l1·sign(w) + 2·l2·w to g (sign(0) = 0).
constexpr size_t kRegBlock = 4096;
inline constexpr size_t reg_blocks(size_t n) { return (n + kRegBlock - 1) / kRegBlock; }
double reg_loss(runtime::ThreadPool* pool, size_t n, const float* w, double l1, double l2, double* partials);
void reg_grad(runtime::ThreadPool* pool, size_t n, const float* w, float l1, float l2, float* g);

}  // namespace dh::kernels
