// Kernel table: one record per ISA holding its block sizes and kernel pointers,
// generated from kernels.inc. Selected once at load (runtime/dispatch.h); the test
// hook can pick any available one by name. Declarations only: no code here runs with
// ISA-specific instructions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dh::kernels {

enum class Isa : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
constexpr int kIsaCount = 3;

// GEMM blocking (BLIS names): micro-tile MR×NR, A block MC×KC (L2), B panel KC×NC (L3).
struct BlockSizes {
  int mr, nr, mc, kc, nc;
};
constexpr int kMaxMr = 16;
constexpr int kMaxNr = 32;

// Per-step Adam/AdamW constants (double math once per step, cast to float once).
// Per element, in float, in this order (no fused multiply-add, so every ISA agrees bitwise):
//   g = grad;  if (!decoupled && wd != 0) g = g + wd·θ;  if (decoupled && wd != 0) θ = θ·decay
//   m = b1·m + omb1·g;  v = b2·v + omb2·(g·g)
//   denom = sqrt(v) / bc2_sqrt + eps;  θ = θ − step_size·(m / denom)
// with step_size = lr / (1 − β1ᵗ), bc2_sqrt = sqrt(1 − β2ᵗ), decay = 1 − lr·wd.
struct AdamStep {
  float step_size, bc2_sqrt, b1, omb1, b2, omb2, eps, wd, decay;
  bool decoupled;
};

// Per-step SGD constants. Per element, in float, in this order:
//   g = grad;  if (wd != 0) g = g + wd·θ
//   if (momentum != 0) { buf = first ? g : momentum·buf + omd·g;  g = nesterov ? g + momentum·buf : buf }
//   θ = θ − lr·g
// (omd = 1 − dampening; first = this is optimizer step t == 1.)
struct SgdStep {
  float lr, momentum, omd, wd;
  bool nesterov, first;
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
#undef DH_KERNEL

}  // namespace dh::kernels
