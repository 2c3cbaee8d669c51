// Fused optimizer kernels, scalar reference (one element per "vector"): the formulas and
// float operation order documented on the *Step structs in kernels/table.h, from the one
// generic body kernels/optimizer_body.inc that every ISA instantiates. The SIMD ISAs run
// their tails through these functions, so a tail is bitwise the reference by construction.
#include <cmath>

#include "kernels/table.h"

namespace dh::kernels::scalar {
namespace {

using V = float;
constexpr size_t W = 1;
inline V load(const float* p) { return *p; }
inline void store(float* p, V v) { *p = v; }
inline V splat(float x) { return x; }
inline V add(V a, V b) { return a + b; }
inline V sub(V a, V b) { return a - b; }
inline V mul(V a, V b) { return a * b; }
inline V div(V a, V b) { return a / b; }
inline V vsqrt(V a) { return std::sqrt(a); }
inline V vmax(V a, V b) { return a > b ? a : b; }  // MAXPS semantics: b when either is NaN
inline V vmin(V a, V b) { return a < b ? a : b; }  // MINPS semantics
inline V vabs(V a) { return std::fabs(a); }
inline V vsign(V a) { return (a > 0.0f ? 1.0f : 0.0f) - (a < 0.0f ? 1.0f : 0.0f); }

}  // namespace

#define DH_OPT_TAIL(kernel) (void)0
#include "kernels/optimizer_body.inc"
#undef DH_OPT_TAIL

}  // namespace dh::kernels::scalar
