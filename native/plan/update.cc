#include "plan/update.h"

#include <cmath>

#include "kernels/optim.h"

namespace dh::plan {
namespace {

float f(double x) { return static_cast<float>(x); }

// Π_{k ≤ t} μ_k with μ_k = β1·(1 − 0.5·0.96^(k·ψ)), multiplied in order k = 1, 2, … (the TS
// engine does the same): incremental when steps are consecutive, else from scratch.
double nadam_mu(double beta1, double psi, double k) { return beta1 * (1.0 - 0.5 * std::pow(0.96, k * psi)); }

double nadam_product(const OptimizerSpec& o, double t, UpdateScratch& s) {
  if (s.nadam_t != t - 1) {
    s.nadam_mu_product = 1;
    for (double k = 1; k < t; ++k) s.nadam_mu_product *= nadam_mu(o.beta1, o.momentum_decay, k);
  }
  s.nadam_mu_product *= nadam_mu(o.beta1, o.momentum_decay, t);
  s.nadam_t = t;
  return s.nadam_mu_product;
}

// The kernel over every range (state slots at the same offsets).
template <class Step>
void over_ranges(runtime::ThreadPool* pool, kernels::OptimizerKernel<Step> kernel, const Range* ranges, size_t count,
                 float* params, const float* grads, const kernels::Slots& st, const Step& s) {
  for (size_t i = 0; i < count; ++i) {
    const size_t b = ranges[i].first, len = ranges[i].second - ranges[i].first;
    kernels::Slots o;
    for (int k = 0; k < 3; ++k) o.p[k] = st.p[k] ? st.p[k] + b : nullptr;
    kernels::optimizer_update(pool, kernel, len, params + b, grads + b, o, s);
  }
}

}  // namespace

void UpdateScratch::reserve(size_t n) { partials.resize(kernels::sum_squares_blocks(n)); }

void apply_update(const kernels::KernelTable& kt, runtime::ThreadPool* pool, const OptimizerSpec& o, size_t n,
                  float* params, const float* grads, float* state, float lr, double t, UpdateScratch& scratch) {
  const Range all(0, n);
  apply_update(kt, pool, o, n, &all, 1, params, grads, state, lr, t, scratch);
}

void apply_update(const kernels::KernelTable& kt, runtime::ThreadPool* pool, const OptimizerSpec& o, size_t n,
                  const Range* ranges, size_t count, float* params, const float* grads, float* state, float lr,
                  double t, UpdateScratch& scratch) {
  using K = OptimizerSpec::Kind;
  kernels::GradClip clip{};
  clip.scale = 1.0f;
  if (o.clip_norm > 0) {
    if (scratch.partials.size() < kernels::sum_squares_blocks(n)) scratch.reserve(n);
    const double norm = std::sqrt(kernels::sum_squares(pool, n, grads, scratch.partials.data()));
    const double coef = o.clip_norm / (norm + 1e-6);
    if (coef < 1.0) {
      clip.scaled = true;
      // A factor below float's normal range (gradient norm > ~1e38·clipNorm) would be a
      // denormal that FTZ/DAZ reads as 0 anyway: make that explicit so every engine agrees.
      clip.scale = coef < 1.1754943508222875e-38 ? 0.0f : f(coef);
    }
  }
  if (o.clip_value > 0) {
    clip.clamped = true;
    clip.value = f(o.clip_value);
  }
  kernels::Slots st{};
  const size_t slots = state_slots(o);
  for (size_t k = 0; k < slots; ++k) st.p[k] = state + k * n;
  const double lrd = static_cast<double>(lr);
  const double wd = o.weight_decay;
  switch (o.kind) {
    case K::kSgd: {
      kernels::SgdStep s{};
      s.clip = clip;
      s.lr = lr;
      s.momentum = f(o.momentum);
      s.omd = f(1.0 - o.dampening);
      s.wd = f(wd);
      s.nesterov = o.nesterov;
      s.first = t == 1.0;
      over_ranges(pool, kt.f32_sgd_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kAdam: {
      kernels::AdamStep s{};
      s.clip = clip;
      s.step_size = f(lrd / (1.0 - std::pow(o.beta1, t)));
      s.bc2_sqrt = f(std::sqrt(1.0 - std::pow(o.beta2, t)));
      s.b1 = f(o.beta1);
      s.omb1 = f(1.0 - o.beta1);
      s.b2 = f(o.beta2);
      s.omb2 = f(1.0 - o.beta2);
      s.eps = f(o.eps);
      s.wd = f(wd);
      s.decay = f(1.0 - lrd * wd);
      s.decoupled = o.decoupled;
      s.amsgrad = o.amsgrad;
      over_ranges(pool, kt.f32_adam_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kAdagrad: {
      kernels::AdagradStep s{};
      s.clip = clip;
      s.clr = f(lrd / (1.0 + (t - 1.0) * o.lr_decay));
      s.eps = f(o.eps);
      s.wd = f(wd);
      over_ranges(pool, kt.f32_adagrad_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kAdadelta: {
      kernels::AdadeltaStep s{};
      s.clip = clip;
      s.lr = lr;
      s.rho = f(o.rho);
      s.omr = f(1.0 - o.rho);
      s.eps = f(o.eps);
      s.wd = f(wd);
      over_ranges(pool, kt.f32_adadelta_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kRmsprop: {
      kernels::RmspropStep s{};
      s.clip = clip;
      s.lr = lr;
      s.alpha = f(o.alpha);
      s.oma = f(1.0 - o.alpha);
      s.eps = f(o.eps);
      s.wd = f(wd);
      s.momentum = f(o.momentum);
      s.centered = o.centered;
      // Slots in the arena: v, then the momentum buffer (if any), then the grad average (if centered).
      kernels::Slots r{};
      r.p[0] = st.p[0];
      size_t k = 1;
      if (o.momentum != 0) r.p[1] = st.p[k++];
      if (o.centered) r.p[2] = st.p[k++];
      over_ranges(pool, kt.f32_rmsprop_update, ranges, count, params, grads, r, s);
      return;
    }
    case K::kAdamax: {
      kernels::AdamaxStep s{};
      s.clip = clip;
      s.clr = f(lrd / (1.0 - std::pow(o.beta1, t)));
      s.b1 = f(o.beta1);
      s.omb1 = f(1.0 - o.beta1);
      s.b2 = f(o.beta2);
      s.eps = f(o.eps);
      s.wd = f(wd);
      over_ranges(pool, kt.f32_adamax_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kNadam: {
      const double mu = nadam_mu(o.beta1, o.momentum_decay, t);
      const double mu_next = nadam_mu(o.beta1, o.momentum_decay, t + 1);
      const double prod = nadam_product(o, t, scratch);
      kernels::NadamStep s{};
      s.clip = clip;
      s.c1 = f(lrd * (1.0 - mu) / (1.0 - prod));
      s.c2 = f(lrd * mu_next / (1.0 - prod * mu_next));
      s.b1 = f(o.beta1);
      s.omb1 = f(1.0 - o.beta1);
      s.b2 = f(o.beta2);
      s.omb2 = f(1.0 - o.beta2);
      s.bc2 = f(1.0 - std::pow(o.beta2, t));
      s.eps = f(o.eps);
      s.wd = f(wd);
      over_ranges(pool, kt.f32_nadam_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kRadam: {
      const double bc1 = 1.0 - std::pow(o.beta1, t);
      const double b2t = std::pow(o.beta2, t);
      const double bc2 = 1.0 - b2t;
      const double rho_inf = 2.0 / (1.0 - o.beta2) - 1.0;
      const double rho_t = rho_inf - 2.0 * t * b2t / bc2;
      kernels::RadamStep s{};
      s.clip = clip;
      s.rectified = rho_t > 5.0;
      const double rect =
          s.rectified ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 1.0;
      s.step_size = f(lrd * rect / bc1);
      s.bc2_sqrt = f(std::sqrt(bc2));
      s.b1 = f(o.beta1);
      s.omb1 = f(1.0 - o.beta1);
      s.b2 = f(o.beta2);
      s.omb2 = f(1.0 - o.beta2);
      s.eps = f(o.eps);
      s.wd = f(wd);
      over_ranges(pool, kt.f32_radam_update, ranges, count, params, grads, st, s);
      return;
    }
    case K::kLion: {
      kernels::LionStep s{};
      s.clip = clip;
      s.lr = lr;
      s.b1 = f(o.beta1);
      s.omb1 = f(1.0 - o.beta1);
      s.b2 = f(o.beta2);
      s.omb2 = f(1.0 - o.beta2);
      s.wd = f(wd);
      s.decay = f(1.0 - lrd * wd);
      over_ranges(pool, kt.f32_lion_update, ranges, count, params, grads, st, s);
      return;
    }
  }
}

}  // namespace dh::plan
