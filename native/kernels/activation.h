// Activation functions, forward and backward (portable C++, compiled for baseline only: the
// same code on every ISA level, so every level gives the same bits). Definitions are those of
// lib/engine/engine.ts (Activation), evaluated in float with std:: float functions:
//   linear z; relu max(z, 0) (derivative 0 at 0); sigmoid 1/(1 + e^−z), e^z/(1 + e^z) for z < 0
//   tanh; leakyRelu z > 0 ? z : α·z; elu z > 0 ? z : α·expm1(z); selu λ·elu_α(z) (fixed λ, α)
//   gelu ½z(1 + erf(z/√2)) as ½z·erfc(−z/√2); geluTanh ½z(1 + tanh u) as z·sigmoid(2u),
//   u = √(2/π)(z + 0.044715z³) (no cancellation for z ≪ 0)
//   softplus max(z, 0) + log1p(e^−|z|); silu z·sigmoid(z); hardSigmoid clamp(z/6 + ½, 0, 1)
//   mish z·tanh(softplus(z)); softmax per row (softmax_rows / softmax_backward_rows)
// Backward: dz = g·f'(z), from z or from the output o, whichever act_backward_uses_output
// says (the plan keeps that buffer). dz may alias g.
#pragma once

#include <cstddef>

namespace dh::kernels {

enum class Activation {
  kLinear,
  kRelu,
  kSigmoid,
  kTanh,
  kLeakyRelu,
  kElu,
  kSelu,
  kGelu,
  kGeluTanh,
  kSoftplus,
  kSilu,
  kHardSigmoid,
  kMish,
  kSoftmax,
};

// True when the derivative is computed from the output o alone (linear, relu, sigmoid, tanh,
// softmax); else it needs the pre-activation z.
constexpr bool act_backward_uses_output(Activation a) {
  return a == Activation::kLinear || a == Activation::kRelu || a == Activation::kSigmoid ||
         a == Activation::kTanh || a == Activation::kSoftmax;
}

// o[i] = f(z[i]) for i in [0, n) (not softmax). o may alias z.
void act_forward(Activation a, float alpha, size_t n, const float* z, float* o);

// dz[i] = g[i]·f'(z[i]) (not softmax); reads z or o as act_backward_uses_output says (the
// other may be null). dz may alias g.
void act_backward(Activation a, float alpha, size_t n, const float* z, const float* o, const float* g, float* dz);

// The R-operator of the backward (Hessian-vector products): out[i] = f″(z)·rz[i]·g[i] + f′(z)·rg[i]
// with rz = R{z}, g = ∂L/∂o, rg = R{∂L/∂o} (not softmax). out may alias rg.
void act_rbackward(Activation a, float alpha, size_t n, const float* z, const float* o, const float* rz,
                   const float* g, const float* rg, float* out);

// One numerically stable sigmoid, shared with the losses.
float sigmoidf(float z);

// Rows [r0, r1) of a row-major matrix with `cols` columns (ld = cols):
// p = softmax(z) (p may alias z), and dz = p ⊙ (g − Σ g·p) (dz may alias g).
void softmax_rows(size_t r0, size_t r1, size_t cols, const float* z, float* p);
void softmax_backward_rows(size_t r0, size_t r1, size_t cols, const float* p, const float* g, float* dz);
// R-operator of the softmax backward, with rp = R{p}:
// out = rp ⊙ (g − Σ p·g) + p ⊙ (rg − Σ(rp·g + p·rg)). out may alias rg.
void softmax_rbackward_rows(size_t r0, size_t r1, size_t cols, const float* p, const float* rp, const float* g,
                            const float* rg, float* out);

}  // namespace dh::kernels
