// Activations, scalar reference and the only implementation (see activation.h). Every
// function keeps NaN (relu: z < 0 ? 0 : z, like the GEMM epilogue) and never turns a finite
// input into NaN: the exponentials are arranged so they only underflow.
#include "kernels/activation.h"

#include <cmath>

namespace dh::kernels {
namespace {

constexpr float kSeluLambda = 1.0507009873554805f;
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSqrtHalf = 0.70710678118654752f;     // 1/√2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;   // 1/√(2π)
constexpr float kSqrt2OverPi = 0.79788456080286536f;  // √(2/π)
constexpr float kGeluC = 0.044715f;

inline float softplusf(float z) { return (z > 0.0f ? z : 0.0f) + std::log1p(std::exp(-std::fabs(z))); }

template <class F>
void map(size_t n, const float* z, float* o, F f) {
  for (size_t i = 0; i < n; ++i) o[i] = f(z[i]);
}

template <class F>
void map2(size_t n, const float* a, const float* g, float* dz, F f) {
  for (size_t i = 0; i < n; ++i) dz[i] = f(a[i], g[i]);
}

}  // namespace

float sigmoidf(float z) {
  if (z >= 0.0f) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);  // NaN lands here too and stays NaN
  return e / (1.0f + e);
}

void act_forward(Activation a, float alpha, size_t n, const float* z, float* o) {
  switch (a) {
    case Activation::kLinear:
      if (o != z) map(n, z, o, [](float v) { return v; });
      return;
    case Activation::kRelu: return map(n, z, o, [](float v) { return v < 0.0f ? 0.0f : v; });
    case Activation::kSigmoid: return map(n, z, o, [](float v) { return sigmoidf(v); });
    case Activation::kTanh: return map(n, z, o, [](float v) { return std::tanh(v); });
    case Activation::kLeakyRelu: return map(n, z, o, [alpha](float v) { return v > 0.0f ? v : alpha * v; });
    case Activation::kElu: return map(n, z, o, [alpha](float v) { return v > 0.0f ? v : alpha * std::expm1(v); });
    case Activation::kSelu:
      return map(n, z, o, [](float v) { return kSeluLambda * (v > 0.0f ? v : kSeluAlpha * std::expm1(v)); });
    case Activation::kGelu:  // ½z·erfc(−z/√2): no cancellation in 1 + erf for z ≪ 0
      return map(n, z, o, [](float v) { return 0.5f * v * std::erfc(-v * kSqrtHalf); });
    case Activation::kGeluTanh:  // z·sigmoid(2u) = ½z(1 + tanh u), without the cancellation
      return map(n, z, o, [](float v) { return v * sigmoidf(2.0f * (kSqrt2OverPi * (v + kGeluC * (v * v * v)))); });
    case Activation::kSoftplus: return map(n, z, o, [](float v) { return softplusf(v); });
    case Activation::kSilu: return map(n, z, o, [](float v) { return v * sigmoidf(v); });
    case Activation::kHardSigmoid:
      return map(n, z, o, [](float v) {
        const float h = v / 6.0f + 0.5f;
        return h < 0.0f ? 0.0f : (h > 1.0f ? 1.0f : h);  // NaN stays NaN
      });
    case Activation::kMish: return map(n, z, o, [](float v) { return v * std::tanh(softplusf(v)); });
    case Activation::kSoftmax: return;  // per row: softmax_rows
  }
}

