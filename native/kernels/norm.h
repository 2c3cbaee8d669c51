// Batch and layer normalization, forward and backward (portable C++, baseline only), on the
// thread pool. Statistics and parameter-gradient sums are accumulated in double in row
// order (per feature) or feature order (per row), each by one thread: the same bits for any
// thread count. Element results are float: x̂ = (x − μ)·invstd, y = γ·x̂ + β.
#pragma once

#include <cstddef>

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

// Batch normalization over the rows of x (rows × cols), per feature (column).
struct BatchNormForward {
  size_t rows = 0, cols = 0;
  const float* x = nullptr;
  float* y = nullptr;
  float* xhat = nullptr;  // kept for the backward
  const float* gamma = nullptr;
  const float* beta = nullptr;
  double eps = 1e-5;
  // Training: μ and the biased σ² of the batch (written to mean/var, cols doubles each).
  // Inference: the running statistics.
  bool training = false;
  double* mean = nullptr;
  double* var = nullptr;
  const float* running_mean = nullptr;
  const float* running_var = nullptr;
  float* invstd = nullptr;  // cols: 1/√(σ² + eps) used, kept for the backward
};
void batchnorm_forward(runtime::ThreadPool* pool, const BatchNormForward& f);

// Backward of the same call. Training: dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)) (the
// batch statistics depend on x); inference: dx = dy·γ·invstd. dγ = Σ dy·x̂, dβ = Σ dy over
// the rows (written, or added with accumulate; null: skipped). dx null: skipped.
struct BatchNormBackward {
  size_t rows = 0, cols = 0;
  const float* dy = nullptr;
  const float* xhat = nullptr;
  const float* gamma = nullptr;
  const float* invstd = nullptr;
  bool training = false;
  float* dx = nullptr;
  float* dgamma = nullptr;
  float* dbeta = nullptr;
  bool accumulate = false;
};
void batchnorm_backward(runtime::ThreadPool* pool, const BatchNormBackward& b);

// Layer normalization of each row over its cols features (biased σ²).
struct LayerNormForward {
  size_t rows = 0, cols = 0;
  const float* x = nullptr;
  float* y = nullptr;
  float* xhat = nullptr;
  float* invstd = nullptr;  // rows
  const float* gamma = nullptr;
  const float* beta = nullptr;
  double eps = 1e-5;
};
void layernorm_forward(runtime::ThreadPool* pool, const LayerNormForward& f);

// dx = invstd·(d − mean(d) − x̂·mean(d·x̂)) with d = dy·γ, per row (null: skipped);
// dγ = Σ dy·x̂, dβ = Σ dy over rows (written or added; null: skipped).
struct LayerNormBackward {
  size_t rows = 0, cols = 0;
  const float* dy = nullptr;
  const float* xhat = nullptr;
  const float* invstd = nullptr;
  const float* gamma = nullptr;
  float* dx = nullptr;
  float* dgamma = nullptr;
  float* dbeta = nullptr;
  bool accumulate = false;
};
void layernorm_backward(runtime::ThreadPool* pool, const LayerNormBackward& b);

// R-operators of both norms (Hessian-vector products), after the forward on the same rows.
// The direction's Vγ, Vβ are null for a frozen layer. Forward: R{x̂} = s·(Rx − mean Rx −
// x̂·mean(x̂·Rx)) (batchNorm in inference: s·Rx), R{s} = −s²·mean(x̂·Rx) (batchNorm: per column
// over the rows; layerNorm: per row), Rout = γ·R{x̂} + Vγ·x̂ + Vβ.
struct NormR {
  size_t rows = 0, cols = 0;
  bool training = true;   // batchNorm only
  const float* xhat = nullptr;
  const float* invstd = nullptr;  // batchNorm: cols; layerNorm: rows
  const float* gamma = nullptr;
  const float* vgamma = nullptr;
  const float* vbeta = nullptr;
  float* rxhat = nullptr;  // written by the forward, read by the backward
  double* rs = nullptr;    // R{s}: batchNorm cols, layerNorm rows
  // Forward
  const float* rx = nullptr;
  float* rout = nullptr;
  // Backward: g = ∂L/∂out, rg = R{g}; dx, rdx (null: skipped); hv_gamma/hv_beta (+)= R{dγ} =
  // Σ(Rg·x̂ + g·R{x̂}), R{dβ} = Σ Rg over the rows (null: skipped).
  const float* g = nullptr;
  const float* rg = nullptr;
  float* dx = nullptr;
  float* rdx = nullptr;
  float* hv_gamma = nullptr;
  float* hv_beta = nullptr;
};
void batchnorm_rforward(runtime::ThreadPool* pool, const NormR& r);
void batchnorm_rbackward(runtime::ThreadPool* pool, const NormR& r);
void layernorm_rforward(runtime::ThreadPool* pool, const NormR& r);
void layernorm_rbackward(runtime::ThreadPool* pool, const NormR& r);

}  // namespace dh::kernels
