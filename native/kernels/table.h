// Kernel table: one record per ISA holding its block sizes and kernel pointers,
// generated from kernels.inc. Selected once at load (runtime/dispatch.h); the test
// hook can pick any available one by name. Declarations only: no code here runs with
// ISA-specific instructions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dh::kernels {

enum class Isa : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3 };
constexpr int kIsaCount = 4;

// GEMM blocking (BLIS names): micro-tile MR×NR, A block MC×KC (L2), B panel KC×NC (L3).
struct BlockSizes {
  int mr, nr, mc, kc, nc;
};
constexpr int kMaxMr = 16;
constexpr int kMaxNr = 32;

// ---- Optimizer kernels ---------------------------------------------------------------
// Each optimizer is one fused kernel over a contiguous range of the arena. Per-step
// constants are computed once per step in double (plan/update.cc, and identically in
// lib/engine/js/optimizers.ts) and cast to float once. Per element everything is float
// math in exactly the order written below: no fused multiply-add (-ffp-contract=off),
// IEEE mul/add/sub/div/sqrt only, max(a, b) = a > b ? a : b, min(a, b) = a < b ? a : b
// (NaN in b propagates), so every ISA, every thread split and the TS engine's float32
// path agree bit for bit. One generic body (kernels/optimizer_body.inc) is instantiated
// per ISA; SIMD tails call the scalar instance.

// Optimizer state slots of one range: slot k of element i is p[k][i] (unused slots null).
struct Slots {
  float* p[3];
};

// Gradient preprocessing, first in every kernel (clipping fused into the update):
//   g = grad;  if (scaled) g = g·scale;  if (clamped) g = min(value, max(−value, g))
// scale = clipNorm / (‖grad‖₂ + 1e-6) when that is < 1 (the global norm over the whole
// gradient arena, computed before the update: kernels/optim.h sum_squares).
struct GradClip {
  float scale, value;
  bool scaled, clamped;
};

// SGD: if (wd != 0) g = g + wd·θ
//   if (momentum != 0) { b = first ? g : momentum·b + omd·g;  g = nesterov ? g + momentum·b : b }
//   θ = θ − lr·g                                        (omd = 1 − dampening; first: t == 1)
// Slots: p[0] = momentum buffer (null when momentum == 0).
struct SgdStep {
  GradClip clip;
  float lr, momentum, omd, wd;
  bool nesterov, first;
};

// Adam/AdamW: if (!decoupled && wd != 0) g = g + wd·θ;  if (decoupled && wd != 0) θ = θ·decay
//   m = b1·m + omb1·g;  v = b2·v + omb2·(g·g);  if (amsgrad) { vmax = max(vmax, v);  v' = vmax } else v' = v
//   denom = sqrt(v') / bc2_sqrt + eps;  θ = θ − step_size·(m / denom)
// step_size = lr / (1 − β1ᵗ), bc2_sqrt = sqrt(1 − β2ᵗ), decay = 1 − lr·wd.
// Slots: p[0] = m, p[1] = v, p[2] = vmax (amsgrad only).
struct AdamStep {
  GradClip clip;
  float step_size, bc2_sqrt, b1, omb1, b2, omb2, eps, wd, decay;
  bool decoupled, amsgrad;
};

// Adagrad: if (wd != 0) g = g + wd·θ;  s = s + g·g;  θ = θ − clr·(g / (sqrt(s) + eps))
// clr = lr / (1 + (t − 1)·lrDecay). Slots: p[0] = sum (starts at initialAccumulatorValue).
struct AdagradStep {
  GradClip clip;
  float clr, eps, wd;
};

// Adadelta: if (wd != 0) g = g + wd·θ;  v = rho·v + omr·(g·g);  std = sqrt(v + eps)
//   d = (sqrt(u + eps) / std)·g;  u = rho·u + omr·(d·d);  θ = θ − lr·d
// Slots: p[0] = v (square avg), p[1] = u (accumulated delta).
struct AdadeltaStep {
  GradClip clip;
  float lr, rho, omr, eps, wd;
};

