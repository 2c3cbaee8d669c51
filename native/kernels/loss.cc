// Per-row losses and gradients: the formulas of lib/engine/engine.ts LossSpec (see loss.h).
#include "kernels/loss.h"

#include <cmath>

#include "kernels/activation.h"

namespace dh::kernels {
namespace {

constexpr float kLn2 = 0.69314718055994531f;

size_t argmax(const float* v, size_t n) {
  size_t best = 0;
  for (size_t j = 1; j < n; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

float sign(float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); }

// max(v, lo) that keeps NaN (PyTorch's clamp).
float floor_at(float v, float lo) { return v < lo ? lo : v; }

struct Row {
  const float* t;  // target row, or null with a label
  size_t label;
  float at(size_t j) const { return t ? t[j] : (j == label ? 1.0f : 0.0f); }
};

// Rows right, on the output o: k > 1 argmax o = the target class (argmax of the target row,
// first max wins); k = 1: (o > theta) = (t > 0.5).
uint8_t correct(const float* o, size_t k, const Row& t, float theta) {
  if (k == 1) return (o[0] > theta) == (t.at(0) > 0.5f) ? 1 : 0;
  const size_t target = t.t ? argmax(t.t, k) : t.label;
  return argmax(o, k) == target ? 1 : 0;
}

// Softmax + categorical cross-entropy from logits x (fused: x = z, p written to o; else x = o).
void softmax_ce_row(size_t r, const Row& t, const LossArgs& a) {
  const size_t k = a.k;
  const float* x = (a.fused ? a.z : a.o) + r * k;
  float* p = a.fused ? a.o + r * k : nullptr;
  float* dz = a.grad ? a.grad + r * k : nullptr;
  const float eps = a.smoothing;
  const float uniform = eps / static_cast<float>(k);
  auto q = [&](size_t j) { return eps == 0.0f ? t.at(j) : (1.0f - eps) * t.at(j) + uniform; };

  float mx = x[0];
  for (size_t j = 1; j < k; ++j) mx = x[j] > mx ? x[j] : mx;
  float s = 0.0f;
  for (size_t j = 0; j < k; ++j) s += std::exp(x[j] - mx);
  const float logs = std::log(s);

  float loss, qsum = 1.0f;
  if (t.t || eps != 0.0f) {
    loss = 0.0f;
    qsum = 0.0f;
    for (size_t j = 0; j < k; ++j) {
      const float qj = q(j);
      loss += qj * ((mx - x[j]) + logs);
      qsum += qj;
    }
  } else {
    loss = (mx - x[t.label]) + logs;
  }
  if (a.row_loss) a.row_loss[r] = loss;

  const float scale = a.row_scale ? a.row_scale[r] : 0.0f;
  for (size_t j = 0; j < k; ++j) {
    const float pj = std::exp(x[j] - mx) / s;  // before p[j] may overwrite x[j]
    if (dz) {
      const float g = pj * qsum - q(j);
      dz[j] = a.row_scale ? g * scale : g / a.grad_den;
    }
    if (p) p[j] = pj;
  }
  if (a.row_correct) a.row_correct[r] = correct(a.o + r * k, k, t, a.theta);
}

}  // namespace

void loss_rows(size_t r0, size_t r1, const LossTargets& tg, const LossArgs& a) {
  const size_t k = a.k;
  const float kf = static_cast<float>(k);
  for (size_t r = r0; r < r1; ++r) {
    const size_t tr = tg.idx ? static_cast<size_t>(tg.idx[r]) : r;
    Row t{tg.rows ? tg.rows + tr * k : nullptr, tg.labels ? static_cast<size_t>(tg.labels[tr]) : 0};
    if (a.kind == LossKind::kCategoricalCrossentropy && a.logits) {
      softmax_ce_row(r, t, a);
      continue;
    }
    float* o = a.o + r * k;
    float* g = a.grad ? a.grad + r * k : nullptr;
    // Gradient coefficient of this row (the 1/k of the "mean over k" losses comes on top).
    const float c = a.row_scale ? a.row_scale[r] : 1.0f / a.grad_den;
    float loss = 0.0f;
    switch (a.kind) {
      case LossKind::kMeanSquaredError:
        for (size_t j = 0; j < k; ++j) {
          const float d = o[j] - t.at(j);
          loss += d * d;
          if (g) g[j] = (2.0f * d / kf) * c;
        }
        loss /= kf;
        break;
      case LossKind::kMeanAbsoluteError:
        for (size_t j = 0; j < k; ++j) {
          const float d = o[j] - t.at(j);
          loss += std::fabs(d);
          if (g) g[j] = (sign(d) / kf) * c;
        }
        loss /= kf;
        break;
      case LossKind::kHuber: {
        const float delta = a.delta;
        for (size_t j = 0; j < k; ++j) {
          const float d = o[j] - t.at(j);
          const float ad = std::fabs(d);
          const bool quad = !(ad > delta);  // NaN takes the quadratic branch and stays NaN
          loss += quad ? 0.5f * d * d : delta * (ad - 0.5f * delta);
          if (g) g[j] = ((quad ? d : delta * sign(d)) / kf) * c;
        }
        loss /= kf;
        break;
      }
      case LossKind::kLogCosh:
        for (size_t j = 0; j < k; ++j) {
          const float d = o[j] - t.at(j);
          const float ad = std::fabs(d);
          loss += (ad + std::log1p(std::exp(-2.0f * ad))) - kLn2;
          if (g) g[j] = (std::tanh(d) / kf) * c;
        }
        loss /= kf;
        break;
      case LossKind::kPoisson:
        for (size_t j = 0; j < k; ++j) {
          const float tj = t.at(j);
          if (a.logits) {
            const float e = std::exp(o[j]);
            loss += e - tj * o[j];
            if (g) g[j] = ((e - tj) / kf) * c;
          } else {
            const float oe = o[j] + 1e-8f;
            loss += o[j] - tj * std::log(oe);
            if (g) g[j] = ((1.0f - tj / oe) / kf) * c;
          }
        }
        loss /= kf;
        break;
      case LossKind::kHinge:
      case LossKind::kSquaredHinge: {
        const bool squared = a.kind == LossKind::kSquaredHinge;
        for (size_t j = 0; j < k; ++j) {
          const float s = t.at(j) > 0.0f ? 1.0f : -1.0f;
          const float m = 1.0f - s * o[j];
          const float h = m > 0.0f ? m : (m == m ? 0.0f : m);
          loss += squared ? h * h : h;
          if (g) g[j] = ((m > 0.0f ? (squared ? -2.0f * s * m : -s) : 0.0f) / kf) * c;
        }
        loss /= kf;
        break;
      }
      case LossKind::kCategoricalHinge: {
        float pos = 0.0f;
        size_t jmax = 0;
        float neg = 0.0f;
        for (size_t j = 0; j < k; ++j) {
          const float tj = t.at(j);
          pos += tj * o[j];
          const float v = (1.0f - tj) * o[j];
          if (j == 0 || v > neg) neg = v, jmax = j;
        }
        const float m = neg - pos + 1.0f;
        loss = m > 0.0f ? m : (m == m ? 0.0f : m);
        if (g) {
          for (size_t j = 0; j < k; ++j) {
            const float tj = t.at(j);
            g[j] = m > 0.0f ? ((j == jmax ? 1.0f - tj : 0.0f) - tj) * c : 0.0f;
          }
        }
        break;
      }
      case LossKind::kKullbackLeiblerDivergence:
        for (size_t j = 0; j < k; ++j) {
          const float tj = t.at(j);
          if (tj > 0.0f) loss += tj * (std::log(tj) - std::log(floor_at(o[j], 1e-7f)));
          if (g) g[j] = tj > 0.0f && o[j] > 1e-7f ? (-tj / o[j]) * c : 0.0f;
        }
        break;
      case LossKind::kBinaryCrossentropy:
        if (a.logits) {
          const float* x = a.fused ? a.z + r * k : o;
          for (size_t j = 0; j < k; ++j) {
            const float xj = x[j], tj = t.at(j);
            loss += ((xj > 0.0f ? xj : 0.0f) - xj * tj) + std::log1p(std::exp(-std::fabs(xj)));
            const float sj = sigmoidf(xj);
            if (g) g[j] = ((sj - tj) / kf) * c;
            if (a.fused) o[j] = sj;  // after reading x[j] (o may alias z)
          }
        } else {
          for (size_t j = 0; j < k; ++j) {
            const float oj = o[j], tj = t.at(j);
            const float lo = floor_at(std::log(oj), -100.0f);
            const float l1o = floor_at(std::log(1.0f - oj), -100.0f);
            loss += -(tj * lo + (1.0f - tj) * l1o);
            if (g) g[j] = ((oj - tj) / floor_at(oj * (1.0f - oj), 1e-12f) / kf) * c;
          }
        }
        loss /= kf;
        break;
      case LossKind::kCategoricalCrossentropy: {  // on probabilities (logits go above)
        const float eps = a.smoothing;
        const float uniform = eps / kf;
        for (size_t j = 0; j < k; ++j) {
          const float qj = eps == 0.0f ? t.at(j) : (1.0f - eps) * t.at(j) + uniform;
          loss -= qj * std::log(floor_at(o[j], 1e-7f));
          if (g) g[j] = o[j] > 1e-7f ? (-qj / o[j]) * c : 0.0f;
        }
        break;
      }
    }
    if (a.row_loss) a.row_loss[r] = loss;
    if (a.row_correct) a.row_correct[r] = correct(o, k, t, a.theta);
  }
}

void loss_curvature_rows(size_t r0, size_t r1, const LossTargets& tg, const LossArgs& a, const float* ru_all,
                         float* rg_all) {
  const size_t k = a.k;
  const float kf = static_cast<float>(k);
  for (size_t r = r0; r < r1; ++r) {
    const size_t tr = tg.idx ? static_cast<size_t>(tg.idx[r]) : r;
    Row t{tg.rows ? tg.rows + tr * k : nullptr, tg.labels ? static_cast<size_t>(tg.labels[tr]) : 0};
    const float* o = a.o + r * k;
    const float* ru = ru_all + r * k;
    float* rg = rg_all + r * k;
    const float c = a.row_scale ? a.row_scale[r] : 1.0f / a.grad_den;
    const float ck = c / kf;
    auto diagonal = [&](float scale, auto h) {
      for (size_t j = 0; j < k; ++j) {
        const float hj = h(j);
        rg[j] = hj == 0.0f ? 0.0f : scale * hj * ru[j];
      }
    };
    switch (a.kind) {
      case LossKind::kMeanSquaredError: diagonal(ck, [](size_t) { return 2.0f; }); break;
      case LossKind::kMeanAbsoluteError:
      case LossKind::kHinge:
      case LossKind::kCategoricalHinge: diagonal(ck, [](size_t) { return 0.0f; }); break;
      case LossKind::kHuber:
        diagonal(ck, [&](size_t j) { return std::fabs(o[j] - t.at(j)) <= a.delta ? 1.0f : 0.0f; });
        break;
      case LossKind::kLogCosh:
        diagonal(ck, [&](size_t j) {
          const float th = std::tanh(o[j] - t.at(j));
          return 1.0f - th * th;
        });
        break;
      case LossKind::kPoisson:
        if (a.logits) {
          diagonal(ck, [&](size_t j) { return std::exp(o[j]); });
        } else {
          diagonal(ck, [&](size_t j) {
            const float oe = o[j] + 1e-8f;
            return t.at(j) / (oe * oe);
          });
        }
        break;
      case LossKind::kSquaredHinge:
        diagonal(ck, [&](size_t j) { return 1.0f - (t.at(j) > 0.0f ? 1.0f : -1.0f) * o[j] > 0.0f ? 2.0f : 0.0f; });
        break;
      case LossKind::kKullbackLeiblerDivergence:
        diagonal(c, [&](size_t j) {
          const float tj = t.at(j);
          return tj > 0.0f && o[j] > 1e-7f ? tj / (o[j] * o[j]) : 0.0f;
        });
        break;
      case LossKind::kBinaryCrossentropy:
        if (a.logits) {  // σ′(u): from o = σ(z) when fused, from the logits o otherwise
          diagonal(ck, [&](size_t j) {
            if (a.fused) return o[j] * (1.0f - o[j]);
            return sigmoidf(o[j]) * sigmoidf(-o[j]);
          });
        } else {  // d/do (o − t)/max(o(1 − o), 1e-12)
          diagonal(ck, [&](size_t j) {
            const float p = o[j], q = p * (1.0f - p);
            return q > 1e-12f ? (q - (p - t.at(j)) * (1.0f - 2.0f * p)) / (q * q) : 1e12f;
          });
        }
        break;
      case LossKind::kCategoricalCrossentropy: {
        const float eps = a.smoothing;
        const float uniform = eps / kf;
        auto q = [&](size_t j) { return eps == 0.0f ? t.at(j) : (1.0f - eps) * t.at(j) + uniform; };
        if (!a.logits) {
          for (size_t j = 0; j < k; ++j) {
            const float qj = q(j);
            rg[j] = o[j] > 1e-7f && qj != 0.0f ? c * (qj / (o[j] * o[j])) * ru[j] : 0.0f;
          }
          break;
        }
        // grad = c(p·Σq − q): R{grad} = c·Σq·Rp, Rp = p ⊙ (Ru − Σ p·Ru); p = o when fused, else
        // softmax of the logits o.
        float mx = o[0];
        for (size_t j = 1; j < k; ++j) mx = o[j] > mx ? o[j] : mx;
        float s = 0.0f;
        if (!a.fused)
          for (size_t j = 0; j < k; ++j) s += std::exp(o[j] - mx);
        auto p = [&](size_t j) { return a.fused ? o[j] : std::exp(o[j] - mx) / s; };
        float qsum = 0.0f, dot = 0.0f;
        for (size_t j = 0; j < k; ++j) {
          qsum += q(j);
          dot += p(j) * ru[j];
        }
        for (size_t j = 0; j < k; ++j) rg[j] = c * qsum * (p(j) * (ru[j] - dot));
        break;
      }
    }
  }
}

}  // namespace dh::kernels
