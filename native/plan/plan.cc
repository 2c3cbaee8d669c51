#include "plan/plan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "kernels/dropout.h"
#include "kernels/norm.h"
#include "kernels/ops.h"
#include "kernels/parallel.h"
#include "runtime/thread_pool.h"

namespace dh::plan {
namespace {

inline void prefetch_row(const float* row, size_t bytes) {
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}

size_t round16(size_t n) { return (n + 15) / 16 * 16; }

// The spare gradient arenas of the lanes stay within 64 MB.
constexpr size_t kMaxLaneGradFloats = size_t(16) << 20;

bool has_params(const Layer& l) {
  return l.kind == LayerKind::kDense || l.kind == LayerKind::kBatchNorm || l.kind == LayerKind::kLayerNorm;
}

}  // namespace

Plan::Plan(const Spec& spec, const kernels::KernelTable& table, int threads) : spec_(spec), kt_(table) {
  const size_t L = spec_.layers.size();
  const size_t B = spec_.max_batch;
  dims_.push_back(spec_.input_size);
  ws_.resize(L);
  size_t max_units = 1, reg_blocks = 0;
  for (size_t l = 0; l < L; ++l) {
    const Layer& ly = spec_.layers[l];
    ws_[l].off = params_;
    params_ += layer_param_count(ly);
    dims_.push_back(ly.units);
    max_units = std::max(max_units, ly.units);
    if (has_params(ly) && ly.trainable && first_trainable_ < 0) first_trainable_ = static_cast<int>(l);
    dense_index_.push_back(dense_count_);
    if (ly.kind == LayerKind::kDense) {
      if (first_dense_ < 0) first_dense_ = static_cast<int>(l);
      ++dense_count_;
    }
    if (ly.kind == LayerKind::kDropout) {
      ws_[l].threshold = kernels::dropout_threshold(ly.rate);
      ws_[l].scale = static_cast<float>(1.0 / (1.0 - ly.rate));
    }
    if (ly.kind == LayerKind::kDense) {
      const size_t w = ly.inputs * ly.units;
      if (ly.kernel_l1 != 0 || ly.kernel_l2 != 0) {
        reg_.push_back({ws_[l].off, w, ly.kernel_l1, ly.kernel_l2, ly.trainable});
        reg_blocks = std::max(reg_blocks, kernels::reg_blocks(w));
      }
      if (ly.use_bias && (ly.bias_l1 != 0 || ly.bias_l2 != 0)) {
        reg_.push_back({ws_[l].off + w, ly.units, ly.bias_l1, ly.bias_l2, ly.trainable});
        reg_blocks = std::max(reg_blocks, kernels::reg_blocks(ly.units));
      }
    }
  }
  fused_ = loss_fused(spec_);
  const LossKind lk = spec_.loss.kind;
  theta_ = lk == LossKind::kHinge || lk == LossKind::kSquaredHinge || spec_.loss.from_logits ? 0.0f : 0.5f;
  ranges_ = trainable_ranges(spec_);
  size_t at = 0;
  for (const Range& r : ranges_) {
    if (r.first > at) frozen_.emplace_back(at, r.first);
    at = r.second;
  }
  if (params_ > at) frozen_.emplace_back(at, params_);

  // Workspace: float buffers, then double buffers.
  const size_t max_dim = std::max(max_units, spec_.input_size);
  size_t total = round16(B * dims_[0]) + round16(max_units) + 2 * round16(B) + round16(max_dim);
  size_t dtotal = round16(reg_blocks);
  for (size_t l = 0; l < L; ++l) {
    const Layer& ly = spec_.layers[l];
    const size_t n = B * ly.units;
    total += 2 * round16(n);
    const bool keeps_z = ly.kind == LayerKind::kDense && !kernels::act_backward_uses_output(ly.activation);
    if (keeps_z || ly.kind == LayerKind::kBatchNorm || ly.kind == LayerKind::kLayerNorm) total += round16(n);
    if (ly.kind == LayerKind::kBatchNorm) total += round16(ly.units), dtotal += 2 * round16(ly.units);
    if (ly.kind == LayerKind::kLayerNorm) total += round16(B);
  }
  mem_.reset(total);
  dmem_.reset(dtotal);
  row_correct_.reset(B);

  float* p = mem_.data();
  auto take = [&p](size_t n) {
    float* r = p;
    p += round16(n);
    return r;
  };
  double* dp = dmem_.data();
  auto dtake = [&dp](size_t n) {
    double* r = dp;
    dp += round16(n);
    return r;
  };
  xb_ = take(B * dims_[0]);
  zeros_ = take(max_units);
  row_loss_ = take(B);
  row_scale_ = take(B);
  colbuf_ = take(max_dim);
  reg_partials_ = dtake(reg_blocks);
  for (size_t l = 0; l < L; ++l) {
    const Layer& ly = spec_.layers[l];
    const size_t n = B * ly.units;
    ws_[l].out = take(n);
    ws_[l].d = take(n);
    const bool keeps_z = ly.kind == LayerKind::kDense && !kernels::act_backward_uses_output(ly.activation);
    if (keeps_z || ly.kind == LayerKind::kBatchNorm || ly.kind == LayerKind::kLayerNorm) ws_[l].keep = take(n);
    if (ly.kind == LayerKind::kBatchNorm) {
      ws_[l].invstd = take(ly.units);
      ws_[l].mean = dtake(ly.units);
      ws_[l].var = dtake(ly.units);
    }
    if (ly.kind == LayerKind::kLayerNorm) ws_[l].invstd = take(B);
  }

  // GEMM shapes: forward (B × out × in), dW (in × out × B), dA (B × in × out); factors
  // (in × in × B, out × out × B).
  gemm_ws_.reserve(kt_, std::max(B, max_dim), max_dim, threads);
  lanes_ok_ = first_trainable_ >= 0;
  for (const Layer& ly : spec_.layers) {
    if (ly.kind == LayerKind::kBatchNorm || ly.kind == LayerKind::kLayerNorm) lanes_ok_ = false;
    if (ly.kind == LayerKind::kBatchNorm) has_batch_norm_ = true;
  }
  if (lanes_ok_ && params_ > 0 && lane_threads() >= 2 && B >= lane_threads() * kRowBlock) {
    max_lanes_ = std::min((B + kRowBlock - 1) / kRowBlock, 1 + kMaxLaneGradFloats / params_);
    lane_grads_.reset((max_lanes_ - 1) * params_);
  }
  if (spec_.optimizer.clip_norm > 0) update_.reserve(params_);
}

runtime::ThreadPool* Plan::whole_pool(const Lane* lane) const { return lane || serial_ ? nullptr : &runtime::pool(); }

void Plan::zero_frozen_grads(const Arenas& a) const {
  for (const Range& r : frozen_) std::memset(a.grads + r.first, 0, (r.second - r.first) * sizeof(float));
}

// A shuffled batch's rows sit at random places in x (often far beyond the caches): every line of
// the row kGatherAhead rows on is requested before this row is copied, so the memory latency of
// the coming rows overlaps the copies instead of following each one.
constexpr size_t kGatherAhead = 3;

void Plan::gather(const float* x, const int32_t* idx, size_t r0, size_t r1) {
  const size_t d = dims_[0];
  const size_t bytes = d * sizeof(float);
  for (size_t r = r0; r < std::min(r1, r0 + kGatherAhead); ++r) prefetch_row(x + static_cast<size_t>(idx[r]) * d, bytes);
  for (size_t r = r0; r < r1; ++r) {
    if (r + kGatherAhead < r1) prefetch_row(x + static_cast<size_t>(idx[r + kGatherAhead]) * d, bytes);
    std::memcpy(xb_ + r * d, x + static_cast<size_t>(idx[r]) * d, bytes);
  }
}

double Plan::weight_sum(const float* weights, const int32_t* idx, size_t rows) const {
  double s = 0;
  for (size_t r = 0; r < rows; ++r) s += static_cast<double>(weights[idx ? static_cast<size_t>(idx[r]) : r]);
  return s;
}

void Plan::forward(const Arenas& a, const float* in, size_t rows, bool training, uint64_t step, size_t row0,
                   bool fused_stop, float* last_out, const Lane* lane) {
  // A lane works on its slice of every buffer (rows from r) on this thread alone.
  runtime::ThreadPool* pool = whole_pool(lane);
  const size_t r = lane ? lane->row : 0;
  const int slot = lane ? lane->slot : 0;
  const size_t L = spec_.layers.size();
  const float* x = in;
  for (size_t l = 0; l < L; ++l) {
    const Layer& ly = spec_.layers[l];
    LayerWs& w = ws_[l];
    const bool last = l + 1 == L;
    const size_t din = dims_[l], dout = dims_[l + 1], n = rows * dout;
    float* y = last && last_out ? last_out : w.out + r * dout;
    const float alpha = static_cast<float>(ly.alpha);
    if (!lane) w.x = x;
    switch (ly.kind) {
      case LayerKind::kDense: {
        const bool stop = last && fused_stop;
        const bool relu = !stop && ly.activation == Activation::kRelu;
        const bool keeps_z = !stop && w.keep != nullptr;
        float* z = keeps_z ? w.keep + r * dout : y;
        kernels::GemmArgs g;
        g.m = rows, g.n = dout, g.k = din;
        g.a = x, g.lda = din;
        g.b = a.params + w.off, g.ldb = dout;
        g.beta = 0.0f;
        g.c = z, g.ldc = dout;
        g.bias = ly.use_bias ? g.b + din * dout : zeros_;
        g.epilogue = relu ? kernels::Epilogue::kBiasRelu
                          : (ly.use_bias ? kernels::Epilogue::kBias : kernels::Epilogue::kNone);
        kernels::gemm(kt_, g, gemm_ws_, pool, slot);
        if (!stop && !relu && ly.activation != Activation::kLinear)
          kernels::activation_forward(pool, ly.activation, alpha, rows, dout, g.c, y);
        break;
      }
      case LayerKind::kActivation:
        if (!(last && fused_stop)) kernels::activation_forward(pool, ly.activation, alpha, rows, dout, x, y);
        break;
      case LayerKind::kDropout:
        if (training) {
          const uint32_t key = kernels::dropout_key(spec_.seed, step, static_cast<uint32_t>(l));
          kernels::dropout(pool, rows, dout, row0 + r, key, w.threshold, w.scale, x, y);
        } else if (y == last_out) {
          std::memcpy(y, x, n * sizeof(float));
        } else {
          y = const_cast<float*>(x);  // identity: the next layer reads the input rows
        }
        break;
      case LayerKind::kBatchNorm: {  // never in a lane: the statistics span the whole batch
        kernels::BatchNormForward f;
        f.rows = rows, f.cols = dout, f.x = x, f.y = y, f.xhat = w.keep;
        f.gamma = a.params + w.off, f.beta = f.gamma + dout;
        f.eps = ly.eps;
        f.training = training;
        f.mean = w.mean, f.var = w.var;
        f.running_mean = f.gamma + 2 * dout, f.running_var = f.gamma + 3 * dout;
        f.invstd = w.invstd;
        kernels::batchnorm_forward(pool, f);
        break;
      }
      case LayerKind::kLayerNorm: {
        kernels::LayerNormForward f;
        f.rows = rows, f.cols = dout, f.x = x, f.y = y, f.xhat = w.keep + r * dout, f.invstd = w.invstd + r;
        f.gamma = a.params + w.off, f.beta = f.gamma + dout;
        f.eps = ly.eps;
        kernels::layernorm_forward(pool, f);
        break;
      }
    }
    if (!lane) w.y = y;
    x = y;
  }
}

void Plan::loss(const Targets& y, const int32_t* idx, size_t rows, bool grad, float grad_den, bool weighted,
                const Lane* lane) {
  const size_t L = spec_.layers.size();
  const Layer& last = spec_.layers[L - 1];
  LayerWs& w = ws_[L - 1];
  kernels::LossTargets t;
  t.labels = y.labels;
  t.rows = y.probs;
  t.idx = idx;
  kernels::LossArgs args;
  args.kind = spec_.loss.kind;
  args.logits = fused_ || spec_.loss.from_logits;
  args.fused = fused_;
  args.smoothing = static_cast<float>(spec_.loss.label_smoothing);
  args.delta = static_cast<float>(spec_.loss.delta);
  args.theta = theta_;
  args.k = dims_[L];
  // Fused: a dense layer's z is in its output rows (o overwrites it); an activation layer's
  // z is its input. A lane's forward (training: every layer writes its own out) records
  // nothing, so its buffers are named here; the lane's rows start at lane->row in them.
  float* o = lane ? w.out : w.y;
  const float* in = lane ? (L >= 2 ? ws_[L - 2].out : xb_) : w.x;
  args.z = fused_ ? (last.kind == LayerKind::kDense ? o : in) : nullptr;
  args.o = o;
  args.grad = grad ? w.d : nullptr;
  args.grad_den = grad_den;
  args.row_scale = weighted ? row_scale_ : nullptr;
  args.row_loss = row_loss_;
  args.row_correct = row_correct_.data();
  if (lane) {
    kernels::loss_rows(lane->row, lane->row + rows, t, args);
    return;
  }
  kernels::loss(whole_pool(nullptr), rows, t, args);
}

double Plan::loss_sum(const float* weights, const int32_t* idx, size_t rows, size_t* correct) const {
  double sum = 0;
  size_t ok = 0;
  for (size_t r = 0; r < rows; ++r) {
    const double l = static_cast<double>(row_loss_[r]);
    sum += weights ? static_cast<double>(weights[idx ? static_cast<size_t>(idx[r]) : r]) * l : l;
    ok += row_correct_.data()[r];
  }
  *correct += ok;
  return sum;
}

void Plan::backward(const Arenas& a, size_t rows, bool training, uint64_t step, size_t row0, bool accumulate,
                    const Factors* factors, size_t count, const Lane* lane) {
  runtime::ThreadPool* pool = whole_pool(lane);
  const size_t r = lane ? lane->row : 0;
  const int slot = lane ? lane->slot : 0;
  float* const grads = lane ? lane->grads : a.grads;
  const size_t L = spec_.layers.size();
  int stop = first_trainable_;
  if (factors && first_dense_ >= 0) stop = stop < 0 ? first_dense_ : std::min(stop, first_dense_);
  if (stop < 0) return;
  for (size_t l = L; l-- > static_cast<size_t>(stop);) {
    const Layer& ly = spec_.layers[l];
    LayerWs& w = ws_[l];
    const size_t din = dims_[l], dout = dims_[l + 1], n = rows * dout;
    const bool last = l + 1 == L;
    const bool need_dx = l > static_cast<size_t>(stop);
    float* dx = need_dx ? ws_[l - 1].d + r * din : nullptr;
    float* g = w.d + r * dout;
    // The layer's input and output rows: recorded by a whole-batch forward; a lane's forward
    // (training: every layer writes its own out) wrote them at its rows of the buffers.
    const float* wx = lane ? (l == 0 ? lane->input : ws_[l - 1].out + r * din) : w.x;
    const float* wy = lane ? w.out + r * dout : w.y;
    const float* keep = w.keep ? w.keep + r * dout : nullptr;
    const float alpha = static_cast<float>(ly.alpha);
    switch (ly.kind) {
      case LayerKind::kDense: {
        if (!(last && fused_)) {
          if (ly.activation == Activation::kRelu) {
            kernels::relu_backward(kt_, pool, n, wy, g);
          } else if (ly.activation != Activation::kLinear) {
            kernels::activation_backward(kt_, pool, ly.activation, alpha, rows, dout, keep, wy, g, g);
          }
        }
        const float* wt = a.params + w.off;
        if (factors) accumulate_factors(wx, g, rows, din, dout, ly.use_bias, dense_index_[l], factors, count,
                                        accumulate);
        if (ly.trainable) {
          float* gw = grads + w.off;
          // dW = Xᵀ · dZ
          kernels::GemmArgs gd;
          gd.trans_a = true;
          gd.m = din, gd.n = dout, gd.k = rows;
          gd.a = wx, gd.lda = din;
          gd.b = g, gd.ldb = dout;
          gd.beta = accumulate ? 1.0f : 0.0f;
          gd.c = gw, gd.ldc = dout;
          gd.kc = kRowBlock;
          kernels::gemm(kt_, gd, gemm_ws_, pool, slot);
          // db = Σ_rows dZ, by blocks of kRowBlock rows like dW
          if (ly.use_bias) {
            for (size_t b0 = 0; b0 < rows; b0 += kRowBlock) {
              kernels::colsum(kt_, pool, std::min(kRowBlock, rows - b0), dout, g + b0 * dout, dout, gw + din * dout,
                              accumulate || b0 > 0);
            }
          }
        }
        // dX = dZ · Wᵀ
        if (dx) {
          kernels::GemmArgs h;
          h.trans_b = true;
          h.m = rows, h.n = din, h.k = dout;
          h.a = g, h.lda = dout;
          h.b = wt, h.ldb = dout;
          h.beta = 0.0f;
          h.c = dx, h.ldc = din;
          kernels::gemm(kt_, h, gemm_ws_, pool, slot);
        }
        break;
      }
      case LayerKind::kActivation:
        if (!dx) break;
        if (last && fused_) {
          std::memcpy(dx, g, n * sizeof(float));  // the loss gave the gradient w.r.t. z = x
        } else {
          kernels::activation_backward(kt_, pool, ly.activation, alpha, rows, dout, wx, wy, g, dx);
        }
        break;
      case LayerKind::kDropout:
        if (!dx) break;
        if (training) {
          const uint32_t key = kernels::dropout_key(spec_.seed, step, static_cast<uint32_t>(l));
          kernels::dropout(pool, rows, dout, row0 + r, key, w.threshold, w.scale, g, dx);
        } else {
          std::memcpy(dx, g, n * sizeof(float));
        }
        break;
      case LayerKind::kBatchNorm: {
        kernels::BatchNormBackward b;  // never in a lane (see forward)
        b.rows = rows, b.cols = dout, b.dy = g, b.xhat = w.keep;
        b.gamma = a.params + w.off, b.invstd = w.invstd;
        b.training = training;
        b.dx = dx;
        if (ly.trainable) b.dgamma = a.grads + w.off, b.dbeta = b.dgamma + dout;
        b.accumulate = accumulate;
        kernels::batchnorm_backward(pool, b);
        break;
      }
      case LayerKind::kLayerNorm: {
        kernels::LayerNormBackward b;
        b.rows = rows, b.cols = dout, b.dy = g, b.xhat = keep, b.invstd = w.invstd + r;
        b.gamma = a.params + w.off;
        b.dx = dx;
        if (ly.trainable) b.dgamma = grads + w.off, b.dbeta = b.dgamma + dout;
        b.accumulate = accumulate;
        kernels::layernorm_backward(pool, b);
        break;
      }
    }
  }
}

void Plan::accumulate_factors(const float* x, const float* dz, size_t rows, size_t din, size_t dout, bool bias,
                              size_t di, const Factors* f, size_t count, bool accumulate) {
  runtime::ThreadPool* pool = &runtime::pool();
  const size_t d = din + (bias ? 1 : 0);
  const float inv_n = static_cast<float>(1.0 / static_cast<double>(count));
  float* A = f->a[di];
  float* G = f->g[di];
  kernels::GemmArgs ga;  // A (+)= (1/n)·XᵀX, top-left din × din
  ga.trans_a = true;
  ga.m = din, ga.n = din, ga.k = rows;
  ga.alpha = inv_n;
  ga.a = x, ga.lda = din;
  ga.b = x, ga.ldb = din;
  ga.beta = accumulate ? 1.0f : 0.0f;
  ga.c = A, ga.ldc = d;
  kernels::gemm(kt_, ga, gemm_ws_, pool);
  if (bias) {  // the ā = [x; 1] row and column: (1/n)·Σ x, and n_rows/n in the corner
    kernels::colsum(kt_, pool, rows, din, x, din, colbuf_, false);
    for (size_t i = 0; i < din; ++i) {
      const float v = colbuf_[i] * inv_n;
      A[i * d + din] = accumulate ? A[i * d + din] + v : v;
    }
    const float corner = static_cast<float>(static_cast<double>(rows) / static_cast<double>(count));
    A[din * d + din] = accumulate ? A[din * d + din] + corner : corner;
  }
  kernels::GemmArgs gg;  // G (+)= n·dZᵀdZ
  gg.trans_a = true;
  gg.m = dout, gg.n = dout, gg.k = rows;
  gg.alpha = static_cast<float>(count);
  gg.a = dz, gg.lda = dout;
  gg.b = dz, gg.ldb = dout;
  gg.beta = accumulate ? 1.0f : 0.0f;
  gg.c = G, gg.ldc = dout;
  kernels::gemm(kt_, gg, gemm_ws_, pool);
}

void Plan::finish_factors(const Factors* f, bool empty) {
  size_t di = 0;
  for (const Layer& ly : spec_.layers) {
    if (ly.kind != LayerKind::kDense) continue;
    const size_t da = ly.inputs + (ly.use_bias ? 1 : 0), dg = ly.units;
    for (auto [m, d] : {std::pair<float*, size_t>(f->a[di], da), std::pair<float*, size_t>(f->g[di], dg)}) {
      if (empty) {
        std::memset(m, 0, d * d * sizeof(float));
        continue;
      }
      for (size_t i = 0; i < d; ++i)
        for (size_t j = i + 1; j < d; ++j) m[j * d + i] = m[i * d + j];
    }
    ++di;
  }
}

void Plan::update_running_stats(const Arenas& a, size_t rows) {
  const double n = static_cast<double>(rows);
  for (size_t l = 0; l < spec_.layers.size(); ++l) {
    const Layer& ly = spec_.layers[l];
    if (ly.kind != LayerKind::kBatchNorm) continue;
    const LayerWs& w = ws_[l];
    const size_t u = ly.units;
    float* rm = a.params + w.off + 2 * u;
    float* rv = rm + u;
    const double m = ly.momentum;
    for (size_t j = 0; j < u; ++j) {
      rm[j] = static_cast<float>((1.0 - m) * static_cast<double>(rm[j]) + m * w.mean[j]);
      rv[j] = static_cast<float>((1.0 - m) * static_cast<double>(rv[j]) + m * (w.var[j] * n / (n - 1.0)));
    }
  }
}

double Plan::reg_loss(const Arenas& a) {
  double total = 0;
  for (const RegTerm& r : reg_)
    total += kernels::reg_loss(whole_pool(nullptr), r.n, a.params + r.off, r.l1, r.l2, reg_partials_);
  return total;
}

void Plan::reg_grads(const Arenas& a) {
  for (const RegTerm& r : reg_) {
    if (!r.grad) continue;
    kernels::reg_grad(whole_pool(nullptr), r.n, a.params + r.off, static_cast<float>(r.l1), static_cast<float>(r.l2),
                      a.grads + r.off);
  }
}

void Plan::prepare_r() {
  if (!r_.empty()) return;
  const size_t L = spec_.layers.size(), B = spec_.max_batch;
  size_t total = round16(B * dims_[0]), dtotal = 0;
  for (const Layer& ly : spec_.layers) {
    const size_t n = B * ly.units;
    total += 2 * round16(n);
    if (ly.kind == LayerKind::kDense || ly.kind == LayerKind::kBatchNorm || ly.kind == LayerKind::kLayerNorm)
      total += round16(n);
    if (ly.kind == LayerKind::kBatchNorm) dtotal += round16(ly.units);
    if (ly.kind == LayerKind::kLayerNorm) dtotal += round16(B);
  }
  runtime::AlignedArray<float> mem(total);
  runtime::AlignedArray<double> dmem(dtotal);
  std::vector<LayerR> r(L);
  float* p = mem.data();
  auto take = [&p](size_t n) {
    float* q = p;
    p += round16(n);
    return q;
  };
  double* dp = dmem.data();
  r_input_ = take(B * dims_[0]);
  for (size_t l = 0; l < L; ++l) {
    const Layer& ly = spec_.layers[l];
    const size_t n = B * ly.units;
    r[l].out = take(n);
    r[l].d = take(n);
    if (ly.kind == LayerKind::kDense) r[l].z = take(n);
    if (ly.kind == LayerKind::kBatchNorm || ly.kind == LayerKind::kLayerNorm) r[l].xhat = take(n);
    if (ly.kind == LayerKind::kBatchNorm) r[l].rs = dp, dp += round16(ly.units);
    if (ly.kind == LayerKind::kLayerNorm) r[l].rs = dp, dp += round16(B);
  }
  rmem_ = std::move(mem);
  rdmem_ = std::move(dmem);
  r_ = std::move(r);
}

void Plan::r_forward(const Arenas& a, size_t rows, bool training, uint64_t step, size_t row0, const float* v) {
  runtime::ThreadPool* pool = &runtime::pool();
  const size_t L = spec_.layers.size();
  const float* rx = r_input_;
  bool zero = true;
  for (size_t l = 0; l < L; ++l) {
    const Layer& ly = spec_.layers[l];
    const LayerWs& w = ws_[l];
    LayerR& r = r_[l];
    const size_t din = dims_[l], dout = dims_[l + 1], n = rows * dout;
    const bool last = l + 1 == L;
    const bool stop = last && fused_;
    const float alpha = static_cast<float>(ly.alpha);
    r.x = rx;
    r.x_zero = zero;
    float* ry = r.out;
    switch (ly.kind) {
      case LayerKind::kDense: {
        // R{z} = R{x}·W + x·V_W + V_b.
        if (!zero) {
          kernels::GemmArgs g;
          g.m = rows, g.n = dout, g.k = din;
          g.a = rx, g.lda = din;
          g.b = a.params + w.off, g.ldb = dout;
          g.c = r.z, g.ldc = dout;
          kernels::gemm(kt_, g, gemm_ws_, pool);
        }
        if (ly.trainable) {
          kernels::GemmArgs g;
          g.m = rows, g.n = dout, g.k = din;
          g.a = w.x, g.lda = din;
          g.b = v + w.off, g.ldb = dout;
          g.beta = zero ? 0.0f : 1.0f;
          g.c = r.z, g.ldc = dout;
          g.bias = ly.use_bias ? v + w.off + din * dout : nullptr;
          g.epilogue = ly.use_bias ? kernels::Epilogue::kBias : kernels::Epilogue::kNone;
          kernels::gemm(kt_, g, gemm_ws_, pool);
        } else if (zero) {
          std::memset(r.z, 0, n * sizeof(float));
        }
        // R{y} = f′(z)·R{z}: the activation's backward with g = R{z}.
        if (!stop) kernels::activation_backward(kt_, pool, ly.activation, alpha, rows, dout, w.keep, w.y, r.z, ry);
        zero = zero && !ly.trainable;
        break;
      }
      case LayerKind::kActivation:
        if (!stop) kernels::activation_backward(kt_, pool, ly.activation, alpha, rows, dout, w.x, w.y, rx, ry);
        break;
      case LayerKind::kDropout:
        if (training) {
          const uint32_t key = kernels::dropout_key(spec_.seed, step, static_cast<uint32_t>(l));
          kernels::dropout(pool, rows, dout, row0, key, w.threshold, w.scale, rx, ry);
        } else {
          ry = const_cast<float*>(rx);
        }
        break;
      case LayerKind::kBatchNorm:
      case LayerKind::kLayerNorm: {
        kernels::NormR nr;
        nr.rows = rows, nr.cols = dout, nr.training = training;
        nr.xhat = w.keep, nr.invstd = w.invstd;
        nr.gamma = a.params + w.off;
        if (ly.trainable) nr.vgamma = v + w.off, nr.vbeta = v + w.off + dout;
        nr.rxhat = r.xhat, nr.rs = r.rs;
        nr.rx = rx, nr.rout = ry;
        if (ly.kind == LayerKind::kBatchNorm) {
          kernels::batchnorm_rforward(pool, nr);
        } else {
          kernels::layernorm_rforward(pool, nr);
        }
        zero = zero && !ly.trainable;
        break;
      }
    }
    r.y = ry;
    rx = ry;
  }
}

void Plan::r_backward(const Arenas& a, size_t rows, bool training, uint64_t step, size_t row0, const float* v,
                      float* out) {
  runtime::ThreadPool* pool = &runtime::pool();
  const size_t L = spec_.layers.size();
  if (first_trainable_ < 0) return;
  const size_t stop = static_cast<size_t>(first_trainable_);
  for (size_t l = L; l-- > stop;) {
    const Layer& ly = spec_.layers[l];
    LayerWs& w = ws_[l];
    LayerR& r = r_[l];
    const size_t din = dims_[l], dout = dims_[l + 1], n = rows * dout;
    const bool last = l + 1 == L;
    float* dx = l > stop ? ws_[l - 1].d : nullptr;
    float* rdx = l > stop ? r_[l - 1].d : nullptr;
    float* g = w.d;
    float* rg = r.d;
    const float alpha = static_cast<float>(ly.alpha);
    switch (ly.kind) {
      case LayerKind::kDense: {
        if (!(last && fused_)) {
          // R{dz} = f″(z)·R{z}·g + f′(z)·R{g} (before g becomes dz), then dz = f′(z)·g.
          kernels::activation_rbackward(pool, ly.activation, alpha, rows, dout, w.keep, w.y, r.z, r.y, g, rg, rg);
          kernels::activation_backward(kt_, pool, ly.activation, alpha, rows, dout, w.keep, w.y, g, g);
        }
        const size_t off = w.off;
        if (ly.trainable) {
          // R{∂L/∂W} = R{x}ᵀ·dz + xᵀ·R{dz}; R{∂L/∂b} = Σ R{dz}.
          kernels::GemmArgs gd;
          gd.trans_a = true;
          gd.m = din, gd.n = dout, gd.k = rows;
          gd.beta = 1.0f;
          gd.c = out + off, gd.ldc = dout;
          gd.ldb = dout, gd.lda = din;
          if (!r.x_zero) {
            gd.a = r.x, gd.b = g;
            kernels::gemm(kt_, gd, gemm_ws_, pool);
          }
          gd.a = w.x, gd.b = rg;
          kernels::gemm(kt_, gd, gemm_ws_, pool);
          if (ly.use_bias) kernels::colsum(kt_, pool, rows, dout, rg, dout, out + off + din * dout, true);
        }
        if (dx) {  // dx = dz·Wᵀ; R{dx} = R{dz}·Wᵀ + dz·V_Wᵀ
          kernels::GemmArgs h;
          h.trans_b = true;
          h.m = rows, h.n = din, h.k = dout;
          h.lda = dout, h.ldb = dout, h.ldc = din;
          h.a = g, h.b = a.params + off, h.c = dx;
          kernels::gemm(kt_, h, gemm_ws_, pool);
          h.a = rg, h.c = rdx;
          kernels::gemm(kt_, h, gemm_ws_, pool);
          if (ly.trainable) {
            h.a = g, h.b = v + off, h.beta = 1.0f;
            kernels::gemm(kt_, h, gemm_ws_, pool);
          }
        }
        break;
      }
      case LayerKind::kActivation:
        if (!dx) break;
        if (last && fused_) {
          std::memcpy(dx, g, n * sizeof(float));
          std::memcpy(rdx, rg, n * sizeof(float));
        } else {
          kernels::activation_rbackward(pool, ly.activation, alpha, rows, dout, w.x, w.y, r.x, r.y, g, rg, rdx);
          kernels::activation_backward(kt_, pool, ly.activation, alpha, rows, dout, w.x, w.y, g, dx);
        }
        break;
      case LayerKind::kDropout:
        if (!dx) break;
        if (training) {
          const uint32_t key = kernels::dropout_key(spec_.seed, step, static_cast<uint32_t>(l));
          kernels::dropout(pool, rows, dout, row0, key, w.threshold, w.scale, g, dx);
          kernels::dropout(pool, rows, dout, row0, key, w.threshold, w.scale, rg, rdx);
        } else {
          std::memcpy(dx, g, n * sizeof(float));
          std::memcpy(rdx, rg, n * sizeof(float));
        }
        break;
      case LayerKind::kBatchNorm:
      case LayerKind::kLayerNorm: {
        kernels::NormR nr;
        nr.rows = rows, nr.cols = dout, nr.training = training;
        nr.xhat = w.keep, nr.invstd = w.invstd;
        nr.gamma = a.params + w.off;
        if (ly.trainable) {
          nr.vgamma = v + w.off, nr.vbeta = v + w.off + dout;
          nr.hv_gamma = out + w.off, nr.hv_beta = out + w.off + dout;
        }
        nr.rxhat = r.xhat, nr.rs = r.rs;
        nr.g = g, nr.rg = rg, nr.dx = dx, nr.rdx = rdx;
        if (ly.kind == LayerKind::kBatchNorm) {
          kernels::batchnorm_rbackward(pool, nr);
        } else {
          kernels::layernorm_rbackward(pool, nr);
        }
        break;
      }
    }
  }
}

void Plan::hessian_vector(const Arenas& a, const float* x, const Targets& y, const int32_t* indices, size_t count,
                          bool training, uint64_t step, const float* v, float* out) {
  runtime::ScopedDenormalsFlush ftz;
  std::memset(out, 0, params_ * sizeof(float));
  const float* weights = y.weights;
  double inv = 0;
  if (weights) {
    const double wsum = weight_sum(weights, indices, count);
    inv = wsum > 0 ? 1.0 / wsum : 0.0;
  }
  const size_t L = spec_.layers.size();
  const Layer& last = spec_.layers[L - 1];
  for (size_t c0 = 0; c0 < count; c0 += spec_.max_batch) {
    const size_t rows = std::min(spec_.max_batch, count - c0);
    const int32_t* idx = indices + c0;
    if (weights)
      for (size_t r = 0; r < rows; ++r) row_scale_[r] = static_cast<float>(static_cast<double>(weights[idx[r]]) * inv);
    gather(x, idx, 0, rows);
    forward(a, xb_, rows, training, step, c0, fused_, nullptr);
    r_forward(a, rows, training, step, c0, v);
    loss(y, idx, rows, true, static_cast<float>(count), weights != nullptr);
    // R{u}: the last layer's R{z} (fused: dense R{z}, an activation layer's R{input}) or R{o}.
    const float* ru = fused_ ? (last.kind == LayerKind::kDense ? r_[L - 1].z : r_[L - 1].x) : r_[L - 1].y;
    kernels::LossTargets t;
    t.labels = y.labels, t.rows = y.probs, t.idx = idx;
    kernels::LossArgs args;
    args.kind = spec_.loss.kind;
    args.logits = fused_ || spec_.loss.from_logits;
    args.fused = fused_;
    args.smoothing = static_cast<float>(spec_.loss.label_smoothing);
    args.delta = static_cast<float>(spec_.loss.delta);
    args.k = dims_[L];
    args.o = ws_[L - 1].y;
    args.grad_den = static_cast<float>(count);
    args.row_scale = weights ? row_scale_ : nullptr;
    kernels::loss_curvature(&runtime::pool(), rows, t, args, ru, r_[L - 1].d);
    r_backward(a, rows, training, step, c0, v, out);
  }
  for (const Range& r : frozen_) std::memset(out + r.first, 0, (r.second - r.first) * sizeof(float));
  for (const RegTerm& r : reg_) {
    if (!r.grad || r.l2 == 0) continue;
    const float two_l2 = static_cast<float>(2.0 * r.l2);
    for (size_t i = r.off; i < r.off + r.n; ++i) out[i] += two_l2 * v[i];
  }
}

namespace {
constexpr size_t kMinRowsForParallelUpdate = 16;
}  // namespace

// Lanes. A whole-batch step splits each GEMM and elementwise kernel over the threads, so every
// layer's activations, written half by one core, are read whole by both, with ~20 fork/joins
// per step. On a machine whose cores share no cache (measured here: ~470 ns for a round trip
// between the two cores; 30 GB/s to read what the other core wrote vs 75 GB/s from its own)
// that caps what a second core adds. A lane is one block of kRowBlock rows run by one thread
// from the input gather to its partial weight gradients; the cores exchange only the weights
// and one sum of the partial gradients. The backward sums every batch reduction (dW, db) in
// the same blocks of kRowBlock rows, whole batch or not (GemmArgs::kc, blocked colsum), so
// lanes change no bit: they are used when every thread gets at least one, and the result
// never depends on the thread count. Layers whose forward couples rows (batchNorm) or whose
// backward sums over rows in its own order (layerNorm's γ and β) keep the whole-batch step.
// Threads that can run lanes: the pool's, as far as the GEMM workspace has a scratch slot for.
size_t Plan::lane_threads() const {
  return static_cast<size_t>(std::min(runtime::pool_size(), gemm_ws_.threads()));
}

size_t Plan::lanes_for(size_t rows) const {
  if (!lanes_ok_ || rows <= kRowBlock) return 1;
  const size_t lanes = (rows + kRowBlock - 1) / kRowBlock;
  const size_t threads = lane_threads();
  if (threads < 2 || rows < threads * kRowBlock || lanes > max_lanes_) return 1;
  return lanes;
}

void Plan::lane_step(const Arenas& a, const TrainRequest& req, const int32_t* idx, size_t rows, size_t lanes,
                     uint64_t step, bool weighted) {
  auto job = [&](int task, int /*ntasks*/, int slot) {
    const size_t l = static_cast<size_t>(task);
    const size_t r0 = l * kRowBlock, r1 = std::min(rows, r0 + kRowBlock);
    Lane lane;
    lane.row = r0;
    lane.slot = slot;
    lane.input = xb_ + r0 * dims_[0];
    lane.grads = l == 0 ? a.grads : lane_grads_.data() + (l - 1) * params_;
    gather(req.x, idx, r0, r1);
    forward(a, lane.input, r1 - r0, true, step, 0, fused_, nullptr, &lane);
    loss(req.y, idx, r1 - r0, true, static_cast<float>(rows), weighted, &lane);
    backward(a, r1 - r0, true, step, 0, false, nullptr, 0, &lane);
  };
  runtime::ThreadPool* pool = &runtime::pool();
  pool->run(static_cast<int>(lanes), static_cast<int>(std::min(lanes, lane_threads())), job);
  // grads = ((lane 0 + lane 1) + lane 2) + …, over the trainable ranges (frozen ones stay 0), in
  // a pass of its own. Summing inside the update, 1,024 parameters at a time, measured slower in
  // training: with the pool held, the sum and update of a batch-512 step on 2 threads took
  // 203–208 µs that way and 124–161 µs as two passes.
  const float* spare = lane_grads_.data();
  for (const Range& rg : ranges_) {
    kernels::parallel_for(pool, rg.second - rg.first, kernels::kChunk, lanes, [&](size_t b, size_t e) {
      float* g = a.grads + rg.first;
      for (size_t l = 1; l < lanes; ++l) {
        const float* h = spare + (l - 1) * params_ + rg.first;
        for (size_t i = b; i < e; ++i) g[i] += h[i];
      }
    });
  }
}

size_t Plan::train_steps(const Arenas& a, const TrainRequest& req, const std::atomic<bool>& cancel) {
  runtime::ScopedDenormalsFlush ftz;
  zero_frozen_grads(a);
  const float* weights = req.y.weights;
  step_split_.begin(req.batch);
  struct SerialReset {
    bool& serial;
    ~SerialReset() { serial = false; }
  } serial_reset{serial_};
  const bool can_split = runtime::pool_size() > 1;
  // The pool is held (its idle workers poll, see ThreadPool::hold) while the steps run on it.
  // Batch 512 on 2 threads, alternating processes: +3% over 16 rounds, +2% over 12 (with the
  // lanes' sums in a pass of their own, below); batch 128: +3% over 10 rounds.
  struct PoolHold {
    runtime::ThreadPool* held = nullptr;
    void set(bool on) {
      if (on == (held != nullptr)) return;
      if (on) {
        held = &runtime::pool();
        held->hold();
      } else {
        held->release();
        held = nullptr;
      }
    }
    ~PoolHold() { set(false); }
  } hold;
  for (size_t i = 0; i < req.steps; ++i) {
    if (cancel.load(std::memory_order_relaxed)) return i;
    const size_t b0 = i * req.batch;
    const size_t rows = std::min(req.batch, req.count - b0);
    const int32_t* idx = req.indices + b0;
    // t = stepStart + s + 1 (< 2^53: exact in double).
    const double t = req.step_start + static_cast<double>(i) + 1.0;
    const uint64_t step = static_cast<uint64_t>(t);
    double wsum = 0;
    if (weights) {
      wsum = weight_sum(weights, idx, rows);
      const double inv = wsum > 0 ? 1.0 / wsum : 0.0;
      for (size_t r = 0; r < rows; ++r)
        row_scale_[r] = static_cast<float>(static_cast<double>(weights[idx[r]]) * inv);
    }
    const size_t lanes = lanes_for(rows);
    // A whole-batch step big enough to split is timed: see StepSplit.
    const bool timed = lanes == 1 && can_split && rows >= kMinRowsForParallelUpdate;
    const bool parallel = !timed || step_split_.parallel(rows);
    serial_ = !parallel;
    hold.set(can_split && (lanes > 1 || (parallel && rows >= kMinRowsForParallelUpdate)));
    const auto started = std::chrono::steady_clock::now();
    if (lanes > 1) {
      lane_step(a, req, idx, rows, lanes, step, weights != nullptr);
    } else {
      gather(req.x, idx, 0, rows);
      forward(a, xb_, rows, true, step, 0, fused_, nullptr);
      loss(req.y, idx, rows, true, static_cast<float>(rows), weights != nullptr);
    }
    size_t correct = 0;
    const double sum = loss_sum(weights, idx, rows, &correct);
    const double data = weights ? (wsum > 0 ? sum / wsum : 0.0) : sum / static_cast<double>(rows);
    const float mean = static_cast<float>(reg_.empty() ? data : data + reg_loss(a));
    req.loss_out[i] = mean;
    req.correct_out[i] = static_cast<int32_t>(correct);
    if (!std::isfinite(mean)) return i;
    update_running_stats(a, rows);
    if (lanes == 1) backward(a, rows, true, step, 0, false);
    reg_grads(a);
    // (Seam for data-parallel training: an attached collective would allreduce a.grads here.)
    // A small batch's step runs on this thread alone (its GEMMs are too small to split), so its
    // gradients and parameters sit in this core's cache; splitting the update would pull half
    // of them to the other core and back every step. Measured on the seed network with Adam,
    // 2 threads: batch 1 went from 6.4k to 8.7k samples/s with the update kept here.
    runtime::ThreadPool* update_pool = rows >= kMinRowsForParallelUpdate ? whole_pool(nullptr) : nullptr;
    apply_update(kt_, update_pool, spec_.optimizer, params_, ranges_.data(), ranges_.size(), a.params, a.grads,
                 a.state, req.lrs[i], t, update_);
    if (timed) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      step_split_.record(rows, parallel, took.count());
    }
  }
  return req.steps;
}