namespace {

// f′ of one element, from z or from the output o (act_backward_uses_output).
template <Activation A>
inline float slope(float alpha, float v, float y) {
  if constexpr (A == Activation::kLinear) return 1.0f;
  if constexpr (A == Activation::kRelu) return y > 0.0f ? 1.0f : 0.0f;
  if constexpr (A == Activation::kSigmoid) return y * (1.0f - y);
  if constexpr (A == Activation::kTanh) return 1.0f - y * y;
  if constexpr (A == Activation::kLeakyRelu) return v > 0.0f ? 1.0f : alpha;
  if constexpr (A == Activation::kElu) return v > 0.0f ? 1.0f : alpha * std::exp(v);
  if constexpr (A == Activation::kSelu) return v > 0.0f ? kSeluLambda : kSeluLambda * (kSeluAlpha * std::exp(v));
  if constexpr (A == Activation::kGelu) {  // Φ(z) + z·φ(z)
    const float cdf = 0.5f * std::erfc(-v * kSqrtHalf);
    const float pdf = kInvSqrt2Pi * std::exp(-0.5f * (v * v));
    return cdf + (pdf == 0.0f ? 0.0f : v * pdf);
  }
  if constexpr (A == Activation::kGeluTanh) {  // σ(2u) + z·2σ(2u)σ(−2u)·u′
    const float v2 = v * v;
    const float u2 = 2.0f * (kSqrt2OverPi * (v + kGeluC * (v2 * v)));
    const float s = sigmoidf(u2);
    const float sl = s * sigmoidf(-u2);
    // The slope is exactly 0 where v² may already be inf: the product is 0, not NaN.
    return s + (sl == 0.0f ? 0.0f : v * (2.0f * sl) * (kSqrt2OverPi * (1.0f + 3.0f * kGeluC * v2)));
  }
  if constexpr (A == Activation::kSoftplus) return sigmoidf(v);
  if constexpr (A == Activation::kSilu) {
    const float s = sigmoidf(v);
    return s * (1.0f + v * (1.0f - s));
  }
  if constexpr (A == Activation::kHardSigmoid) return v > -3.0f && v < 3.0f ? 1.0f / 6.0f : 0.0f;
  if constexpr (A == Activation::kMish) {
    const float t = std::tanh(softplusf(v));
    const float s = sigmoidf(v);
    return t + (s == 0.0f ? 0.0f : v * s * (1.0f - t * t));
  }
  return 0.0f;
}

// f″ of one element (Hessian-vector products); 0 where a first-derivative factor underflowed.
template <Activation A>
inline float curvature(float alpha, float v, float y) {
  if constexpr (A == Activation::kSigmoid) return y * (1.0f - y) * (1.0f - 2.0f * y);
  if constexpr (A == Activation::kTanh) return -2.0f * y * (1.0f - y * y);
  if constexpr (A == Activation::kElu) return v > 0.0f ? 0.0f : alpha * std::exp(v);
  if constexpr (A == Activation::kSelu) return v > 0.0f ? 0.0f : kSeluLambda * (kSeluAlpha * std::exp(v));
  if constexpr (A == Activation::kGelu) {  // d/dz (Φ + zφ) = φ·(2 − z²)
    const float phi = kInvSqrt2Pi * std::exp(-0.5f * (v * v));
    return phi == 0.0f ? 0.0f : phi * (2.0f - v * v);
  }
  if constexpr (A == Activation::kGeluTanh) {  // z·σ(w): 2σ′w′ + z(σ″w′² + σ′w″), σ″ = σ′(1 − 2σ)
    const float w = 2.0f * (kSqrt2OverPi * (v + kGeluC * (v * v * v)));
    const float s = sigmoidf(w);
    const float s1 = s * sigmoidf(-w);
    if (s1 == 0.0f) return 0.0f;
    const float w1 = 2.0f * kSqrt2OverPi * (1.0f + 3.0f * kGeluC * (v * v));
    const float w2 = 2.0f * kSqrt2OverPi * (6.0f * kGeluC * v);
    return 2.0f * s1 * w1 + v * (s1 * (1.0f - 2.0f * s) * (w1 * w1) + s1 * w2);
  }
  if constexpr (A == Activation::kSoftplus) return sigmoidf(v) * sigmoidf(-v);
  if constexpr (A == Activation::kSilu) {  // 2σ′ + zσ′(1 − 2σ)
    const float s = sigmoidf(v);
    const float s1 = s * sigmoidf(-v);
    return s1 == 0.0f ? 0.0f : 2.0f * s1 + v * (s1 * (1.0f - 2.0f * s));
  }
  if constexpr (A == Activation::kMish) {  // 2Ss + zS(σ′ − 2t·s²), t = tanh sp, S = 1 − t²
    const float t = std::tanh(softplusf(v));
    const float S = 1.0f - t * t;
    if (S == 0.0f) return 0.0f;
    const float s = sigmoidf(v);
    return 2.0f * S * s + v * (S * (s * sigmoidf(-v) - 2.0f * t * (s * s)));
  }
  return 0.0f;  // linear, relu, leakyRelu, hardSigmoid (and kinks)
}

template <Activation A>
void backward_loop(float alpha, size_t n, const float* z, const float* o, const float* g, float* dz) {
  constexpr bool from_output = act_backward_uses_output(A);
  for (size_t i = 0; i < n; ++i) {
    const float v = from_output ? 0.0f : z[i];
    const float y = from_output ? o[i] : 0.0f;
    if constexpr (A == Activation::kRelu) {
      dz[i] = y > 0.0f ? g[i] : 0.0f;
    } else if constexpr (A == Activation::kLeakyRelu) {
      dz[i] = v > 0.0f ? g[i] : alpha * g[i];
    } else if constexpr (A == Activation::kHardSigmoid) {
      dz[i] = v > -3.0f && v < 3.0f ? g[i] / 6.0f : 0.0f;
    } else {
      dz[i] = g[i] * slope<A>(alpha, v, y);
    }
  }
}

template <Activation A>
void rbackward_loop(float alpha, size_t n, const float* z, const float* o, const float* rz, const float* g,
                    const float* rg, float* out) {
  constexpr bool from_output = act_backward_uses_output(A);
  for (size_t i = 0; i < n; ++i) {
    const float v = from_output ? 0.0f : z[i];
    const float y = from_output ? o[i] : 0.0f;
    const float c = curvature<A>(alpha, v, y);
    out[i] = (c == 0.0f ? 0.0f : c * rz[i] * g[i]) + slope<A>(alpha, v, y) * rg[i];
  }
}

#define DH_ACTIVATION_CASES(F, ...)                                         \
  switch (a) {                                                              \
    case Activation::kLinear: return F<Activation::kLinear>(__VA_ARGS__);   \
    case Activation::kRelu: return F<Activation::kRelu>(__VA_ARGS__);       \
    case Activation::kSigmoid: return F<Activation::kSigmoid>(__VA_ARGS__); \
    case Activation::kTanh: return F<Activation::kTanh>(__VA_ARGS__);       \
    case Activation::kLeakyRelu: return F<Activation::kLeakyRelu>(__VA_ARGS__); \
    case Activation::kElu: return F<Activation::kElu>(__VA_ARGS__);         \
    case Activation::kSelu: return F<Activation::kSelu>(__VA_ARGS__);       \
    case Activation::kGelu: return F<Activation::kGelu>(__VA_ARGS__);       \
    case Activation::kGeluTanh: return F<Activation::kGeluTanh>(__VA_ARGS__); \
    case Activation::kSoftplus: return F<Activation::kSoftplus>(__VA_ARGS__); \
    case Activation::kSilu: return F<Activation::kSilu>(__VA_ARGS__);       \
    case Activation::kHardSigmoid: return F<Activation::kHardSigmoid>(__VA_ARGS__); \
    case Activation::kMish: return F<Activation::kMish>(__VA_ARGS__);       \
    case Activation::kSoftmax: return;                                      \
  }

}  // namespace

