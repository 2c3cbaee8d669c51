// Fused optimizer kernels, AVX-512F, 16 lanes. Deliberately no FMA: separate IEEE
// mul/add/div/sqrt/max/min in the order of the scalar reference (kernels/table.h, the
// shared body kernels/optimizer_body.inc); the n mod 16 tail runs the scalar reference
// itself. So every ISA and every thread split produces the same bits.
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx512 {
namespace {

using V = __m512;
constexpr size_t W = 16;
inline V load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
inline V splat(float x) { return _mm512_set1_ps(x); }
inline V add(V a, V b) { return _mm512_add_ps(a, b); }
inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V div(V a, V b) { return _mm512_div_ps(a, b); }
inline V vsqrt(V a) { return _mm512_sqrt_ps(a); }
inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }  // a > b ? a : b
inline V vmin(V a, V b) { return _mm512_min_ps(a, b); }  // a < b ? a : b
inline V vabs(V a) { return _mm512_abs_ps(a); }
inline V vsign(V a) {
  const V zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  return _mm512_sub_ps(_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, zero, _CMP_GT_OQ), one),
                       _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, zero, _CMP_LT_OQ), one));
}

}  // namespace

#define DH_OPT_TAIL(kernel) scalar::kernel(n - i, param + i, grad + i, shift(st, i), s)
#include "kernels/optimizer_body.inc"
#undef DH_OPT_TAIL

}  // namespace dh::kernels::avx512