// Inference rows are independent, so any split gives the same bits: a chunk of at least
// kMinInferLaneRows rows per thread runs as one lane per thread (see lanes_for), each through
// the whole network: one fork/join per chunk and no core reading another's activations.
// Not with batchNorm, whose inference writes one set of per-column factors.
size_t Plan::infer_lanes(size_t rows) const {
  constexpr size_t kMinInferLaneRows = 32;
  const size_t threads = lane_threads();
  if (has_batch_norm_ || threads < 2) return 1;
  return std::max<size_t>(1, std::min(threads, rows / kMinInferLaneRows));
}

bool Plan::predict(const Arenas& a, const float* x, size_t rows, float* out, const std::atomic<bool>* cancel) {
  runtime::ScopedDenormalsFlush ftz;
  const size_t d0 = dims_[0], dl = dims_.back();
  for (size_t r0 = 0; r0 < rows; r0 += spec_.max_batch) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return false;
    const size_t n = std::min(spec_.max_batch, rows - r0);
    const size_t lanes = infer_lanes(n);
    if (lanes == 1) {
      forward(a, x + r0 * d0, n, false, 0, 0, false, out + r0 * dl);
      continue;
    }
    auto job = [&](int task, int /*ntasks*/, int slot) {
      const size_t l = static_cast<size_t>(task);
      const size_t b = n * l / lanes, e = n * (l + 1) / lanes;
      Lane lane;
      lane.row = b;
      lane.slot = slot;
      lane.input = x + (r0 + b) * d0;
      forward(a, lane.input, e - b, false, 0, 0, false, out + (r0 + b) * dl, &lane);
    };
    runtime::pool().run(static_cast<int>(lanes), static_cast<int>(std::min(lanes, lane_threads())), job);
  }
  return true;
}

