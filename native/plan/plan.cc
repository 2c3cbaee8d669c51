#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/ops.h"
#include "runtime/thread_pool.h"

namespace dh::plan {
namespace {

size_t round16(size_t n) { return (n + 15) / 16 * 16; }

}  // namespace

Plan::Plan(const Spec& spec, const kernels::KernelTable& table, int threads) : spec_(spec), kt_(table) {
  const size_t L = spec_.layers.size();
  dims_.push_back(spec_.input_size);
  for (const auto& l : spec_.layers) {
    w_off_.push_back(params_);
    params_ += l.inputs * l.units + l.units;
    dims_.push_back(l.units);
  }
  softmax_last_ = spec_.layers.back().activation == Activation::kSoftmax;

  const size_t B = spec_.max_batch;
  size_t total = round16(B * dims_[0]) + round16(B);
  for (size_t l = 0; l < L; ++l) total += 2 * round16(B * dims_[l + 1]);
  if (!softmax_last_) total += round16(B * dims_[L]);
  mem_.reset(total);
  row_correct_.reset(B);

  float* p = mem_.data();
  auto take = [&p](size_t n) {
    float* r = p;
    p += round16(n);
    return r;
  };
  xb_ = take(B * dims_[0]);
  row_loss_ = take(B);
  for (size_t l = 0; l < L; ++l) {
    act_.push_back(take(B * dims_[l + 1]));
    dz_.push_back(take(B * dims_[l + 1]));
  }
  if (!softmax_last_) probs_ = take(B * dims_[L]);

  // GEMM shapes: forward (B × out × in), dW (in × out × B), dA (B × in × out).
  const size_t max_dim = *std::max_element(dims_.begin(), dims_.end());
  gemm_ws_.reserve(kt_, std::max(B, max_dim), max_dim, threads);
  if (spec_.optimizer.clip_norm > 0) update_.reserve(params_);
}

void Plan::gather(const float* x, const int32_t* idx, size_t rows) {
  const size_t d = dims_[0];
  for (size_t r = 0; r < rows; ++r) std::memcpy(xb_ + r * d, x + static_cast<size_t>(idx[r]) * d, d * sizeof(float));
}

void Plan::forward(const Arenas& a, const float* in, size_t rows, float* last_out) {
  runtime::ThreadPool* pool = &runtime::pool();
  const size_t L = spec_.layers.size();
  for (size_t l = 0; l < L; ++l) {
    const size_t din = dims_[l], dout = dims_[l + 1];
    kernels::GemmArgs g;
    g.m = rows, g.n = dout, g.k = din;
    g.a = l == 0 ? in : act_[l - 1], g.lda = din;
    g.b = a.params + w_off_[l], g.ldb = dout;
    g.beta = 0.0f;
    g.c = (l + 1 == L && last_out) ? last_out : act_[l], g.ldc = dout;
    g.bias = g.b + din * dout;
    g.epilogue = spec_.layers[l].activation == Activation::kRelu ? kernels::Epilogue::kBiasRelu
                                                                 : kernels::Epilogue::kBias;
    kernels::gemm(kt_, g, gemm_ws_, pool);
  }
}

double Plan::loss(const Targets& y, const int32_t* idx, size_t rows, float grad_den, size_t* correct) {
  const size_t L = spec_.layers.size();
  const size_t classes = dims_[L];
  kernels::CeTargets t;
  t.labels = y.labels;
  t.probs = y.probs;
  t.rows = idx;
  kernels::CeOut o;
  o.probs = softmax_last_ ? act_[L - 1] : probs_;  // logits → probabilities in place for softmax
  o.dz = dz_[L - 1];
  o.grad_den = grad_den;
  o.row_loss = row_loss_;
  o.row_correct = row_correct_.data();
  o.argmax_on_probs = softmax_last_;
  kernels::softmax_ce(&runtime::pool(), rows, classes, act_[L - 1], t, o);
  // Fixed order, whatever the thread count.
  double sum = 0;
  size_t ok = 0;
  for (size_t r = 0; r < rows; ++r) {
    sum += static_cast<double>(row_loss_[r]);
    ok += row_correct_.data()[r];
  }
  *correct = ok;
  return sum;
}

void Plan::backward(const Arenas& a, const float* in, size_t rows, bool accumulate) {
  runtime::ThreadPool* pool = &runtime::pool();
  for (size_t l = spec_.layers.size(); l-- > 0;) {
    const size_t din = dims_[l], dout = dims_[l + 1];
    float* dz = dz_[l];
    if (spec_.layers[l].activation == Activation::kRelu) kernels::relu_backward(kt_, pool, rows * dout, act_[l], dz);
    const float* w = a.params + w_off_[l];
    float* gw = a.grads + w_off_[l];
    float* gb = gw + din * dout;
    // dW = A_prevᵀ · dZ
    kernels::GemmArgs g;
    g.trans_a = true;
    g.m = din, g.n = dout, g.k = rows;
    g.a = l == 0 ? in : act_[l - 1], g.lda = din;
    g.b = dz, g.ldb = dout;
    g.beta = accumulate ? 1.0f : 0.0f;
    g.c = gw, g.ldc = dout;
    kernels::gemm(kt_, g, gemm_ws_, pool);
    // db = Σ_rows dZ
    kernels::colsum(kt_, pool, rows, dout, dz, dout, gb, accumulate);
    // dA_prev = dZ · Wᵀ (becomes dZ_prev after the previous layer's activation mask)
    if (l > 0) {
      kernels::GemmArgs h;
      h.trans_b = true;
      h.m = rows, h.n = din, h.k = dout;
      h.a = dz, h.lda = dout;
      h.b = w, h.ldb = dout;
      h.beta = 0.0f;
      h.c = dz_[l - 1], h.ldc = din;
      kernels::gemm(kt_, h, gemm_ws_, pool);
    }
  }
}

void Plan::update(const Arenas& a, float lr, double t) {
  apply_update(kt_, &runtime::pool(), spec_.optimizer, params_, a.params, a.grads, a.state, lr, t, update_);
}

size_t Plan::train_steps(const Arenas& a, const TrainRequest& req, const std::atomic<bool>& cancel) {
  runtime::ScopedDenormalsFlush ftz;
  for (size_t i = 0; i < req.steps; ++i) {
    if (cancel.load(std::memory_order_relaxed)) return i;
    const size_t b0 = i * req.batch;
    const size_t rows = std::min(req.batch, req.count - b0);
    const int32_t* idx = req.indices + b0;
    gather(req.x, idx, rows);
    forward(a, xb_, rows, nullptr);
    size_t correct = 0;
    const double sum = loss(req.y, idx, rows, static_cast<float>(rows), &correct);
    const float mean = static_cast<float>(sum / static_cast<double>(rows));
    req.loss_out[i] = mean;
    req.correct_out[i] = static_cast<int32_t>(correct);
    if (!std::isfinite(mean)) return i;
    backward(a, xb_, rows, false);
    // (Seam for data-parallel training: an attached collective would allreduce a.grads here.)
    update(a, req.lrs[i], req.step_start + static_cast<double>(i) + 1.0);
  }
  return req.steps;
}

bool Plan::predict(const Arenas& a, const float* x, size_t rows, float* out, const std::atomic<bool>* cancel) {
  runtime::ScopedDenormalsFlush ftz;
  const size_t d0 = dims_[0], dl = dims_.back();
  for (size_t r0 = 0; r0 < rows; r0 += spec_.max_batch) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return false;
    const size_t n = std::min(spec_.max_batch, rows - r0);
    float* o = out + r0 * dl;
    forward(a, x + r0 * d0, n, o);
    if (softmax_last_) kernels::softmax(&runtime::pool(), n, dl, o);
  }
  return true;
}

double Plan::loss_and_grad(const Arenas& a, const float* x, const Targets& y, const int32_t* indices, size_t count) {
  runtime::ScopedDenormalsFlush ftz;
  double sum = 0;
  for (size_t c0 = 0; c0 < count; c0 += spec_.max_batch) {
    const size_t rows = std::min(spec_.max_batch, count - c0);
    const int32_t* idx = indices + c0;
    gather(x, idx, rows);
    forward(a, xb_, rows, nullptr);
    size_t correct = 0;
    sum += loss(y, idx, rows, static_cast<float>(count), &correct);
    backward(a, xb_, rows, c0 > 0);
  }
  return sum / static_cast<double>(count);
}

}  // namespace dh::plan