// RMSprop: if (wd != 0) g = g + wd·θ;  v = alpha·v + oma·(g·g)
//   centered ? { ga = alpha·ga + oma·g;  avg = sqrt(max(0, v − ga·ga)) + eps } : avg = sqrt(v) + eps
//   momentum != 0 ? { b = momentum·b + g / avg;  θ = θ − lr·b } : θ = θ − lr·(g / avg)
// Slots: p[0] = v, p[1] = momentum buffer (momentum != 0), p[2] = grad avg (centered).
struct RmspropStep {
  GradClip clip;
  float lr, alpha, oma, eps, wd, momentum;
  bool centered;
};

// Adamax: if (wd != 0) g = g + wd·θ;  m = b1·m + omb1·g;  u = max(b2·u, |g| + eps)
//   θ = θ − clr·(m / u)                                    (clr = lr / (1 − β1ᵗ))
// Slots: p[0] = m, p[1] = u (exponentially weighted infinity norm).
struct AdamaxStep {
  GradClip clip;
  float clr, b1, omb1, b2, eps, wd;
};

// NAdam: if (wd != 0) g = g + wd·θ;  m = b1·m + omb1·g;  v = b2·v + omb2·(g·g)
//   denom = sqrt(v / bc2) + eps;  θ = θ − c1·(g / denom);  θ = θ − c2·(m / denom)
// bc2 = 1 − β2ᵗ, c1 = lr·(1 − μₜ) / (1 − Πᵢ≤ₜ μᵢ), c2 = lr·μₜ₊₁ / (1 − Πᵢ≤ₜ₊₁ μᵢ),
// μₜ = β1·(1 − 0.5·0.96^(t·ψ)). Slots: p[0] = m, p[1] = v.
struct NadamStep {
  GradClip clip;
  float c1, c2, b1, omb1, b2, omb2, bc2, eps, wd;
};

// RAdam: if (wd != 0) g = g + wd·θ;  m = b1·m + omb1·g;  v = b2·v + omb2·(g·g)
//   rectified ? θ = θ − step_size·(m·(bc2_sqrt / (sqrt(v) + eps))) : θ = θ − step_size·m
// rectified: ρₜ > 5, step_size = lr·r / (1 − β1ᵗ) (r the variance rectification term),
// else step_size = lr / (1 − β1ᵗ); bc2_sqrt = sqrt(1 − β2ᵗ). Slots: p[0] = m, p[1] = v.
struct RadamStep {
  GradClip clip;
  float step_size, bc2_sqrt, b1, omb1, b2, omb2, eps, wd;
  bool rectified;
};

// Lion (Chen et al. 2023): c = b1·m + omb1·g;  m = b2·m + omb2·g
//   if (wd != 0) θ = θ·decay;  θ = θ − lr·sign(c)     (decay = 1 − lr·wd; sign(0) = 0)
// Slots: p[0] = m.
struct LionStep {
  GradClip clip;
  float lr, b1, omb1, b2, omb2, wd, decay;
};

#define DH_KERNEL(name, ret, params) using name##_fn = ret(*) params;
#include "kernels/kernels.inc"
#undef DH_KERNEL

struct KernelTable {
  Isa isa;
  const char* name;
  BlockSizes blocks;
#define DH_KERNEL(name, ret, params) name##_fn name;
#include "kernels/kernels.inc"
#undef DH_KERNEL
};

#define DH_KERNEL(name, ret, params) ret name params;
namespace scalar {
#include "kernels/kernels.inc"
const KernelTable* table();
}  // namespace scalar
namespace avx2 {  // defined only when the build has DH_BUILD_AVX2
#include "kernels/kernels.inc"
const KernelTable* table();
}  // namespace avx2
namespace avx512 {  // defined only when the build has DH_BUILD_AVX512
#include "kernels/kernels.inc"
const KernelTable* table();
}  // namespace avx512
namespace neon {  // defined only when the build has DH_BUILD_NEON (AArch64)
#include "kernels/kernels.inc"
const KernelTable* table();
}  // namespace neon
#undef DH_KERNEL

}  // namespace dh::kernels
