// Fused optimizer kernels, NEON (AArch64 baseline), 4 lanes. Like the x86 versions: no FMA,
// separate IEEE mul/add/div/sqrt and max/min as selects in the order of the scalar reference
// (kernels/table.h, the shared body kernels/optimizer_body.inc); the n mod 4 tail runs the
// scalar reference itself, so every ISA produces the same bits.
#include <arm_neon.h>

#include "kernels/table.h"

namespace dh::kernels::neon {
namespace {

using V = float32x4_t;
constexpr size_t W = 4;
inline V load(const float* p) { return vld1q_f32(p); }
inline void store(float* p, V v) { vst1q_f32(p, v); }
inline V splat(float x) { return vdupq_n_f32(x); }
inline V add(V a, V b) { return vaddq_f32(a, b); }
inline V sub(V a, V b) { return vsubq_f32(a, b); }
inline V mul(V a, V b) { return vmulq_f32(a, b); }
inline V div(V a, V b) { return vdivq_f32(a, b); }
inline V vsqrt(V a) { return vsqrtq_f32(a); }
// a > b ? a : b and a < b ? a : b exactly (vmaxq_f32/vminq_f32 differ on NaN).
inline V vmax(V a, V b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
inline V vmin(V a, V b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
inline V vabs(V a) { return vabsq_f32(a); }
inline V vsign(V a) {
  const V zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f);
  return vsubq_f32(vbslq_f32(vcgtq_f32(a, zero), one, zero), vbslq_f32(vcltq_f32(a, zero), one, zero));
}

}  // namespace

#define DH_OPT_TAIL(kernel) scalar::kernel(n - i, param + i, grad + i, shift(st, i), s)
#include "kernels/optimizer_body.inc"
#undef DH_OPT_TAIL

}  // namespace dh::kernels::neon