bool Plan::evaluate(const Arenas& a, const float* x, const Targets& y, size_t rows, float* out,
                    const std::atomic<bool>* cancel, EvalResult* result) {
  runtime::ScopedDenormalsFlush ftz;
  const size_t d0 = dims_[0], dl = dims_.back();
  double sum = 0, wsum = 0;
  size_t correct = 0;
  for (size_t r0 = 0; r0 < rows; r0 += spec_.max_batch) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return false;
    const size_t n = std::min(spec_.max_batch, rows - r0);
    forward(a, x + r0 * d0, n, false, 0, 0, fused_, out ? out + r0 * dl : nullptr);
    Targets t;
    t.labels = y.labels ? y.labels + r0 : nullptr;
    t.probs = y.probs ? y.probs + r0 * dl : nullptr;
    t.weights = y.weights ? y.weights + r0 : nullptr;
    loss(t, nullptr, n, false, 1.0f, false);
    sum += loss_sum(t.weights, nullptr, n, &correct);
    if (t.weights) wsum += weight_sum(t.weights, nullptr, n);
  }
  const double data =
      y.weights ? (wsum > 0 ? sum / wsum : 0.0) : (rows > 0 ? sum / static_cast<double>(rows) : 0.0);
  result->loss = reg_.empty() ? data : data + reg_loss(a);
  result->correct = correct;
  return true;
}