void act_backward(Activation a, float alpha, size_t n, const float* z, const float* o, const float* g, float* dz) {
  if (a == Activation::kLinear) {
    if (dz != g) map(n, g, dz, [](float v) { return v; });
    return;
  }
  DH_ACTIVATION_CASES(backward_loop, alpha, n, z, o, g, dz)
}

void act_rbackward(Activation a, float alpha, size_t n, const float* z, const float* o, const float* rz,
                   const float* g, const float* rg, float* out) {
  DH_ACTIVATION_CASES(rbackward_loop, alpha, n, z, o, rz, g, rg, out)
}

#undef DH_ACTIVATION_CASES

void softmax_rows(size_t r0, size_t r1, size_t cols, const float* z_all, float* p_all) {
  for (size_t r = r0; r < r1; ++r) {
    const float* z = z_all + r * cols;
    float* p = p_all + r * cols;
    float mx = z[0];
    for (size_t j = 1; j < cols; ++j) mx = z[j] > mx ? z[j] : mx;
    float s = 0.0f;
    for (size_t j = 0; j < cols; ++j) s += std::exp(z[j] - mx);
    for (size_t j = 0; j < cols; ++j) p[j] = std::exp(z[j] - mx) / s;
  }
}

void softmax_backward_rows(size_t r0, size_t r1, size_t cols, const float* p_all, const float* g_all, float* dz_all) {
  for (size_t r = r0; r < r1; ++r) {
    const float* p = p_all + r * cols;
    const float* g = g_all + r * cols;
    float* dz = dz_all + r * cols;
    float dot = 0.0f;
    for (size_t j = 0; j < cols; ++j) dot += g[j] * p[j];
    for (size_t j = 0; j < cols; ++j) dz[j] = p[j] * (g[j] - dot);
  }
}

}  // namespace dh::kernels

namespace dh::kernels {

void softmax_rbackward_rows(size_t r0, size_t r1, size_t cols, const float* p_all, const float* rp_all,
                            const float* g_all, const float* rg_all, float* out_all) {
  for (size_t r = r0; r < r1; ++r) {
    const size_t o = r * cols;
    const float *p = p_all + o, *rp = rp_all + o, *g = g_all + o, *rg = rg_all + o;
    float* out = out_all + o;
    float s = 0.0f, rs = 0.0f;
    for (size_t j = 0; j < cols; ++j) {
      s += p[j] * g[j];
      rs += rp[j] * g[j] + p[j] * rg[j];
    }
    for (size_t j = 0; j < cols; ++j) out[j] = rp[j] * (g[j] - s) + p[j] * (rg[j] - rs);
  }
}

}  // namespace dh::kernels