double Plan::loss_and_grad(const Arenas& a, const float* x, const Targets& y, const int32_t* indices, size_t count,
                           bool training, uint64_t step, const Factors* factors) {
  runtime::ScopedDenormalsFlush ftz;
  zero_frozen_grads(a);
  if (count == 0) {  // the regularization term and its gradient only
    std::memset(a.grads, 0, params_ * sizeof(float));
    if (factors) finish_factors(factors, true);
    reg_grads(a);
    return reg_.empty() ? 0.0 : reg_loss(a);
  }
  const float* weights = y.weights;
  double wsum = 0, inv = 0;
  if (weights) {
    wsum = weight_sum(weights, indices, count);
    inv = wsum > 0 ? 1.0 / wsum : 0.0;
  }
  double sum = 0;
  size_t correct = 0;
  for (size_t c0 = 0; c0 < count; c0 += spec_.max_batch) {
    const size_t rows = std::min(spec_.max_batch, count - c0);
    const int32_t* idx = indices + c0;
    if (weights)
      for (size_t r = 0; r < rows; ++r) row_scale_[r] = static_cast<float>(static_cast<double>(weights[idx[r]]) * inv);
    gather(x, idx, 0, rows);
    forward(a, xb_, rows, training, step, c0, fused_, nullptr);
    loss(y, idx, rows, true, static_cast<float>(count), weights != nullptr);
    sum += loss_sum(weights, idx, rows, &correct);
    backward(a, rows, training, step, c0, c0 > 0, factors, count);
  }
  if (factors) finish_factors(factors, false);
  reg_grads(a);
  const double data = weights ? (wsum > 0 ? sum / wsum : 0.0) : sum / static_cast<double>(count);
  return reg_.empty() ? data : data + reg_loss(a);
}

}  // namespace dh::plan
